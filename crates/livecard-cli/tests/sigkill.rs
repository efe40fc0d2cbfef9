//! Client faults (issue 17, item 5): the real `livecard` binary killed with SIGKILL in the
//! middle of importing 10,000 vCards, and in the middle of a batch sync (answer stalled
//! mid-body by a proxy in front of a real server; or killed once the whole answer arrived).
//! The database must open consistent (SQLite `integrity_check` when the sqlite3 CLI exists),
//! hold no half-applied card, keep the recipient's notes, and the next run must complete.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::Server;

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
        None => livecard_testkit::skip(
            "the sqlite3 integrity_check after the kill (the CLI still opens the database below)",
            "sqlite3 is not installed (apt-get install sqlite3)",
        ),
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

// ---------------------------------------------------------------------------------------------
// Batch sync killed: a real server in-process, a TCP proxy in front of it that can stall the
// `POST /v1/sync` answer mid-body, and B's `livecard sync` killed there (or while applying).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

const PASS: u8 = 0;
/// Sync answers: headers and half the body forwarded, then nothing more.
const HOLD_MID_BODY: u8 = 1;
/// Sync answers: forwarded whole, then `sent_full` is set.
const FLAG_FULL: u8 = 2;

#[derive(Default)]
struct ProxyState {
    mode: AtomicU8,
    held: AtomicBool,
    sent_full: AtomicBool,
}

/// A TCP proxy on 127.0.0.1:0 in front of `upstream`; its threads end with their sockets.
fn proxy(upstream: String) -> (String, Arc<ProxyState>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let st = Arc::new(ProxyState::default());
    let st2 = st.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(client) = c else { return };
            let st = st2.clone();
            let up = upstream.clone();
            std::thread::spawn(move || conn(client, &up, &st));
        }
    });
    (addr, st)
}

fn header_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Whether `b` holds one whole HTTP answer (content-length or chunked); its head length.
fn whole_answer(b: &[u8]) -> Option<usize> {
    let h = header_end(b)?;
    let head = String::from_utf8_lossy(&b[..h]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match len {
        Some(n) if b.len() >= h + n => Some(h),
        Some(_) => None,
        None if b.ends_with(b"0\r\n\r\n") => Some(h),
        None => None,
    }
}

fn conn(mut client: TcpStream, upstream: &str, st: &ProxyState) {
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return;
    };
    let timeout = Some(Duration::from_secs(60));
    let _ = client.set_read_timeout(timeout);
    let _ = up.set_read_timeout(timeout);
    let is_sync = Arc::new(AtomicBool::new(false));
    // client → server, noting whether this connection carries a batch sync.
    {
        let (Ok(mut c), Ok(mut u)) = (client.try_clone(), up.try_clone()) else {
            return;
        };
        let is_sync = is_sync.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            loop {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if buf[..n].starts_with(b"POST /v1/sync") {
                            is_sync.store(true, Ordering::SeqCst);
                        }
                        if u.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = u.shutdown(std::net::Shutdown::Write);
        });
    }
    // server → client
    let mut buf = [0u8; 65536];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match up.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mode = st.mode.load(Ordering::SeqCst);
        if mode == PASS || !is_sync.load(Ordering::SeqCst) {
            if client.write_all(&buf[..n]).is_err() {
                break;
            }
            continue;
        }
        pending.extend_from_slice(&buf[..n]);
        let Some(h) = whole_answer(&pending) else {
            continue;
        };
        if mode == HOLD_MID_BODY {
            let cut = h + (pending.len() - h) / 2;
            let _ = client.write_all(&pending[..cut]);
            let _ = client.flush();
            st.held.store(true, Ordering::SeqCst);
            // Hold: wait for the client to go away (killed), bounded by the read timeout.
            let mut c = [0u8; 1];
            while matches!(client.read(&mut c), Ok(n) if n > 0) {}
            return;
        }
        let _ = client.write_all(&pending);
        let _ = client.flush();
        pending.clear();
        st.sent_full.store(true, Ordering::SeqCst);
    }
}

fn run_env(dir: &Path, args: &[&str], server: &str) -> Output {
    cmd(dir, args)
        .env("LIVECARD_SERVER", format!("http://{server}"))
        .output()
        .expect("run livecard")
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&ok(o)).unwrap()
}

fn old_name(i: usize) -> String {
    format!("旧名 Old {i}")
}
fn new_name(i: usize) -> String {
    format!("新名 New {i}")
}
fn old_co(i: usize) -> String {
    format!("旧公司 Old Co {i}")
}
fn new_co(i: usize) -> String {
    format!("新公司 New Co {i}")
}

