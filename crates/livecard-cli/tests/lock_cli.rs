//! The PIN lock through the real `livecard` binary: each run is an app start, the lock state
//! lives in the (test-only) file keystore, so wrong PINs count across runs.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const CARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李四\r\nORG:华为\r\nTEL;TYPE=CELL:13800138000\r\nEND:VCARD\r\n";
const LOCKED_MSG: &str = "error: livecard is locked: give the PIN with --pin or LIVECARD_PIN";

/// Runs `livecard` on data dir `root/data` with its keystore in `root/keys`.
fn run(root: &Path, args: &[&str], env_pin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_livecard"));
    c.arg("--data-dir")
        .arg(root.join("data"))
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .env_remove("LIVECARD_PIN")
        .env_remove("LIVECARD_SERVER")
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", root.join("keys").display()),
        );
    if let Some(p) = env_pin {
        c.env("LIVECARD_PIN", p);
    }
    c.output().expect("run livecard")
}

fn ok(root: &Path, args: &[&str]) -> String {
    let o = run(root, args, None);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fails(root: &Path, args: &[&str]) -> String {
    let o = run(root, args, None);
    assert!(!o.status.success(), "{args:?} should fail");
    assert!(o.stdout.is_empty(), "{args:?}: nothing on stdout on error");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn status(root: &Path) -> Value {
    serde_json::from_str(&ok(root, &["lock", "status", "--json"])).expect("status JSON")
}

fn seed(root: &Path) {
    let vcf = root.join("c.vcf");
    std::fs::write(&vcf, CARD).unwrap();
    ok(root, &["add", vcf.to_str().unwrap()]);
    ok(root, &["me", "edit", "--set", "name=张三丰"]);
}

#[test]
fn set_pin_status_read_with_and_without_pin_and_remove() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    seed(root);

    // No PIN: status says so, --pin is ignored, reads work.
    let st = status(root);
    assert_eq!(st["pin_set"], false);
    assert_eq!(st["locked"], false);
    assert!(ok(root, &["list"]).contains("李四"));
    assert!(ok(root, &["--pin", "9999", "list"]).contains("李四"));

    ok(root, &["lock", "set-pin", "2580"]);
    let st = status(root);
    assert_eq!(st["pin_set"], true);
    assert_eq!(st["locked"], true, "each run starts locked");
    assert_eq!(st["wrong_tries"], 0);
    assert_eq!(st["wait_secs"], 0);
    for key in [
        "tries_left_before_delay",
        "auto_lock_secs",
        "wipe_after",
        "wipe_pending",
    ] {
        assert!(st.get(key).is_some(), "status has {key}: {st}");
    }

    // Every card-reading command refuses without the PIN, with the contract message.
    let export = root.join("out.vcf");
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["search", "li"],
        vec!["me", "show"],
        vec!["me", "list", "--json"],
        vec!["me", "vcf"],
        vec!["export", "--vcf", export.to_str().unwrap()],
    ] {
        let e = fails(root, &args);
        assert!(e.starts_with(LOCKED_MSG), "{args:?}: {e}");
    }
    assert!(!export.exists(), "nothing exported while locked");

    // With the right PIN (flag or env) it works.
    assert!(ok(root, &["--pin", "2580", "list"]).contains("李四"));
    assert!(ok(root, &["search", "li", "--pin", "2580"]).contains("李四"));
    let o = run(root, &["me", "show"], Some("2580"));
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("张三丰"));

    // Changing the PIN needs the current one.
    let e = fails(root, &["lock", "set-pin", "1234"]);
    assert!(e.contains("--pin"), "{e}");
    ok(root, &["lock", "set-pin", "1234", "--pin", "2580"]);
    assert!(fails(root, &["--pin", "2580", "list"]).contains("Wrong PIN"));
    assert!(ok(root, &["--pin", "1234", "list"]).contains("李四"));

    // Remove needs the PIN; a wrong one keeps it.
    assert!(fails(root, &["lock", "remove"]).contains("--pin"));
    assert!(fails(root, &["lock", "remove", "--pin", "0000"]).contains("Wrong PIN"));
    assert_eq!(status(root)["pin_set"], true);
    ok(root, &["lock", "remove", "--pin", "1234"]);
    let st = status(root);
    assert_eq!(st["pin_set"], false);
    assert_eq!(st["locked"], false);
    assert!(ok(root, &["list"]).contains("李四"));
}

