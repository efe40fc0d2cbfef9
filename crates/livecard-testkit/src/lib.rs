//! Test helpers shared by the workspace's tests (a dev-dependency only; never in a product).
//!
//! **Skips are loud and counted.** A test that cannot run because a tool or service is missing
//! (PostgreSQL, node, Chromium, zbarimg, Python's ndeflib, a kernel keyring…) calls [`skip`]
//! and returns. [`skip`]:
//!
//! * panics instead when `LIVECARD_REQUIRE_ALL=1` (CI sets it: there a missing tool is a
//!   failure), or when one of the caller's own "required" variables is set
//!   (`LIVECARD_REQUIRE_POSTGRES=1` for PostgreSQL — see [`skip_postgres`]);
//! * writes a `SKIPPED` line to the process's real stderr (not `eprintln!`, which libtest
//!   captures and hides for a passing test);
//! * appends one line to the file `LIVECARD_SKIP_LOG` names, so that `scripts/test.sh` can say
//!   "N tests skipped" at the end.

use std::io::Write;

/// The variable that turns every skip into a failure (CI).
pub const REQUIRE_ALL_ENV: &str = "LIVECARD_REQUIRE_ALL";
/// The variable that turns a PostgreSQL skip into a failure (kept from before REQUIRE_ALL).
pub const REQUIRE_POSTGRES_ENV: &str = "LIVECARD_REQUIRE_POSTGRES";
/// The file every skip appends a line to, when set.
pub const SKIP_LOG_ENV: &str = "LIVECARD_SKIP_LOG";

/// `<target>/<profile>`: where cargo put the running test binary's sibling binaries (a test
/// runs as `<target>/<profile>/deps/<test>-<hash>`).
pub fn profile_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(std::path::Path::parent)
        .expect("a test binary lives in <target>/<profile>/deps")
        .to_path_buf()
}

/// The workspace's binaries (`livecard`, `livecard-server`, …) exactly as `cargo test
/// --workspace` builds them, for tests that run them as processes from a package that does
/// not own them (no `CARGO_BIN_EXE_…` there): runs `cargo test --workspace --no-run --locked`
/// into the calling test binary's own target directory and profile, and returns
/// `<target>/<profile>/<name>` for each name.
///
/// Under `scripts/test.sh` (which runs `cargo test --workspace`) that is a no-op: the binaries
/// were built with the tests. Never `cargo build -p …` here: building one package resolves its
/// dependencies' features differently from the workspace's test build, so cargo compiles most
/// dependencies a second time — measured on a cold CI machine: 343 s for one test.
pub fn workspace_bins(names: &[&str]) -> Vec<std::path::PathBuf> {
    let profile_dir = profile_dir();
    let target = profile_dir.parent().expect("target dir");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args([
        "test",
        "--workspace",
        "--no-run",
        "--locked",
        "-q",
        "--target-dir",
    ])
    .arg(target)
    .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo test --workspace --no-run");
    assert!(status.success(), "cargo test --workspace --no-run failed");
    names
        .iter()
        .map(|name| {
            let bin = profile_dir.join(name);
            assert!(bin.is_file(), "{} was not built", bin.display());
            bin
        })
        .collect()
}

fn is_one(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// Whether a skip would fail here: `LIVECARD_REQUIRE_ALL=1` or any of `also` set to `1`.
pub fn skips_fail(also: &[&str]) -> bool {
    is_one(REQUIRE_ALL_ENV) || also.iter().any(|v| is_one(v))
}

/// Records that `test` did not run because `why` (say what to install), or panics when skips
/// must fail (see the crate docs). `also`: further variables that make this skip a failure.
pub fn skip_unless_required(test: &str, why: &str, also: &[&str]) {
    if skips_fail(also) {
        let by: Vec<&str> = std::iter::once(REQUIRE_ALL_ENV)
            .chain(also.iter().copied())
            .filter(|v| is_one(v))
            .collect();
        panic!(
            "{test} cannot run: {why} — and {}=1 requires it",
            by.join("=1, ")
        );
    }
    let line = format!("SKIPPED: {test} did not run: {why}");
    // The real stderr: libtest captures eprintln! of passing tests.
    let _ = writeln!(std::io::stderr(), "\n!!!!!!!! {line} !!!!!!!!\n");
    if let Some(path) = std::env::var_os(SKIP_LOG_ENV).filter(|p| !p.is_empty()) {
        // One write of one line in append mode: concurrent tests do not interleave.
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// [`skip_unless_required`] with no further variables.
pub fn skip(test: &str, why: &str) {
    skip_unless_required(test, why, &[]);
}

/// A PostgreSQL skip: also fails under `LIVECARD_REQUIRE_POSTGRES=1`.
pub fn skip_postgres(test: &str, why: &str) {
    skip_unless_required(test, why, &[REQUIRE_POSTGRES_ENV]);
}

/// A generated file is current: `rel` (from the workspace root) holds exactly `want`. With
/// `LIVECARD_REGENERATE` set it is rewritten instead; a drift fails with `regenerate`, the
/// command that rewrites it.
pub fn check_generated(rel: &str, want: &str, regenerate: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    if std::env::var_os("LIVECARD_REGENERATE").is_some() {
        std::fs::write(&path, want).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{rel} is not what its source generates; run `LIVECARD_REGENERATE=1 {regenerate}`"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test: it changes process-wide environment variables.
    #[test]
    fn skips_are_logged_or_fail_when_required() {
        let dir = std::env::temp_dir().join(format!("lc-testkit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("skips.log");
        std::env::remove_var(REQUIRE_ALL_ENV);
        std::env::remove_var(REQUIRE_POSTGRES_ENV);
        std::env::set_var(SKIP_LOG_ENV, &log);
        skip("t1", "no tool one");
        skip_postgres("t2", "no PostgreSQL");
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("t1 did not run: no tool one"), "{text}");

        std::env::set_var(REQUIRE_POSTGRES_ENV, "1");
        assert!(std::panic::catch_unwind(|| skip_postgres("t3", "no PostgreSQL")).is_err());
        // A plain skip does not care about the PostgreSQL variable.
        skip("t4", "no tool four");
        std::env::set_var(REQUIRE_ALL_ENV, "1");
        let e = std::panic::catch_unwind(|| skip("t5", "no tool five")).unwrap_err();
        let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("LIVECARD_REQUIRE_ALL=1"), "{msg}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            text.lines().count(),
            3,
            "failed skips are not counted as skips: {text}"
        );
        std::env::remove_var(REQUIRE_ALL_ENV);
        std::env::remove_var(REQUIRE_POSTGRES_ENV);
        std::env::remove_var(SKIP_LOG_ENV);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
