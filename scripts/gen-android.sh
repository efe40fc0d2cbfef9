#!/usr/bin/env bash
# Regenerates the committed Android project src-tauri/gen/android, reproducibly:
#   1. `tauri android init --ci --skip-targets-install` (Tauri CLI from ui/node_modules) with a
#      stand-in SDK (no Android SDK/NDK is needed to generate the project);
#   2. `tauri icon` from ui/assets/icon-source.png via src-tauri/icons/icon-source.json (every
#      density into gen/android, and src-tauri/icons for desktop and iOS);
#   3. livecard's changes, applied by the Python step below (manifest: NFC, camera, backup off,
#      NDEF_DISCOVERED and App Links filters, <queries>; app name in English and Chinese;
#      release signing from keystore.properties), and src-tauri/livecard_app_iOS.entitlements.
# Running it twice gives the same tree (`git status src-tauri` shows nothing new).
#
# The link host has ONE source: plugins."deep-link".mobile[0].host in tauri.conf.json (repo
# root). This script derives the manifest filters and the iOS associated domain from it;
# src-tauri/tests/platform_config.rs fails when they disagree. See docs/MOBILE.md.
#
# Usage: scripts/gen-android.sh        (from anywhere; needs node/npm and python3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

TAURI="$ROOT/ui/node_modules/.bin/tauri"
if [ ! -x "$TAURI" ]; then
  echo "gen-android: installing the UI's npm packages (the Tauri CLI is one of them)"
  npm --prefix ui ci
fi

# A stand-in SDK: `tauri android init` only checks that ANDROID_HOME exists and reads the NDK
# version from NDK_HOME/source.properties.
SDK="$(mktemp -d)"
trap 'rm -rf "$SDK"' EXIT
mkdir -p "$SDK/android-sdk" "$SDK/ndk"
echo "Pkg.Revision = 27.0.12077973" > "$SDK/ndk/source.properties"

# Start from nothing so that a template change or a removed edit cannot linger.
rm -rf src-tauri/gen/android
# The CLI must run in src-tauri/: the folder holding tauri.conf.json (a symlink to the root one)
# is the app crate; from the repo root it says "No package info".
(
  cd src-tauri
  ANDROID_HOME="$SDK/android-sdk" NDK_HOME="$SDK/ndk" "$TAURI" android init --ci --skip-targets-install
  # ui/assets/icon-source.png on the icon's own teal (adaptive icon background, iOS fill).
  "$TAURI" icon icons/icon-source.json
)

python3 - "$ROOT" <<'PY'
import json, pathlib, re, sys

root = pathlib.Path(sys.argv[1])

# `tauri icon` writes icon.icns's entries in a random order (a hash map): sort them by type so
# the file is the same on every run.
icns = root / "src-tauri/icons/icon.icns"
data = icns.read_bytes()
entries, i = [], 8
while i < len(data):
    size = int.from_bytes(data[i + 4:i + 8], "big")
    entries.append(data[i:i + size])
    i += size
body = b"".join(sorted(entries, key=lambda e: e[:4]))
icns.write_bytes(b"icns" + (8 + len(body)).to_bytes(4, "big") + body)

conf = json.loads((root / "tauri.conf.json").read_text())
mobile = conf["plugins"]["deep-link"]["mobile"]
if len(mobile) != 1 or not mobile[0].get("host"):
    sys.exit("gen-android: tauri.conf.json must have exactly one plugins.deep-link.mobile entry with a host")
link = mobile[0]
host = link["host"]
prefixes = link["pathPrefix"]
app = root / "src-tauri/gen/android/app"
res = app / "src/main/res"

def replace_once(text, old, new, what):
    if text.count(old) != 1:
        sys.exit(f"gen-android: the generated {what} changed shape (anchor {old!r} found {text.count(old)} times)")
    return text.replace(old, new)

