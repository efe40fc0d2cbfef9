//! `livecard add --nfc-json FILE`: the real binary adds a card from the JSON a phone's NFC
//! plugin gives for a tag — Android-shaped (Kotlin's signed bytes) and iOS-shaped (unsigned,
//! `["MiFare"]`, or only `{"records":…}`), bare or wrapped as `{"tag": …}` — for a card an
//! owner published on a real livecard-server (in-process on 127.0.0.1). An offline copy is
//! added with the server stopped; bad answers fail and change nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use livecard_format::ndef;
use serde_json::{json, Value};

mod common;
use common::Server;

fn livecard(dir: &Path, args: &[&str], server: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livecard"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .env_remove("LIVECARD_SERVER")
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", dir.join("test-keys").display()),
        )
        .stdin(std::process::Stdio::null());
    if let Some(s) = server {
        cmd.env("LIVECARD_SERVER", s);
    }
    cmd.output().expect("run livecard")
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: Output) -> String {
    assert!(
        !o.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(o.stdout.is_empty(), "nothing on stdout on error");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The plugin answer for an NDEF message: `signed` as upstream Kotlin's `fromU8Array` puts
/// bytes (−128..127), else unsigned as Swift's `[UInt8]`.
fn answer(message: &[u8], signed: bool, reversed: bool) -> Vec<Value> {
    let conv = |b: &[u8]| -> Vec<i64> {
        b.iter()
            .map(|&x| if signed { x as i8 as i64 } else { x as i64 })
            .collect()
    };
    let mut records: Vec<Value> = ndef::decode_message(message)
        .unwrap()
        .iter()
        .map(|r| {
            json!({"tnf": r.tnf as u8, "kind": conv(&r.record_type), "id": conv(&r.id), "payload": conv(&r.payload)})
        })
        .collect();
    if reversed {
        records.reverse();
    }
    records
}

fn save(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    p
}

fn names(dir: &Path) -> Vec<String> {
    let list: Value = serde_json::from_str(&ok(livecard(dir, &["list", "--json"], None))).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["card"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn android_and_ios_answers_add_the_published_card_and_an_offline_copy_needs_no_server() {
    let root = tempfile::tempdir().unwrap();
    let owner = root.path().join("owner");
    let mut server = Server::start(root.path());
    let url = server.url.clone();

    ok(livecard(
        &owner,
        &[
            "me",
            "edit",
            "--set",
            "name=欧阳娜娜",
            "--set",
            "company=北京示例科技有限公司",
            "--set",
            "title=产品经理",
            "--add",
            "mobile=13800138000",
        ],
        Some(&url),
    ));
    let link = ok(livecard(&owner, &["me", "publish"], Some(&url)));
    assert!(link.contains("/c/"), "{link}");
    let with_copy = owner.join("tag215.ndef");
    let link_only = owner.join("tag213.ndef");
    ok(livecard(
        &owner,
        &[
            "me",
            "nfc",
            "--out",
            with_copy.to_str().unwrap(),
            "--tag",
            "ntag215",
        ],
        Some(&url),
    ));
    ok(livecard(
        &owner,
        &[
            "me",
            "nfc",
            "--out",
            link_only.to_str().unwrap(),
            "--tag",
            "ntag213",
        ],
        Some(&url),
    ));
    let copy_msg = std::fs::read(&with_copy).unwrap();
    let link_msg = std::fs::read(&link_only).unwrap();
    assert_eq!(
        ndef::decode_message(&copy_msg).unwrap().len(),
        2,
        "link + offline copy"
    );
    assert_eq!(
        ndef::decode_message(&link_msg).unwrap().len(),
        1,
        "link only"
    );

    // iOS, link only (its server is up): bare answer of a tag session and a wrapped NDEF
    // session answer; the second adds nothing new.
    let phone = root.path().join("iphone");
    let ios = save(
        root.path(),
        "ios.json",
        &json!({"id": [4, 161, 178, 195, 212, 229, 246], "kind": ["MiFare"], "readOnly": false,
                "records": answer(&link_msg, false, false)}),
    );
    let added: Value = serde_json::from_str(&ok(livecard(
        &phone,
        &["add", "--nfc-json", ios.to_str().unwrap(), "--json"],
        Some(&url),
    )))
    .unwrap();
    assert_eq!(added[0]["name"], "欧阳娜娜", "{added}");
    assert_eq!(added[0]["status"], "added", "{added}");
    let ios_wrapped = save(
        root.path(),
        "ios-wrapped.json",
        &json!({"tag": {"records": answer(&link_msg, false, false)}}),
    );
    let again: Value = serde_json::from_str(&ok(livecard(
        &phone,
        &["add", "--nfc-json", ios_wrapped.to_str().unwrap(), "--json"],
        Some(&url),
    )))
    .unwrap();
    assert_eq!(
        again[0]["id"], added[0]["id"],
        "the same card stays one card"
    );
    assert_eq!(names(&phone), ["欧阳娜娜"]);

    // Android with the offline copy, signed bytes, wrapped, records reversed — and the
    // server stopped: the copy is added at once, live.
    server.stop();
    let signed = answer(&copy_msg, true, true);
    assert!(
        signed.iter().any(|r| r["payload"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.as_i64().unwrap() < 0)),
        "the Chinese card gives bytes >= 0x80, sent as negative numbers"
    );
    let android = save(
        root.path(),
        "android.json",
        &json!({"tag": {"id": [4, -95, -78, 61, 84, 101, -128],
                        "kind": ["android.nfc.tech.NfcA", "android.nfc.tech.MifareUltralight",
                                 "android.nfc.tech.Ndef"],
                        "records": signed}}),
    );
    let android_phone = root.path().join("android");
    let added: Value = serde_json::from_str(&ok(livecard(
        &android_phone,
        &["add", "--nfc-json", android.to_str().unwrap(), "--json"],
        Some(&url),
    )))
    .unwrap();
    assert_eq!(added[0]["name"], "欧阳娜娜", "{added}");
    let card: Value =
        serde_json::from_str(&ok(livecard(&android_phone, &["list", "--json"], None))).unwrap();
    assert_eq!(card[0]["card"]["company"], "北京示例科技有限公司", "{card}");
    assert_eq!(card[0]["card"]["title"], "产品经理", "{card}");

    // The same answer from stdin (`-`) on a fresh phone, also without a server.
    let stdin_phone = root.path().join("stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_livecard"))
        .arg("--data-dir")
        .arg(&stdin_phone)
        .args(["add", "--nfc-json", "-"])
        .env_remove("LIVECARD_DATA_DIR")
        .env_remove("LIVECARD_SERVER")
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", stdin_phone.join("test-keys").display()),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        &std::fs::read(&android).unwrap(),
    )
    .unwrap();
    ok(child.wait_with_output().unwrap());
    assert_eq!(names(&stdin_phone), ["欧阳娜娜"]);
}

#[test]
fn bad_or_empty_answers_fail_clearly_and_change_nothing() {
    let root = tempfile::tempdir().unwrap();
    let phone = root.path().join("phone");
    // A vCard tag (static card) first, so there is something that must stay unchanged.
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:陈明\r\nTEL;TYPE=CELL:13700001111\r\nEND:VCARD\r\n";
    let vcard_msg =
        ndef::encode_message(&[ndef::Record::mime("text/vcard", vcf.as_bytes().to_vec())]).unwrap();
    let good = save(
        root.path(),
        "vcard.json",
        &json!({"records": answer(&vcard_msg, true, false)}),
    );
    ok(livecard(
        &phone,
        &["add", "--nfc-json", good.to_str().unwrap()],
        None,
    ));
    assert_eq!(names(&phone), ["陈明"]);

    let cases: Vec<(&str, String, &str)> = vec![
        ("not-json.json", "{\"records\": [".into(), "not valid JSON"),
        (
            "out-of-range.json",
            json!({"records": [{"tnf": 1, "kind": [85], "payload": [4, 300]}]}).to_string(),
            "records[0].payload[1] is 300",
        ),
        (
            "empty.json",
            json!({"id": [4, 1, 2], "kind": ["android.nfc.tech.NfcA", "android.nfc.tech.Ndef"], "records": []}).to_string(),
            "empty",
        ),
        (
            "not-ndef.json",
            json!({"id": [1, 2, 3, 4], "kind": ["android.nfc.tech.IsoDep", "android.nfc.tech.NfcA"], "records": []}).to_string(),
            "not NDEF",
        ),
        (
            "text-only.json",
            json!({"records": [{"tnf": 1, "kind": [84], "payload": [2, 122, 104, -28, -67, -96]}]}).to_string(),
            "no card",
        ),
        ("shape.json", "[\"a\", 1]".into(), "records[0]"),
    ];
    for (name, body, says) in cases {
        let p = root.path().join(name);
        std::fs::write(&p, body).unwrap();
        let e = err(livecard(
            &phone,
            &["add", "--nfc-json", p.to_str().unwrap()],
            None,
        ));
        assert!(e.contains(says), "{name}: {e}");
    }
    let e = err(livecard(
        &phone,
        &[
            "add",
            "--nfc-json",
            root.path().join("missing.json").to_str().unwrap(),
        ],
        None,
    ));
    assert!(e.contains("cannot read"), "{e}");
    // A link and --nfc-json together are refused by the argument parser.
    let e = err(livecard(
        &phone,
        &[
            "add",
            "https://x.example/c/AAAA",
            "--nfc-json",
            good.to_str().unwrap(),
        ],
        None,
    ));
    assert!(e.contains("cannot be used with"), "{e}");
    assert_eq!(names(&phone), ["陈明"], "nothing changed");
}
