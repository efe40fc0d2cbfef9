//! Declares the native commands (their permissions are generated under permissions/; the
//! webview is granted none: the app calls the plugin from Rust) and where the Kotlin and
//! Swift sources are. No manifest edits here: the app's manifest (src-tauri/gen/android)
//! carries the NFC permission and the NDEF_DISCOVERED filter with <data> for the link host.

const COMMANDS: &[&str] = &[
    "status",
    "scan",
    "write",
    "cancel",
    "take_launch_tag",
    "set_event_handler",
];

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        .android_path("android")
        .ios_path("ios")
        .build();
}
