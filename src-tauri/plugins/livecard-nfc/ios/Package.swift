// swift-tools-version:5.3

import PackageDescription

let package = Package(
  name: "tauri-plugin-livecard-nfc",
  platforms: [
    .macOS(.v10_13),
    .iOS(.v13),
  ],
  products: [
    .library(
      name: "tauri-plugin-livecard-nfc",
      type: .static,
      targets: ["tauri-plugin-livecard-nfc"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-livecard-nfc",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
