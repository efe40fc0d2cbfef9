//! Phone numbers in the CLI's human output are formatted for the user's region (`--region`,
//! default CN): national format at home ("138 0013 8000"), international for others
//! ("+1 650-253-0000"). `--json` keeps the stored E.164 values and adds `display` beside them.
//! Real binary, temp data dirs.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn livecard(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_livecard"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .env_remove("LIVECARD_REGION")
        .output()
        .expect("run livecard");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(livecard(dir, args).stdout).unwrap()
}

const CARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:John Doe\r\nTEL;TYPE=CELL:+1 650 253 0000\r\n\
TEL;TYPE=WORK:+86 10 6552 9988 ext. 12\r\nTEL;TYPE=WORK:ask for John\r\nEND:VCARD\r\n";

#[test]
fn show_prints_numbers_formatted_for_the_users_region_and_json_keeps_e164() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    livecard(
        dir,
        &[
            "me",
            "edit",
            "--set",
            "name=张三丰",
            "--set",
            "mobile=13800138000",
            "--add",
            "mobile=+1 650 253 0000",
            "--set",
            "temp_number=137-0013-7000",
            "--set",
            "temp_until=2030-01-01T18:00:00+08:00",
        ],
    );
    let shown = text(dir, &["me", "show"]);
    assert!(shown.contains("手机 Mobile: 138 0013 8000\n"), "{shown}");
    assert!(shown.contains("手机 Mobile: +1 650-253-0000\n"), "{shown}");
    assert!(shown.contains(": 137 0013 7000 (until/至 "), "{shown}");
    assert!(!shown.contains("+8613800138000"), "{shown}");

    // The JSON contract: stored values as before, `display` added.
    let json: Value =
        serde_json::from_slice(&livecard(dir, &["me", "show", "--json"]).stdout).unwrap();
    assert_eq!(json["mobile"][0], "+8613800138000");
    assert_eq!(json["mobile"][1], "+16502530000");
    assert_eq!(json["temp_number"], "+8613700137000");
    assert_eq!(json["display"]["mobile"][0], "138 0013 8000");
    assert_eq!(json["display"]["mobile"][1], "+1 650-253-0000");

    // Seen from the US.
    let us = text(dir, &["--region", "US", "me", "show"]);
    assert!(us.contains("手机 Mobile: +86 138 0013 8000\n"), "{us}");
    assert!(us.contains("手机 Mobile: (650) 253-0000\n"), "{us}");

    // A received card: `open` prints the same way; a value that is no number as written.
    let file = dir.join("john.vcf");
    std::fs::write(&file, CARD).unwrap();
    let id = text(dir, &["add", file.to_str().unwrap()])
        .trim()
        .to_string();
    let opened = text(dir, &["open", &id]);
    assert!(
        opened.contains("手机 Mobile: +1 650-253-0000\n"),
        "{opened}"
    );
    assert!(
        opened.contains("座机 Landline: 010 6552 9988 ext. 12\n"),
        "{opened}"
    );
    assert!(opened.contains("座机 Landline: ask for John\n"), "{opened}");
    let json: Value =
        serde_json::from_slice(&livecard(dir, &["open", &id, "--json"]).stdout).unwrap();
    assert_eq!(json["card"]["phone"][0], "+861065529988;ext=12");
}
