//! The committed phone configuration cannot silently regress (issue 13 item 10).
//!
//! Reads the files as committed — src-tauri/gen/android (written by scripts/gen-android.sh),
//! src-tauri/Info.ios.plist, src-tauri/livecard_app_iOS.entitlements, the Tauri configs — with
//! real parsers (roxmltree, plist, serde_json), and checks every entry the phone paths need:
//! NFC and camera, the NDEF_DISCOVERED and App Links filters for the link host, `<queries>`
//! for every app an action may open (taken from livecard-actions, not copied), no backup, the
//! app name in English and Chinese, icons in every density, the iOS usage strings, query
//! schemes and entitlements, and that all of them name the one host in tauri.conf.json.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::Utc;
use livecard_actions::{actions_for, fallback_for, Platform, IOS_QUERY_SCHEMES, SCHEMES};
use livecard_format::{Address, Card};
use roxmltree::{Document, Node};

const ANDROID_NS: &str = "http://schemas.android.com/apk/res/android";
const TOOLS_NS: &str = "http://schemas.android.com/tools";

fn src_tauri() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// tauri.conf.json (the root file, reached through src-tauri's symlink as the CLI reaches it).
fn conf() -> serde_json::Value {
    json(&src_tauri().join("tauri.conf.json"))
}

/// The one mobile link entry of the deep-link plugin: (host, path prefixes).
fn link() -> (String, Vec<String>) {
    let conf = conf();
    let mobile = conf["plugins"]["deep-link"]["mobile"]
        .as_array()
        .expect("plugins.deep-link.mobile is a list");
    assert_eq!(
        mobile.len(),
        1,
        "one mobile link entry (scripts/gen-android.sh reads it)"
    );
    let entry = &mobile[0];
    assert_eq!(entry["scheme"], serde_json::json!(["https"]));
    assert_eq!(entry["appLink"], serde_json::json!(true));
    let host = entry["host"].as_str().expect("host").to_string();
    let prefixes = entry["pathPrefix"]
        .as_array()
        .expect("pathPrefix")
        .iter()
        .map(|p| p.as_str().expect("prefix").to_string())
        .collect();
    (host, prefixes)
}

fn android_dir() -> PathBuf {
    src_tauri().join("gen/android/app/src/main")
}

fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attribute((ANDROID_NS, name))
}

fn children<'a, 'i>(node: Node<'a, 'i>, tag: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == tag)
}

fn names<'a>(node: Node<'a, '_>, tag: &'a str) -> BTreeSet<String> {
    children(node, tag)
        .filter_map(|n| attr(n, "name").map(str::to_string))
        .collect()
}

/// Every URL scheme and Android package an action can open, from livecard-actions itself: the
/// actions of a card with every field filled, and their fallbacks with the app missing.
fn action_targets() -> (BTreeSet<String>, BTreeSet<String>) {
    let card = Card {
        name: "张三".into(),
        mobile: vec!["+8613800138000".into()],
        phone: vec!["+861088888888".into()],
        fax: vec!["+861088888889".into()],
        email: vec!["zhang@example.com".into()],
        website: vec!["example.com".into()],
        address: vec![Address::from_text("北京市朝阳区建国路 1 号")],
        qq: "12345678".into(),
        wechat: "zhangsan".into(),
        aliwangwang: "zhangsan".into(),
        weibo: "1234567890".into(),
        dingtalk: "zhangsan".into(),
        ..Card::default()
    };
    let (mut schemes, mut packages) = (BTreeSet::new(), BTreeSet::new());
    for field in actions_for(&card, Utc::now(), Platform::Android) {
        for action in field.actions {
            let mut urls: Vec<String> = action.url.clone().into_iter().collect();
            urls.extend(
                fallback_for(&action, Platform::Android, true)
                    .into_iter()
                    .map(|o| o.url),
            );
            for url in urls {
                let scheme = url.split(':').next().expect("scheme").to_string();
                if let Some(pkg) = url.strip_prefix("market://details?id=") {
                    packages.insert(pkg.to_string());
                }
                schemes.insert(scheme);
            }
        }
    }
    // Sanity: the card above reaches every kind of app the crate knows.
    for s in [
        "tel", "sms", "mailto", "https", "geo", "market", "mqqwpa", "weixin",
    ] {
        assert!(
            schemes.contains(s),
            "the test card should produce a {s}: action"
        );
    }
    (schemes, packages)
}