/// B's cards by id → index i (from the name or company), each either wholly old or wholly
/// new; returns how many are new. Notes set before the sync must be there.
fn check_b(b: &Path, ids: &[String]) -> usize {
    let cards = list(b);
    assert_eq!(cards.len(), ids.len(), "B lost or gained cards: {cards:?}");
    let mut new = 0;
    for (i, id) in ids.iter().enumerate() {
        let c = cards
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap_or_else(|| panic!("card {id} missing on B"));
        let name = c["name"].as_str().unwrap_or_default();
        let co = c["card"]["company"].to_string();
        let is_old = name == old_name(i) && co.contains(&old_co(i));
        let is_new = name == new_name(i) && co.contains(&new_co(i));
        assert!(is_old || is_new, "card {i} half-applied: {c}");
        assert_eq!(
            c["notes"],
            format!("B 的备注 note {i}"),
            "notes of card {i}: {c}"
        );
        new += usize::from(is_new);
    }
    new
}

#[test]
fn batch_sync_killed_mid_transfer_or_while_applying_leaves_cards_old_or_new_and_resyncs() {
    let n = 20;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path());
    let target = server.addr.to_string();
    let (px, st) = proxy(target.clone());
    let a = tmp.path().join("a");

    // A: n own cards, published (through the proxy, in pass mode).
    let mut own = Vec::new();
    for i in 0..n {
        let sets = [
            format!("name={}", old_name(i)),
            format!("company={}", old_co(i)),
        ];
        let mut args = vec!["me", if i == 0 { "edit" } else { "new" }];
        for s in &sets {
            args.extend(["--set", s.as_str()]);
        }
        let card = json(&run_env(&a, &args, &px));
        let id = card["id"].as_str().expect("own card id").to_string();
        own.push(id);
    }
    let mut links = Vec::new();
    for id in &own {
        let link = ok(&run_env(&a, &["me", "publish", "--card", id], &px));
        // The server names itself in the link: point B at the proxy instead.
        links.push(link.trim().replace(&target, &px));
    }

    // Variant 1 (held mid-body) and variant 2 (killed after the whole answer arrived).
    for variant in [HOLD_MID_BODY, FLAG_FULL] {
        let b = tmp.path().join(format!("b{variant}"));
        let mut ids = Vec::new();
        for (i, link) in links.iter().enumerate() {
            let r = json(&run(&b, &["add", link, "--json"]));
            let id = r[0]["id"].as_str().expect("added id").to_string();
            ok(&run(&b, &["note", &id, &format!("B 的备注 note {i}")]));
            ids.push(id);
        }
        assert_eq!(check_b(&b, &ids), 0);

        // A edits and republishes every card (version +1 on the server).
        for (i, id) in own.iter().enumerate() {
            let co = format!("company={}", new_co(i));
            let nm = format!("name={}", new_name(i));
            ok(&run_env(
                &a,
                &["me", "edit", "--card", id, "--set", &nm, "--set", &co],
                &px,
            ));
            ok(&run_env(&a, &["me", "publish", "--card", id], &px));
        }

        st.held.store(false, Ordering::SeqCst);
        st.sent_full.store(false, Ordering::SeqCst);
        st.mode.store(variant, Ordering::SeqCst);
        let mut g = Guard(Some(
            cmd(&b, &["sync", "--json"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn sync"),
        ));
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut hit = false;
        while Instant::now() < deadline && !g.finished() {
            if variant == HOLD_MID_BODY && st.held.load(Ordering::SeqCst) {
                hit = true;
                break;
            }
            // Killed as soon as the whole answer is out: B is decoding or applying it (the
            // batch is one transaction, so the kill lands before or after its commit).
            if variant == FLAG_FULL && st.sent_full.load(Ordering::SeqCst) {
                hit = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let finished = g.finished();
        g.kill();
        st.mode.store(PASS, Ordering::SeqCst);
        if variant == HOLD_MID_BODY {
            assert!(
                hit && !finished,
                "the proxy {px} never held the sync answer; links[0] {}; a second sync: {:?}",
                links[0],
                run(&b, &["sync", "--json"])
            );
        }

        // B's database opens and is intact; every card wholly old or wholly new, notes kept.
        if let Some(r) = integrity_check(&b.join(DB_FILE)) {
            assert_eq!(r, "ok", "integrity_check after the kill");
        }
        let new = check_b(&b, &ids);
        if variant == HOLD_MID_BODY {
            assert_eq!(
                new, 0,
                "killed before the answer was whole: nothing applied"
            );
        }
        eprintln!(
            "variant {variant}: killed mid-transfer (1) / after the whole answer (2): {hit}, \
             sync finished first: {finished}, cards new after the kill: {new}/{n} \
             (0 = killed before the apply committed, {n} = after)"
        );

        // The next sync completes and brings every card to the new version.
        let r = json(&run(&b, &["sync", "--json"]));
        assert!(
            r["errors"].as_array().is_some_and(|e| e.is_empty()),
            "sync errors: {r}"
        );
        assert_eq!(check_b(&b, &ids), n, "after the next sync: {r}");

        // Reset A to the old values for the next variant's fresh B.
        for (i, id) in own.iter().enumerate() {
            let co = format!("company={}", old_co(i));
            let nm = format!("name={}", old_name(i));
            ok(&run_env(
                &a,
                &["me", "edit", "--card", id, "--set", &nm, "--set", &co],
                &px,
            ));
            ok(&run_env(&a, &["me", "publish", "--card", id], &px));
        }
    }
}
