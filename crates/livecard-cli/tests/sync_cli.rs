//! Sync commands of the real `livecard` binary where no server answers (the two-device test in
//! tests/tests/two_devices.rs drives them against a real server): clear errors, the outbox,
//! and key backups between two data dirs.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// A server URL where nothing listens (a port just freed).
fn dead_server() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

fn livecard(dir: &Path, args: &[&str], server: Option<&str>, pass: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livecard"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .env_remove("LIVECARD_SERVER")
        .env_remove("LIVECARD_PASSPHRASE")
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", dir.join("test-keys").display()),
        )
        .stdin(std::process::Stdio::null());
    if let Some(s) = server {
        cmd.env("LIVECARD_SERVER", s);
    }
    if let Some(p) = pass {
        cmd.env("LIVECARD_PASSPHRASE", p);
    }
    cmd.output().expect("run livecard")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn offline_publish_queues_and_keys_move_between_devices() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let b = d.path().join("b");
    let dead = dead_server();
    ok(&livecard(
        &a,
        &["me", "edit", "--set", "name=张三丰"],
        None,
        None,
    ));

    let e = err(&livecard(&a, &["me", "publish"], None, None));
    assert!(e.contains("no sync server configured"), "{e}");
    let e = err(&livecard(&a, &["me", "nfc", "--out", "x.ndef"], None, None));
    assert!(e.contains("not published yet"), "{e}");

    // Server down: publish says so, the write waits in the outbox; sync reports, exits 0.
    let e = err(&livecard(&a, &["me", "publish"], Some(&dead), None));
    assert!(e.contains("offline") && e.contains("outbox"), "{e}");
    let r: Value =
        serde_json::from_str(&ok(&livecard(&a, &["sync", "--json"], None, None))).unwrap();
    assert_eq!(r["outbox_replayed"], 0);
    assert!(r["outbox_pending"].as_u64().unwrap() >= 1, "{r}");
    assert!(!r["errors"].as_array().unwrap().is_empty());

    // The card's keys exist (made at the first publish): back them up and restore elsewhere.
    let file = d.path().join("keys.json");
    let f = file.to_str().unwrap();
    let e = err(&livecard(&a, &["keys", "export", f], None, None));
    assert!(e.contains("no passphrase"), "{e}");
    let e = err(&livecard(&a, &["keys", "export", f], None, Some("short")));
    assert!(e.contains("at least 8"), "{e}");
    ok(&livecard(
        &a,
        &["keys", "export", f],
        None,
        Some("correct horse"),
    ));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"argon2id\"") && !text.contains("张三丰"));
    let e = err(&livecard(
        &b,
        &["keys", "import", f],
        None,
        Some("wrong horse"),
    ));
    assert!(e.contains("wrong passphrase"), "{e}");
    let imported: Value = serde_json::from_str(&ok(&livecard(
        &b,
        &["keys", "import", f, "--passphrase", "correct horse"],
        None,
        None,
    )))
    .unwrap();
    assert_eq!(imported["created"], 1);
    let me: Value =
        serde_json::from_str(&ok(&livecard(&b, &["me", "show", "--json"], None, None))).unwrap();
    assert_eq!(me["name"], "张三丰");
}

#[test]
fn adding_a_link_with_the_server_down_adds_nothing() {
    let d = tempfile::tempdir().unwrap();
    let link = format!(
        "{}/c/KZDVVJ2UMNDUYAUF#UCQ2FI5EUWTKPKFJVKV2ZLNOV4",
        dead_server()
    );
    let e = err(&livecard(d.path(), &["add", &link], None, None));
    assert!(e.contains("nothing added"), "{e}");
    let list: Value =
        serde_json::from_str(&ok(&livecard(d.path(), &["list", "--json"], None, None))).unwrap();
    assert_eq!(list, Value::Array(vec![]));
    let e = err(&livecard(
        d.path(),
        &["add", "https://x.example/c/nope"],
        None,
        None,
    ));
    assert!(e.contains("invalid share link"), "{e}");
}