#[test]
fn android_manifest_has_every_phone_entry() {
    let (host, prefixes) = link();
    let text = read(&android_dir().join("AndroidManifest.xml"));
    let doc = Document::parse(&text).expect("AndroidManifest.xml is XML");
    let manifest = doc.root_element();
    assert_eq!(manifest.tag_name().name(), "manifest");

    // Permissions and optional hardware.
    let perms = names(manifest, "uses-permission");
    for p in ["android.permission.NFC", "android.permission.CAMERA"] {
        assert!(perms.contains(p), "uses-permission {p}");
    }
    for f in [
        "android.hardware.nfc",
        "android.hardware.camera",
        "android.hardware.camera.autofocus",
    ] {
        let feature = children(manifest, "uses-feature")
            .find(|n| attr(*n, "name") == Some(f))
            .unwrap_or_else(|| panic!("uses-feature {f}"));
        assert_eq!(
            attr(feature, "required"),
            Some("false"),
            "{f} must not be required"
        );
    }
    // The barcode-scanner plugin's library manifest requires camera.any; only tools:replace
    // keeps the merged manifest from requiring a camera.
    let any = children(manifest, "uses-feature")
        .find(|n| attr(*n, "name") == Some("android.hardware.camera.any"))
        .expect("uses-feature android.hardware.camera.any");
    assert_eq!(attr(any, "required"), Some("false"));
    assert_eq!(
        any.attribute((TOOLS_NS, "replace")),
        Some("android:required")
    );

    // No backup: allowBackup off, and the Android 12+ extraction rules exclude everything.
    let app = children(manifest, "application")
        .next()
        .expect("<application>");
    assert_eq!(attr(app, "allowBackup"), Some("false"));
    assert_eq!(attr(app, "fullBackupContent"), Some("false"));
    assert_eq!(
        attr(app, "dataExtractionRules"),
        Some("@xml/data_extraction_rules")
    );
    assert_eq!(attr(app, "label"), Some("@string/app_name"));
    assert_eq!(attr(app, "icon"), Some("@mipmap/ic_launcher"));

    // The main activity gets tag taps (NDEF_DISCOVERED) and App Links for our host.
    let activity = children(app, "activity")
        .find(|n| attr(*n, "name") == Some(".MainActivity"))
        .expect("MainActivity");
    assert_eq!(attr(activity, "exported"), Some("true"));
    let filters: Vec<Node> = children(activity, "intent-filter").collect();
    let actions_of = |f: &Node| names(*f, "action");
    let categories_of = |f: &Node| names(*f, "category");

    let ndef = filters
        .iter()
        .find(|f| actions_of(f).contains("android.nfc.action.NDEF_DISCOVERED"))
        .expect("NDEF_DISCOVERED filter");
    assert!(categories_of(ndef).contains("android.intent.category.DEFAULT"));
    let ndef_data: BTreeSet<(String, String, String)> = children(*ndef, "data")
        .map(|d| {
            (
                attr(d, "scheme").unwrap_or_default().to_string(),
                attr(d, "host").unwrap_or_default().to_string(),
                attr(d, "pathPrefix").unwrap_or_default().to_string(),
            )
        })
        .collect();
    for p in ["/c/", "/C/"] {
        assert!(prefixes.iter().any(|x| x == p), "tauri.conf.json lists {p}");
        assert!(
            ndef_data.contains(&("https".into(), host.clone(), p.into())),
            "NDEF_DISCOVERED <data> https://{host}{p}: {ndef_data:?}"
        );
    }
    assert_eq!(
        ndef_data.len(),
        prefixes.len(),
        "only our link: {ndef_data:?}"
    );

    let view = filters
        .iter()
        .find(|f| actions_of(f).contains("android.intent.action.VIEW"))
        .expect("App Links VIEW filter");
    assert_eq!(attr(*view, "autoVerify"), Some("true"));
    let cats = categories_of(view);
    assert!(cats.contains("android.intent.category.DEFAULT"));
    assert!(cats.contains("android.intent.category.BROWSABLE"));
    let data: Vec<Node> = children(*view, "data").collect();
    let values = |name: &str| -> BTreeSet<String> {
        data.iter()
            .filter_map(|d| attr(*d, name).map(str::to_string))
            .collect()
    };
    assert_eq!(values("scheme"), BTreeSet::from(["https".to_string()]));
    assert_eq!(values("host"), BTreeSet::from([host.clone()]));
    assert_eq!(
        values("pathPrefix"),
        prefixes.iter().cloned().collect::<BTreeSet<_>>()
    );
    // The filter sits between the deep-link plugin's markers, so the plugin's build script
    // (run on every Android build) replaces exactly this block and nothing else.
    let marker = "<!-- DEEP LINK PLUGIN. AUTO-GENERATED. DO NOT REMOVE. -->";
    assert_eq!(text.matches(marker).count(), 2, "deep-link markers");
    let (start, end) = (
        text.find(marker).expect("marker"),
        text.rfind(marker).expect("marker"),
    );
    let view_pos = view.range().start;
    assert!(
        start < view_pos && view_pos < end,
        "VIEW filter inside the markers"
    );

    // <queries>: every scheme and package an action opens (Android 11+ package visibility).
    let queries = children(manifest, "queries").next().expect("<queries>");
    let packages = names(queries, "package");
    let intent_schemes: BTreeSet<String> = children(queries, "intent")
        .filter(|i| names(*i, "action").contains("android.intent.action.VIEW"))
        .flat_map(|i| children(i, "data").filter_map(|d| attr(d, "scheme").map(str::to_string)))
        .collect();
    let (action_schemes, action_packages) = action_targets();
    for s in SCHEMES.iter().map(|s| s.to_string()).chain(action_schemes) {
        assert!(
            intent_schemes.contains(&s),
            "<queries> VIEW intent for {s}:"
        );
    }
    assert!(!action_packages.is_empty());
    for p in &action_packages {
        assert!(packages.contains(p), "<queries> <package> {p}");
    }
}