# Every app an action may open (crates/livecard-actions: SCHEMES and the Android store ids of its
# fallbacks). The test checks that this covers the crate's lists.
PACKAGES = [
    "com.tencent.mobileqq",      # QQ (mqqwpa:)
    "com.tencent.mm",            # WeChat (weixin:)
    "com.sina.weibo",            # Weibo (sinaweibo:)
    "com.alibaba.android.rimet", # DingTalk (dingtalk:)
    "com.taobao.qianniu",        # Qianniu, Aliwangwang's successor (aliim:)
]
SCHEMES = ["tel", "sms", "mailto", "https", "http", "geo", "market",
           "mqqwpa", "sinaweibo", "weixin", "dingtalk", "aliim"]

manifest_path = app / "src/main/AndroidManifest.xml"
m = manifest_path.read_text()

m = replace_once(m, '    <uses-permission android:name="android.permission.INTERNET" />\n',
'''    <uses-permission android:name="android.permission.INTERNET" />
    <!-- livecard: NFC tags and phone taps; the camera for QR codes. Not required: without them
         the app still adds cards from links and photos. (CAMERA would imply camera features
         required=true, hence the explicit uses-feature lines.) -->
    <uses-permission android:name="android.permission.NFC" />
    <uses-permission android:name="android.permission.CAMERA" />
    <uses-feature android:name="android.hardware.nfc" android:required="false" />
    <uses-feature android:name="android.hardware.camera" android:required="false" />
    <uses-feature android:name="android.hardware.camera.autofocus" android:required="false" />
    <!-- the barcode-scanner plugin's library manifest requires camera.any; the merger would keep
         that (required is OR-merged) unless we replace it. -->
    <uses-feature android:name="android.hardware.camera.any" android:required="false" tools:replace="android:required" />
''', "manifest")
m = replace_once(m, '<manifest xmlns:android="http://schemas.android.com/apk/res/android">',
                 '<manifest xmlns:android="http://schemas.android.com/apk/res/android"\n    xmlns:tools="http://schemas.android.com/tools">', "manifest")

queries = ['    <!-- livecard: apps a contact action may open or check for (Android 11+ package',
           '         visibility). Keep in step with crates/livecard-actions (platform_config test). -->',
           '    <queries>']
queries += [f'        <package android:name="{p}" />' for p in PACKAGES]
for s in SCHEMES:
    queries += ['        <intent>',
                '            <action android:name="android.intent.action.VIEW" />',
                f'            <data android:scheme="{s}" />',
                '        </intent>']
queries += ['        <!-- the opener plugin shows web pages in a Custom Tab when a browser offers one -->',
            '        <intent>',
            '            <action android:name="android.support.customtabs.action.CustomTabsService" />',
            '        </intent>',
            '    </queries>', '']
m = replace_once(m, '    <application\n', "\n".join(queries) + '''
    <!-- livecard: no backup. The database is encrypted with keys in the Android Keystore, which
         a backup never contains: a restored database without its keys locks the owner out.
         allowBackup=false stops cloud backup; Android 12+ still moves app data to a new phone
         unless dataExtractionRules excludes it (res/xml/data_extraction_rules.xml). Moving
         phones goes through livecard's own key backup instead (docs/MOBILE.md). -->
    <application
        android:allowBackup="false"
        android:fullBackupContent="false"
        android:dataExtractionRules="@xml/data_extraction_rules"
''', "manifest")

ndef = ['            <!-- livecard: a tag holding our link opens the app even when it is closed. The NFC',
        '                 plugin reads this intent (deep-link accepts only VIEW intents). -->',
        '            <intent-filter>',
        '                <action android:name="android.nfc.action.NDEF_DISCOVERED" />',
        '                <category android:name="android.intent.category.DEFAULT" />']
ndef += [f'                <data android:scheme="https" android:host="{host}" android:pathPrefix="{p}" />'
         for p in prefixes]
ndef += ['            </intent-filter>', '        </activity>']
m = replace_once(m, '        </activity>', "\n".join(ndef), "manifest")