#[test]
fn wrong_pins_count_across_runs_then_a_wait() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    seed(root);
    ok(root, &["lock", "set-pin", "2580"]);

    for n in 1..=4u64 {
        let e = fails(root, &["--pin", "0000", "list"]);
        assert!(e.contains("Wrong PIN"), "{e}");
        assert!(
            e.contains(&format!("{} more", 5 - n)),
            "tries left reported: {e}"
        );
        let st = status(root);
        assert_eq!(st["wrong_tries"], n, "{st}");
        assert_eq!(st["wait_secs"], 0);
    }
    // The 5th wrong PIN starts a wait.
    let e = fails(root, &["--pin", "0000", "list"]);
    assert!(e.contains("Try again in"), "{e}");
    let st = status(root);
    assert_eq!(st["wrong_tries"], 5);
    let wait = st["wait_secs"].as_u64().unwrap();
    assert!(wait > 0 && wait <= 30, "{st}");
    assert_eq!(st["tries_left_before_delay"], 0);

    // During the wait even the right PIN is not checked (and not counted).
    let e = fails(root, &["--pin", "2580", "list"]);
    assert!(e.contains("Too many wrong PINs"), "{e}");
    assert_eq!(status(root)["wrong_tries"], 5);

    // A bad-format PIN is refused without counting.
    let e = fails(root, &["--pin", "12", "lock", "wipe-after", "off"]);
    assert!(
        e.contains("Too many wrong PINs") || e.contains("at least 4"),
        "{e}"
    );
}

#[test]
fn wipe_after_needs_the_pin_and_a_valid_n() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    seed(root);
    // No PIN: nothing to wipe after.
    assert!(fails(root, &["lock", "wipe-after", "5"]).contains("No PIN"));
    ok(root, &["lock", "set-pin", "2580"]);
    assert!(fails(root, &["lock", "wipe-after", "5"]).starts_with(LOCKED_MSG));
    assert!(fails(root, &["--pin", "2580", "lock", "wipe-after", "3"]).contains("between 5"));
    let o = run(root, &["lock", "wipe-after", "5"], Some("2580"));
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("ERASED"));
    assert_eq!(status(root)["wipe_after"], 5);
    ok(root, &["--pin", "2580", "lock", "wipe-after", "off"]);
    assert_eq!(status(root)["wipe_after"], Value::Null);
}

/// The data directory comes back without its keystore: `lock status` says keys_missing, card
/// commands point at the two ways out, and `lock start-over --yes` (refused while the lock is
/// intact) deletes the received cards, keeps the own card and clears the PIN.
#[test]
fn keys_missing_status_and_start_over() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    seed(root);
    ok(root, &["lock", "set-pin", "2580"]);
    // Intact lock: neither way out bypasses the PIN.
    let bad = root.join("not-a-backup");
    std::fs::write(&bad, b"nothing").unwrap();
    let e = fails(root, &["lock", "start-over", "--yes"]);
    assert!(e.contains("lock of this phone is intact"), "{e}");
    let e = fails(
        root,
        &[
            "lock",
            "recover",
            "--backup",
            bad.to_str().unwrap(),
            "--passphrase",
            "whatever it is",
        ],
    );
    assert!(e.contains("lock of this phone is intact"), "{e}");
    assert_eq!(status(root)["keys_missing"], false);

    std::fs::remove_dir_all(root.join("keys")).unwrap();
    let st = status(root);
    assert_eq!(st["keys_missing"], true);
    assert_eq!(st["pin_set"], true);
    assert_eq!(st["locked"], true);
    let e = fails(root, &["list", "--pin", "2580"]);
    assert!(e.contains("lock recover --backup FILE"), "{e}");
    // A file that is no key backup changes nothing; start-over needs --yes.
    let e = fails(
        root,
        &[
            "lock",
            "recover",
            "--backup",
            bad.to_str().unwrap(),
            "--passphrase",
            "whatever it is",
        ],
    );
    assert!(!e.contains("intact"), "{e}");
    assert_eq!(status(root)["keys_missing"], true);
    let e = fails(root, &["lock", "start-over"]);
    assert!(e.contains("--yes"), "{e}");
    assert_eq!(status(root)["keys_missing"], true);

    let out: Value = serde_json::from_str(&ok(root, &["lock", "start-over", "--yes"])).unwrap();
    assert_eq!(out["erased"], 1);
    let st = status(root);
    assert_eq!(st["keys_missing"], false);
    assert_eq!(st["pin_set"], false);
    let list: Value = serde_json::from_str(&ok(root, &["list", "--json"])).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let me = ok(root, &["me", "show", "--json"]);
    assert!(me.contains("张三丰"), "{me}");
}
