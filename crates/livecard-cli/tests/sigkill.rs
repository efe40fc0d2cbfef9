//! Client faults (issue 17, item 5): the real `livecard` binary killed with SIGKILL in the
//! middle of importing 10,000 vCards. The database must open consistent (SQLite
//! `integrity_check`), hold no half-applied card, and the next run must complete.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const DB_FILE: &str = "livecard.sqlite";

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_livecard"));
    c.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .env_remove("LIVECARD_SERVER")
        .env_remove("LIVECARD_PASSPHRASE")
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", dir.join("test-keys").display()),
        )
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir, args).output().expect("run livecard")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Kills (SIGKILL) and reaps the child when dropped, so a failing assertion leaves no process.
struct Guard(Option<Child>);

impl Guard {
    fn kill(&mut self) -> Option<std::process::ExitStatus> {
        let mut c = self.0.take()?;
        let _ = c.kill(); // SIGKILL on Unix
        c.wait().ok()
    }
    fn finished(&mut self) -> bool {
        match self.0.as_mut().map(|c| c.try_wait()) {
            Some(Ok(Some(_))) => true,
            Some(_) => false,
            None => true,
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Card i of the generated file: alternately a Chinese and a Latin name, a unique mobile and email.
fn card(i: usize) -> (String, String, String) {
    const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "陈", "刘", "杨", "黄"];
    const GIVEN: [&str; 6] = ["伟", "芳", "娜", "秀英", "敏", "静"];
    let name = if i.is_multiple_of(2) {
        format!("{}{}{i}", SURNAMES[i % 8], GIVEN[i % 6])
    } else {
        format!("Alice Müller-Smith {i}")
    };
    let mobile = format!("+86139{i:08}");
    let email = format!("user{i}@example.com");
    (name, mobile, email)
}

fn write_vcf(path: &Path, n: usize) {
    let mut s = String::with_capacity(n * 120);
    for i in 0..n {
        let (name, mobile, email) = card(i);
        s.push_str(&format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nORG:测试公司 Test Ltd\r\nTEL;TYPE=CELL:{mobile}\r\nEMAIL:{email}\r\nEND:VCARD\r\n"
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// `PRAGMA integrity_check` through the sqlite3 CLI when the machine has one (it is not a
/// dependency); `None` when it is missing.
fn integrity_check(db: &Path) -> Option<String> {
    let o = Command::new("sqlite3")
        .arg(db)
        .arg("PRAGMA integrity_check;")
        .output()
        .ok()?;
    assert!(
        o.status.success(),
        "sqlite3 could not open {}: {}",
        db.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    Some(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn list(dir: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&ok(&run(dir, &["list", "--json"]))).unwrap();
    v.as_array().expect("list --json is an array").clone()
}

/// Every listed card is one of the file's cards, whole: its name, mobile and email as written.
fn assert_whole(cards: &[Value], n: usize) {
    let expected: std::collections::HashMap<String, (String, String)> = (0..n)
        .map(|i| {
            let (name, m, e) = card(i);
            (name, (m, e))
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for c in cards {
        let name = c["name"].as_str().unwrap_or_default().to_string();
        let (m, e) = expected
            .get(&name)
            .unwrap_or_else(|| panic!("a card not in the file (half-applied?): {c}"));
        let text = c["card"].to_string();
        assert!(
            text.contains(m.as_str()) && text.contains(e.as_str()),
            "card {name} is missing its mobile {m} or email {e}: {c}"
        );
        assert!(seen.insert(name.clone()), "card {name} listed twice");
    }
}

#[test]
fn import_of_10000_vcards_killed_midway_leaves_a_consistent_database_and_reruns() {
    let n = 10_000;
    let tmp = tempfile::tempdir().unwrap();
    let vcf = tmp.path().join("contacts.vcf");
    write_vcf(&vcf, n);
    let vcf_s = vcf.to_str().unwrap();

    let mut killed_midway = false;
    let mut dir = PathBuf::new();
    // Bounded attempts: a fresh data dir each time; kill once the WAL exists and has grown.
    for attempt in 0..3 {
        dir = tmp.path().join(format!("d{attempt}"));
        // Create the database first so the import's writes are what grows the WAL.
        ok(&run(&dir, &["list", "--json"]));
        let db = dir.join(DB_FILE);
        assert!(db.exists(), "no {DB_FILE} in the data dir");
        let wal = dir.join(format!("{DB_FILE}-wal"));
        let base = file_len(&wal);

        let mut g = Guard(Some(
            cmd(&dir, &["add", vcf_s, "--json"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn livecard add"),
        ));
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut grown_at = None;
        while Instant::now() < deadline && !g.finished() {
            let len = file_len(&wal);
            if len > base + 64 * 1024 {
                grown_at = Some(len);
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let done_before = g.finished();
        g.kill();
        if grown_at.is_some() && !done_before {
            killed_midway = true;
            eprintln!("attempt {attempt}: killed with the WAL at {grown_at:?} bytes");
            break;
        }
        eprintln!("attempt {attempt}: the import finished before the kill (machine too fast)");
    }

    // The database opens, is intact, and holds no half-applied card.
    let db = dir.join(DB_FILE);
    match integrity_check(&db) {
        Some(r) => assert_eq!(r, "ok", "integrity_check after the kill"),
        None => {
            eprintln!("sqlite3 not installed: integrity_check skipped (the CLI opens it below)")
        }
    }
    let after_kill = list(&dir);
    eprintln!("cards after the kill: {}", after_kill.len());
    assert_whole(&after_kill, n);
    assert!(
        after_kill.is_empty() || after_kill.len() == n,
        "the import is one transaction: expected 0 or {n} cards after the kill, got {} \
         (killed midway: {killed_midway})",
        after_kill.len()
    );

    // The next full run completes and leaves exactly n cards (a re-run matches by name + phone).
    let out: Value = serde_json::from_str(&ok(&run(&dir, &["add", vcf_s, "--json"]))).unwrap();
    assert_eq!(
        out.as_array().map(|a| a.len()),
        Some(n),
        "add result per card"
    );
    let statuses: std::collections::HashSet<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    let expected_status = if after_kill.is_empty() {
        "added"
    } else {
        "unchanged"
    };
    assert_eq!(
        statuses,
        [expected_status].into_iter().collect(),
        "statuses of the re-run"
    );
    let all = list(&dir);
    assert_eq!(
        all.len(),
        n,
        "exactly {n} cards after the re-run, no duplicates"
    );
    assert_whole(&all, n);
    if let Some(r) = integrity_check(&db) {
        assert_eq!(r, "ok");
    }
    assert!(
        killed_midway,
        "the import finished before every kill in 3 attempts (machine too fast); \
         the rest was still checked"
    );
}