# The App Links filter, byte for byte what tauri-plugin-deep-link 2.6's build script writes
# between its markers on every Android build (build.rs intent_filter + tauri-utils
# insert_into_xml), so a build does not rewrite the committed file.
def deep_link_filter(d):
    schemes = d.get("scheme", ["https", "http"])
    is_web = any(s in ("https", "http") for s in schemes)
    app_link = d.get("appLink", is_web and d.get("host") is not None)
    join = lambda tag, vals: "\n    ".join(f'<data android:{tag}="{v}" />' for v in vals)
    text = f'''<intent-filter {'android:autoVerify="true" ' if app_link else ''}>
    <action android:name="android.intent.action.VIEW" />
    <!-- ChromeOS ARC++ uses a different action for deep links -->
    <action android:name="org.chromium.arc.intent.action.VIEW" />
    <category android:name="android.intent.category.DEFAULT" />
    <category android:name="android.intent.category.BROWSABLE" />
    {join("scheme", schemes)}
    {f'<data android:host="{d["host"]}" />' if d.get("host") else ""}
    {join("path", d.get("path", []))}
    {join("pathPattern", d.get("pathPattern", []))}
    {join("pathPrefix", d.get("pathPrefix", []))}
    {join("pathSuffix", d.get("pathSuffix", []))}
</intent-filter>'''
    return text.strip()

def insert_into_xml(xml, block, parent, contents):
    comment = f"<!-- {block}. AUTO-GENERATED. DO NOT REMOVE. -->"
    out, inside = [], False
    for line in xml.split("\n"):
        if comment in line:
            inside = not inside
            continue
        if inside:
            continue
        i = line.find(f"</{parent}>")
        if i >= 0:
            ind = " " * (i + 4)
            out.append(ind + comment)
            out += [ind + l for l in contents.split("\n")]
            out.append(ind + comment)
        out.append(line)
    return "\n".join(out)

m = insert_into_xml(m, "DEEP LINK PLUGIN", "activity", "\n".join(deep_link_filter(d) for d in mobile))
manifest_path.write_text(m)

(res / "xml/data_extraction_rules.xml").write_text('''<?xml version="1.0" encoding="utf-8"?>
<!-- livecard: nothing leaves the phone by cloud backup or device-to-device transfer (Android 12+);
     see the comment on <application> in AndroidManifest.xml. -->
<data-extraction-rules>
    <cloud-backup>
        <exclude domain="root" path="." />
        <exclude domain="file" path="." />
        <exclude domain="database" path="." />
        <exclude domain="sharedpref" path="." />
        <exclude domain="external" path="." />
        <exclude domain="device_root" path="." />
        <exclude domain="device_file" path="." />
        <exclude domain="device_database" path="." />
        <exclude domain="device_sharedpref" path="." />
    </cloud-backup>
    <device-transfer>
        <exclude domain="root" path="." />
        <exclude domain="file" path="." />
        <exclude domain="database" path="." />
        <exclude domain="sharedpref" path="." />
        <exclude domain="external" path="." />
        <exclude domain="device_root" path="." />
        <exclude domain="device_file" path="." />
        <exclude domain="device_database" path="." />
        <exclude domain="device_sharedpref" path="." />
    </device-transfer>
</data-extraction-rules>
''')

# App name: English default, Chinese for zh locales. The launcher label is @string/app_name.
def strings(name):
    return f'''<resources>
    <string name="app_name">"{name}"</string>
    <string name="main_activity_title">"{name}"</string>
</resources>
'''
(res / "values/strings.xml").write_text(strings("livecard"))
(res / "values-zh").mkdir(exist_ok=True)
(res / "values-zh/strings.xml").write_text(strings("活名片"))