#[test]
fn android_backup_rules_exclude_everything() {
    let text = read(&android_dir().join("res/xml/data_extraction_rules.xml"));
    let doc = Document::parse(&text).expect("data_extraction_rules.xml is XML");
    let rules = doc.root_element();
    assert_eq!(rules.tag_name().name(), "data-extraction-rules");
    for section in ["cloud-backup", "device-transfer"] {
        let s = children(rules, section)
            .next()
            .unwrap_or_else(|| panic!("<{section}>"));
        assert_eq!(
            children(s, "include").count(),
            0,
            "{section} includes nothing"
        );
        let excluded: BTreeSet<&str> = children(s, "exclude")
            .filter(|e| e.attribute("path") == Some("."))
            .filter_map(|e| e.attribute("domain"))
            .collect();
        for d in ["root", "file", "database", "sharedpref", "external"] {
            assert!(excluded.contains(d), "{section} excludes all of {d}");
            let device = format!("device_{d}");
            if d != "external" {
                assert!(
                    excluded.contains(device.as_str()),
                    "{section} excludes {device}"
                );
            }
        }
    }
}

fn string_resource(path: &Path, name: &str) -> String {
    let text = read(path);
    let doc = Document::parse(&text).expect("strings.xml is XML");
    let node = children(doc.root_element(), "string")
        .find(|n| n.attribute("name") == Some(name))
        .unwrap_or_else(|| panic!("{name} in {}", path.display()));
    // Android drops the surrounding double quotes of a resource string.
    node.text()
        .unwrap_or_default()
        .trim()
        .trim_matches('"')
        .to_string()
}

