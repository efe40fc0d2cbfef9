//! The CLI contract of the field table (issue 14 item 1): `livecard fields --json` lists every
//! field, and every key it lists works with `me edit --set KEY=VALUE` and survives vCard
//! export (`me vcf`) → import (`me import`) in another data dir. Real binary, temp dirs.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn livecard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_livecard"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .output()
        .expect("run livecard")
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = livecard(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A value a person could type for a field of this kind, and what the card then holds
/// (`None`: the same text). Only the kind (and two keys with extra rules) decide it, so a
/// field added to the table is covered without touching this test.
fn sample(key: &str, kind: &str, dir: &Path) -> (String, Option<Value>) {
    match (key, kind) {
        ("qq", _) => ("12345678".into(), None),
        ("telegram", _) => ("@zhang_san".into(), Some("zhang_san".into())),
        (_, "phone") => ("138 0013 8000".into(), Some("+8613800138000".into())),
        (_, "email") => ("zsf@wudang.example".into(), None),
        (_, "url") => (
            "wudang.example".into(),
            Some("https://wudang.example/".into()),
        ),
        (_, "datetime") => (
            "2031-01-01T10:00:00Z".into(),
            Some("2031-01-01T10:00:00Z".into()),
        ),
        (_, "address") => ("湖北省十堰市武当山".into(), None),
        (_, "image") => {
            let png = dir.join("avatar.png");
            std::fs::write(&png, b"\x89PNG\r\n\x1a\nxxxx").unwrap();
            (png.display().to_string(), None)
        }
        _ => (format!("{key} 值 value"), None),
    }
}

/// The card's JSON value of `key` in the shape the sample is compared in.
fn held(card: &Value, key: &str, kind: &str) -> Value {
    let v = &card[key];
    match kind {
        "address" => v[0]["street"].clone(),
        "image" => v["mime"].clone(),
        _ if v.is_array() => v[0].clone(),
        _ => v.clone(),
    }
}

#[test]
fn every_listed_field_sets_and_survives_vcard_round_trip() {
    let d = tempfile::tempdir().unwrap();
    let table = json(d.path(), &["fields", "--json"]);
    let rows = table.as_array().expect("fields --json is an array");
    assert!(rows.len() >= 22, "{table}");
    let keys: Vec<&str> = rows.iter().filter_map(|r| r["key"].as_str()).collect();
    for must in ["name", "mobile", "email", "address", "qq", "temp_until"] {
        assert!(keys.contains(&must), "{must} missing from {keys:?}");
    }
    for r in rows {
        for k in ["key", "kind", "vcard", "label_zh", "label_en"] {
            assert!(r[k].as_str().is_some_and(|s| !s.is_empty()), "{k} of {r}");
        }
    }
    // The human table names every key too.
    let out = livecard(d.path(), &["fields"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for k in &keys {
        assert!(
            text.lines().any(|l| l.split_whitespace().next() == Some(k)),
            "{k} not in:\n{text}"
        );
    }

    for r in rows {
        let key = r["key"].as_str().unwrap();
        let kind = r["kind"].as_str().unwrap();
        if matches!(key, "name" | "family" | "given") {
            // Covered by name below (name splits into family and given).
            continue;
        }
        let home = tempfile::tempdir().unwrap();
        let (value, want) = sample(key, kind, home.path());
        let want = want.unwrap_or_else(|| match kind {
            "image" => "image/png".into(),
            _ => value.clone().into(),
        });
        let mut args: Vec<String> = vec![
            "me".into(),
            "edit".into(),
            "--set".into(),
            "name=张三丰".into(),
            "--set".into(),
            format!("{key}={value}"),
        ];
        match key {
            // A temporary number needs an expiry, and an expiry is kept only with a number.
            "temp_number" => {
                args.extend(["--set".into(), "temp_until=2031-01-01T10:00:00Z".into()])
            }
            "temp_until" => args.extend(["--set".into(), "temp_number=13700137000".into()]),
            _ => {}
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let me = json(home.path(), &args);
        assert_eq!(held(&me, key, kind), want, "--set {key}={value}: {me}");

        // vCard out of this data dir, into a fresh one.
        let vcf = home.path().join("me.vcf");
        let out = livecard(home.path(), &["me", "vcf", "--out", vcf.to_str().unwrap()]);
        assert!(out.status.success(), "{key}: me vcf failed");
        let other = tempfile::tempdir().unwrap();
        let imported = json(other.path(), &["me", "import", vcf.to_str().unwrap()]);
        assert_eq!(
            held(&imported, key, kind),
            want,
            "{key} lost in vCard export → import:\n{}\n{imported}",
            std::fs::read_to_string(&vcf).unwrap()
        );
        assert_eq!(imported["name"], "张三丰");
        assert_eq!(imported["family"], "张");
        assert_eq!(imported["given"], "三丰");
    }
}

#[test]
fn unknown_field_names_the_known_ones() {
    let d = tempfile::tempdir().unwrap();
    let out = livecard(d.path(), &["me", "edit", "--set", "nope=1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let table = json(d.path(), &["fields", "--json"]);
    for r in table.as_array().unwrap() {
        let key = r["key"].as_str().unwrap();
        assert!(err.contains(key), "{key} not named in: {err}");
    }
}