# Release signing from keystore.properties (git-ignored by the generated .gitignore).
gradle_path = app / "build.gradle.kts"
g = gradle_path.read_text()
g = replace_once(g, "    buildTypes {\n", '''    // livecard: release signing from src-tauri/gen/android/keystore.properties (git-ignored;
    // keyAlias, password, storeFile). Without that file the release APK is left unsigned.
    val keystorePropertiesFile = rootProject.file("keystore.properties")
    signingConfigs {
        if (keystorePropertiesFile.exists()) {
            val keystoreProperties = Properties()
            keystorePropertiesFile.inputStream().use { keystoreProperties.load(it) }
            create("release") {
                keyAlias = keystoreProperties.getProperty("keyAlias")
                keyPassword = keystoreProperties.getProperty("password")
                storeFile = file(keystoreProperties.getProperty("storeFile"))
                storePassword = keystoreProperties.getProperty("password")
            }
        }
    }
    buildTypes {
''', "app/build.gradle.kts")
g = replace_once(g, '        getByName("release") {\n', '''        getByName("release") {
            if (keystorePropertiesFile.exists()) {
                signingConfig = signingConfigs.getByName("release")
            }
''', "app/build.gradle.kts")
gradle_path.write_text(g)

# iOS: the associated domain for Universal Links (NFC entitlement alongside). Copied into
# gen/apple after `tauri ios init` on a Mac (docs/MOBILE.md).
(root / "src-tauri/livecard_app_iOS.entitlements").write_text(f'''<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>com.apple.developer.associated-domains</key>
	<array>
		<string>applinks:{host}</string>
	</array>
	<key>com.apple.developer.nfc.readersession.formats</key>
	<array>
		<string>TAG</string>
	</array>
</dict>
</plist>
''')
print(f"gen-android: applied livecard's changes (link host {host}, paths {', '.join(prefixes)})")
PY

# Cross-check with the real thing when a desktop build has compiled it: run
# tauri-plugin-deep-link's own build script (what every Android build runs, with the
# environment the Tauri CLI gives it) on a copy of the manifest; it must change nothing.
BS="$(ls -t "$ROOT"/target/debug/build/tauri-plugin-deep-link-*/build-script-build 2>/dev/null | head -n 1 || true)"
CRATE="$(ls -d "$HOME"/.cargo/registry/src/*/tauri-plugin-deep-link-2.* 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -n "$BS" ] && [ -n "$CRATE" ]; then
  mkdir -p "$SDK/check/proj/app/src/main" "$SDK/check/out" "$SDK/check/tauri-api"
  cp -r "$CRATE" "$SDK/check/crate"
  cp src-tauri/gen/android/app/src/main/AndroidManifest.xml "$SDK/check/proj/app/src/main/"
  (
    cd "$SDK/check/crate"
    env CARGO_PKG_NAME=tauri-plugin-deep-link CARGO_MANIFEST_DIR="$SDK/check/crate" \
      CARGO_MANIFEST_LINKS=tauri-plugin-deep-link OUT_DIR="$SDK/check/out" \
      CARGO_CFG_TARGET_OS=android TARGET=aarch64-linux-android HOST=x86_64-unknown-linux-gnu \
      DEP_TAURI_ANDROID_LIBRARY_PATH="$SDK/check/tauri-api" \
      TAURI_ANDROID_PROJECT_PATH="$SDK/check/proj" \
      TAURI_DEEP_LINK_PLUGIN_CONFIG="$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["plugins"]["deep-link"]))' "$ROOT/tauri.conf.json")" \
      "$BS" >/dev/null
  )
  if cmp -s src-tauri/gen/android/app/src/main/AndroidManifest.xml "$SDK/check/proj/app/src/main/AndroidManifest.xml"; then
    echo "gen-android: $(basename "$CRATE")'s build script leaves the manifest as it is"
  else
    diff src-tauri/gen/android/app/src/main/AndroidManifest.xml "$SDK/check/proj/app/src/main/AndroidManifest.xml" || true
    echo "gen-android: the deep-link plugin's build script would rewrite the manifest (above)" >&2
    exit 1
  fi
else
  echo "gen-android: no compiled deep-link build script in target/debug (cargo build -p livecard-app): cross-check skipped"
fi

git -C "$ROOT" status --short -- src-tauri/gen/android src-tauri/icons src-tauri/livecard_app_iOS.entitlements