#[test]
fn android_app_name_english_and_chinese_and_package_matches_identifier() {
    let res = android_dir().join("res");
    let product = conf()["productName"]
        .as_str()
        .expect("productName")
        .to_string();
    assert_eq!(
        string_resource(&res.join("values/strings.xml"), "app_name"),
        product
    );
    let zh = string_resource(&res.join("values-zh/strings.xml"), "app_name");
    assert_eq!(zh, "活名片");

    // Android package = identifier (the server's assetlinks.json must name the same package).
    let identifier = conf()["identifier"]
        .as_str()
        .expect("identifier")
        .replace('-', "_");
    let gradle = read(&src_tauri().join("gen/android/app/build.gradle.kts"));
    assert!(gradle.contains(&format!("applicationId = \"{identifier}\"")));
    assert!(gradle.contains(&format!("namespace = \"{identifier}\"")));
    let kt = src_tauri()
        .join("gen/android/app/src/main/java")
        .join(identifier.replace('.', "/"))
        .join("MainActivity.kt");
    assert!(read(&kt).starts_with(&format!("package {identifier}\n")));

    // minSdk from tauri.android.conf.json, and the release signing hook.
    let android = json(&src_tauri().join("tauri.android.conf.json"));
    let min_sdk = android["bundle"]["android"]["minSdkVersion"]
        .as_u64()
        .expect("bundle.android.minSdkVersion");
    assert!(min_sdk >= 24);
    assert!(gradle.contains(&format!("minSdk = {min_sdk}")));
    assert!(gradle.contains("rootProject.file(\"keystore.properties\")"));
    assert!(gradle.contains("signingConfig = signingConfigs.getByName(\"release\")"));
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn android_icons_in_every_density() {
    let res = android_dir().join("res");
    let mut last = 0;
    for density in ["mdpi", "hdpi", "xhdpi", "xxhdpi", "xxxhdpi"] {
        let dir = res.join(format!("mipmap-{density}"));
        let (w, h) = png_size(&dir.join("ic_launcher.png"));
        assert_eq!(w, h, "{density} icon is square");
        assert!(w > last, "{density} icon larger than the density below");
        last = w;
        let (rw, _) = png_size(&dir.join("ic_launcher_round.png"));
        assert_eq!(rw, w, "{density} round icon");
        png_size(&dir.join("ic_launcher_foreground.png"));
    }
    assert!(last >= 192, "xxxhdpi launcher icon is 192 px");
    let adaptive = read(&res.join("mipmap-anydpi-v26/ic_launcher.xml"));
    assert!(adaptive.contains("@mipmap/ic_launcher_foreground"));
    // iOS app icons (from the same source) for the Xcode project.
    let (w, _) = png_size(&src_tauri().join("icons/ios/AppIcon-512@2x.png"));
    assert_eq!(w, 1024);
}

fn plist_dict(path: &Path) -> plist::Dictionary {
    plist::Value::from_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_dictionary()
        .unwrap_or_else(|| panic!("{} is a dictionary", path.display()))
}

fn string_array(dict: &plist::Dictionary, key: &str) -> Vec<String> {
    dict.get(key)
        .and_then(|v| v.as_array())
        .unwrap_or_else(|| panic!("{key} is an array"))
        .iter()
        .map(|v| v.as_string().expect("string").to_string())
        .collect()
}

const IOS_USAGE_KEYS: [&str; 5] = [
    "NFCReaderUsageDescription",
    "NSCameraUsageDescription",
    "NSPhotoLibraryUsageDescription",
    "NSMotionUsageDescription",
    "NSFaceIDUsageDescription",
];

#[test]
fn ios_info_plist_has_usage_strings_and_query_schemes() {
    let info = plist_dict(&src_tauri().join("Info.ios.plist"));
    for key in IOS_USAGE_KEYS {
        let text = info
            .get(key)
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| panic!("{key}"));
        assert!(text.len() > 20, "{key} says why");
    }
    let queried = string_array(&info, "LSApplicationQueriesSchemes");
    for s in IOS_QUERY_SCHEMES {
        assert!(
            queried.iter().any(|q| q == s),
            "LSApplicationQueriesSchemes {s}"
        );
    }
    // Every app scheme the crate opens is queryable (system schemes need no entry).
    for s in SCHEMES {
        let system = ["tel", "sms", "mailto", "https", "http", "geo", "market"].contains(s);
        assert!(system || queried.iter().any(|q| q == s), "{s} queryable");
    }
    let langs = string_array(&info, "CFBundleLocalizations");
    assert!(langs.iter().any(|l| l == "zh-Hans") && langs.iter().any(|l| l == "en"));

    // The Chinese texts: every usage string and the display name.
    let zh = read(&src_tauri().join("ios/zh-Hans.lproj/InfoPlist.strings"));
    for key in IOS_USAGE_KEYS.iter().chain(&["CFBundleDisplayName"]) {
        assert!(zh.contains(&format!("\"{key}\" = \"")), "zh-Hans {key}");
    }
    assert!(zh.contains("\"CFBundleDisplayName\" = \"活名片\";"));

    let ios = json(&src_tauri().join("tauri.ios.conf.json"));
    assert!(ios["bundle"]["iOS"]["minimumSystemVersion"].is_string());
}

#[test]
fn ios_entitlements_nfc_and_associated_domain_match_the_host() {
    let (host, _) = link();
    let ent = plist_dict(&src_tauri().join("livecard_app_iOS.entitlements"));
    assert_eq!(
        string_array(&ent, "com.apple.developer.associated-domains"),
        vec![format!("applinks:{host}")]
    );
    let formats = string_array(&ent, "com.apple.developer.nfc.readersession.formats");
    assert!(formats.iter().any(|f| f == "TAG"), "NFC tag reading");
    // App Store validation rejects "NDEF" for apps whose minimum iOS is 13 or later
    // (ITMS-90778 "NDEF is disallowed"); TAG covers NDEF reader sessions too (docs/MOBILE.md).
    assert!(!formats.iter().any(|f| f == "NDEF"), "NDEF is disallowed");
}

#[test]
fn one_configuration_for_every_platform() {
    let conf = conf();
    // The CLI finds the platform files next to the tauri.conf.json it opened (src-tauri/).
    let link = std::fs::read_link(src_tauri().join("tauri.conf.json")).expect("symlink");
    assert_eq!(link, Path::new("../tauri.conf.json"));
    let before = conf["build"]["beforeBuildCommand"]
        .as_str()
        .expect("build.beforeBuildCommand");
    assert!(before.contains("npm run build"));
    // A devUrl in the shared config would make every plain `cargo build` (the desktop E2E
    // binary) load a dev server: only the phone configs have one.
    assert!(conf["build"].get("devUrl").is_none());
    assert_eq!(
        conf["plugins"]["deep-link"]["desktop"]["schemes"],
        serde_json::json!(["livecard"])
    );
    for platform in ["android", "ios"] {
        let p = json(&src_tauri().join(format!("tauri.{platform}.conf.json")));
        assert!(
            p["plugins"].get("deep-link").is_none(),
            "the link host is set only in tauri.conf.json"
        );
    }
}
