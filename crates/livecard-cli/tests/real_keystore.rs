//! The keystore that ships, exercised: no `LIVECARD_KEYSTORE`, so the real `livecard` binary
//! keeps the owner's keys in the OS keystore — on Linux the kernel keyring (keyutils), in a
//! fresh session keyring made by `keyctl session -` so that nothing leaks into, or comes from,
//! the user's own keyring. Every other CLI test uses the file store; this one proves the OS
//! store works end to end: publish, the keys sit in the kernel keyring (not in files), and a
//! key backup imports back into it. (keyutils also links them where a later session of the
//! same user finds them, so "another session cannot see them" is not asserted.)
//!
//! Needs `keyctl` (Debian keyutils; scripts/setup.sh installs it). Without it the test says
//! SKIPPED (counted; a failure under LIVECARD_REQUIRE_ALL=1).

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `script` (bash) in a fresh session keyring, with `$LC` the livecard binary and no
/// test keystore in the environment.
fn in_session(dir: &Path, server: &str, script: &str) -> Output {
    Command::new("keyctl")
        .args(["session", "-", "bash", "-euo", "pipefail", "-c", script])
        .env("LC", env!("CARGO_BIN_EXE_livecard"))
        .env("LIVECARD_DATA_DIR", dir)
        .env("LIVECARD_SERVER", server)
        .env("LIVECARD_PASSPHRASE", "correct horse battery staple")
        .env_remove("LIVECARD_KEYSTORE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run keyctl session")
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn files_under(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn publish_keeps_the_keys_in_the_kernel_keyring() {
    match Command::new("keyctl").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => {
            return livecard_testkit::skip(
                "the real-keystore CLI test",
                "keyctl is missing (apt-get install keyutils)",
            )
        }
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = common::Server::start(tmp.path());
    let dir = tmp.path().join("phone");
    let backup = tmp.path().join("keys.lckeys");

    // One session: create, publish, check the keys are in this session's keyring, export them.
    let out = ok(
        &in_session(
            &dir,
            &server.url,
            &format!(
                r#"
"$LC" me edit --set name=张三丰 --set mobile=13800138000 >/dev/null
"$LC" me publish >/dev/null
echo "KEYRING:"; keyctl rlist @s | xargs -r -n1 keyctl rdescribe
"$LC" keys export {} >/dev/null
"#,
                backup.display()
            ),
        ),
        "publish in a session",
    );
    let keyring = out.split("KEYRING:").nth(1).unwrap_or_default();
    assert!(
        keyring.matches("seed").count() >= 1 && keyring.matches("secret").count() >= 1,
        "the card's seed and share secret are in the session keyring:\n{out}"
    );
    // Not the file fallback: no secret was written to <data dir>/keys.
    let files = files_under(&dir.join("keys"));
    assert!(
        files.is_empty(),
        "the OS keystore worked, so nothing may fall back to files: {files:?}"
    );
    assert!(backup.exists(), "key backup written");

    // Another session: the key backup imports into the OS keystore and publishing works.
    ok(
        &in_session(
            &dir,
            &server.url,
            &format!(
                r#""$LC" keys import {} >/dev/null; "$LC" me edit --set mobile=13900139000 >/dev/null; "$LC" me publish >/dev/null"#,
                backup.display()
            ),
        ),
        "import the key backup into a new session and publish",
    );
    assert!(files_under(&dir.join("keys")).is_empty());
}
