//! Runs the share page's JavaScript tests (`assets/tests/*.test.mjs`: WebCrypto decryption of
//! docs/protocol-vectors.json, the vCard writer, link sanitising) with `node --test`, so that
//! `cargo test` covers them. Node ≥ 20 is installed by scripts/setup.sh; without it the test
//! says SKIPPED loudly (and fails in CI, where node must be present).

use std::process::Command;

#[test]
fn share_page_javascript_tests_pass() {
    let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");
    let output = match Command::new("node")
        .args(["--test", "tests/"])
        .current_dir(assets)
        .output()
    {
        Ok(o) => o,
        Err(e) if std::env::var_os("CI").is_none() => {
            return livecard_testkit::skip(
                "share page JS tests",
                &format!("cannot run node ({e}); install nodejs >= 20"),
            );
        }
        Err(e) => panic!("node is required in CI for the share page's tests: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node --test failed:\n{stdout}\n{stderr}"
    );
    // The runner must have run tests, not found none.
    let passed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("# pass "))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    assert!(
        passed >= 20,
        "expected the share page's tests to run, got:\n{stdout}"
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
}
