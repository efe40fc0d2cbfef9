//! Issue 16 with the real `livecard` binary and real servers: `watch` prints an owner's change
//! as it arrives (SQLite; and two servers over one PostgreSQL), a stream cut by a server restart
//! loses nothing (the reconnect's sync brings the change made meanwhile), and "send mine back":
//! `reply` → the owner's `sync` adds the card; the server's database holds no plaintext of it;
//! the same sealed message twice is refused; a full inbox answers a clear error; block.
//!
//! Latencies (owner's `me publish` returned → the watcher printed the line) are printed as
//! `MEASURED …` lines (see docs/PERFORMANCE.md), never asserted against a time.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A real server (in-process, its own runtime thread) at `addr` (port 0: any), stopped on drop.
struct Srv {
    url: String,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Srv {
    fn start(database_url: &str, addr: &str) -> Srv {
        let mut config = livecard_server::Config::new(database_url.to_string());
        config.rate_per_second = 0;
        // Heartbeats every second (as PROTO16 says tests use), so silence is noticed fast.
        config.watch.heartbeat = Duration::from_secs(1);
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let bind = addr.to_string();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                // The port was just freed by the previous server: retry a moment.
                let deadline = Instant::now() + Duration::from_secs(20);
                let listener = loop {
                    match tokio::net::TcpListener::bind(&bind).await {
                        Ok(l) => break l,
                        Err(e) if Instant::now() < deadline => {
                            let _ = e;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(e) => panic!("bind {bind}: {e}"),
                    }
                };
                addr_tx.send(listener.local_addr().expect("addr")).unwrap();
                livecard_server::serve(config, listener, async move {
                    let _ = stopped.await;
                })
                .await
                .expect("server ran");
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server address");
        Srv {
            url: format!("http://{addr}"),
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("server thread");
        }
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        self.stop();
    }
}

fn cmd(dir: &Path, args: &[&str], server: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_livecard"));
    c.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LIVECARD_DATA_DIR")
        .env_remove("LIVECARD_SERVER")
        .env_remove("LIVECARD_PIN")
        .env(
            "LIVECARD_KEYSTORE",
            format!("insecure-file:{}", dir.join("test-keys").display()),
        )
        .stdin(Stdio::null());
    if let Some(s) = server {
        c.env("LIVECARD_SERVER", s);
    }
    c
}

fn run(dir: &Path, args: &[&str], server: Option<&str>) -> Output {
    cmd(dir, args, server).output().expect("run livecard")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&ok(o)).expect("JSON output")
}

fn err(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An owner with a published card; returns its share link.
fn publish(dir: &Path, server: &str, name: &str) -> String {
    ok(&run(
        dir,
        &["me", "edit", "--set", &format!("name={name}")],
        None,
    ));
    let p = json(&run(dir, &["me", "publish", "--json"], Some(server)));
    p["link"].as_str().expect("link").to_string()
}

/// `livecard watch --json` running in the background; its lines arrive on channels.
struct Watcher {
    child: Child,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Watcher {
    fn start(dir: &Path) -> Watcher {
        let mut child = cmd(dir, &["watch", "--json"], None)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn watch");
        let (otx, out) = mpsc::channel();
        let (etx, err) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                let _ = otx.send(l);
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                let _ = etx.send(l);
            }
        });
        Watcher {
            child,
            out,
            err,
            stderr_seen: Vec::new(),
        }
    }

    /// Waits (polling, with a deadline) for a stderr line containing `what`.
    fn wait_stderr(&mut self, what: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(l) = self.err.recv_timeout(Duration::from_millis(100)) {
                let hit = l.contains(what);
                self.stderr_seen.push(l);
                if hit {
                    return;
                }
            }
        }
        panic!(
            "watch never said {what:?}; stderr so far: {:#?}",
            self.stderr_seen
        );
    }

    /// The next stdout line (a JSON update), waiting at most `within`.
    fn next_update(&mut self, within: Duration) -> Value {
        match self.out.recv_timeout(within) {
            Ok(l) => serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}: {l}")),
            Err(_) => {
                while let Ok(l) = self.err.try_recv() {
                    self.stderr_seen.push(l);
                }
                panic!(
                    "no update within {within:?}; stderr: {:#?}",
                    self.stderr_seen
                )
            }
        }
    }

    /// SIGTERM; the watcher must exit 0.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let st = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(st.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                assert!(s.success(), "watch exited with {s} on SIGTERM");
                return;
            }
            assert!(Instant::now() < deadline, "watch did not exit on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Edits and publishes; returns when `me publish` started (the server stores the change
/// during that run).
fn edit_and_publish(dir: &Path, server: &str, set: &str) -> Instant {
    ok(&run(dir, &["me", "edit", "--set", set], None));
    let started = Instant::now();
    ok(&run(dir, &["me", "publish"], Some(server)));
    started
}

#[test]
fn watch_prints_a_change_and_a_restart_loses_nothing_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let db = format!("sqlite://{}", d.path().join("server.db").display());
    let mut s1 = Srv::start(&db, "127.0.0.1:0");
    let link = publish(&a, &s1.url, "Alice 李");
    ok(&run(&b, &["add", &link], None));

    let mut w = Watcher::start(&b);
    w.wait_stderr("watching 1 cards", Duration::from_secs(30));

    // 1. A change while the stream is live.
    let t = edit_and_publish(&a, &s1.url, "title=CTO");
    let u = w.next_update(Duration::from_secs(30));
    let ms = t.elapsed().as_millis();
    eprintln!("MEASURED watch latency (SQLite, `me publish` started -> line printed, incl. that process): {ms} ms");
    assert_eq!(u["version"], 2, "{u}");
    assert_eq!(u["changed"], serde_json::json!(["title"]), "{u}");
    assert_eq!(u["status"], "active");
    let card_id = u["card_id"].as_str().unwrap().to_string();
    let shown = json(&run(
        &b,
        &["open", u["id"].as_str().unwrap(), "--json"],
        None,
    ));
    assert!(shown.to_string().contains("\"CTO\""), "{shown}");

    // 2. The stream is cut (server stopped); the owner publishes through another server
    //    over the same database while the watcher is disconnected; the server comes back on
    //    the same port: the reconnect's batch sync brings the change.
    let port = s1.addr;
    s1.stop();
    w.wait_stderr("reconnecting", Duration::from_secs(30));
    let mut other = Srv::start(&db, "127.0.0.1:0");
    edit_and_publish(&a, &other.url, "company=Missed while down");
    other.stop();
    let _s1b = Srv::start(&db, &port.to_string());
    let u = w.next_update(Duration::from_secs(90));
    assert_eq!(u["card_id"], card_id.as_str());
    assert_eq!(u["version"], 3, "{u}");
    assert_eq!(u["changed"], serde_json::json!(["company"]), "{u}");
    w.wait_stderr("watching 1 cards", Duration::from_secs(30));

    // 3. Deleted by its owner: a status line.
    ok(&run(&a, &["me", "delete"], Some(&_s1b.url)));
    let u = w.next_update(Duration::from_secs(30));
    assert_eq!(u["status"], "deleted", "{u}");
    w.terminate();
}

/// A fresh schema in the local PostgreSQL (psql), or None with a loud SKIPPED line.
fn pg_schema(test: &str) -> Option<String> {
    let require = std::env::var("LIVECARD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let schema = format!("lc_cli_{test}_{}", std::process::id());
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"),
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(format!(
            "postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3D{schema}"
        )),
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                !require,
                "LIVECARD_REQUIRE_POSTGRES=1 but no PostgreSQL: {why}"
            );
            eprintln!("SKIPPED: no PostgreSQL at 127.0.0.1:5432 ({why}) — {test} did not run");
            None
        }
    }
}

#[test]
fn watch_across_two_servers_over_one_postgres() {
    let Some(db) = pg_schema("watch2") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let s1 = Srv::start(&db, "127.0.0.1:0");
    let s2 = Srv::start(&db, "127.0.0.1:0");
    // The card's link names server 2: B adds and watches there; A writes through server 1.
    let link = publish(&a, &s2.url, "Alice PG");
    ok(&run(&b, &["add", &link], None));
    let mut w = Watcher::start(&b);
    w.wait_stderr("watching 1 cards", Duration::from_secs(30));
    for (i, title) in ["CTO", "CEO", "Chair"].iter().enumerate() {
        let t = edit_and_publish(&a, &s1.url, &format!("title={title}"));
        let u = w.next_update(Duration::from_secs(30));
        let ms = t.elapsed().as_millis();
        eprintln!(
            "MEASURED watch latency (2 servers over PostgreSQL, `me publish` via 1 started -> line via 2): {ms} ms"
        );
        assert_eq!(u["version"], i as u64 + 2, "{u}");
        assert_eq!(u["changed"], serde_json::json!(["title"]), "{u}");
    }
    w.terminate();
    drop(s1);
    drop(s2);
}

/// Bytes of every file of the server's SQLite database (main file, WAL).
fn db_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p: PathBuf = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("server.db") {
            all.extend(std::fs::read(&p).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn reply_adds_my_card_at_the_owner_and_the_server_sees_no_plaintext() {
    let d = tempfile::tempdir().unwrap();
    let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
    let sdir = d.path().join("srv");
    std::fs::create_dir_all(&sdir).unwrap();
    let db = format!("sqlite://{}", sdir.join("server.db").display());
    let s = Srv::start(&db, "127.0.0.1:0");
    let link_a = publish(&a, &s.url, "Alice");
    let link_b = publish(&b, &s.url, "Bob MARKERNAMEQX");
    ok(&run(&b, &["add", &link_a], None));
    let held: Value = json(&run(&b, &["list", "--json"], None));
    let a_local = held[0]["id"].as_str().unwrap().to_string();

    // Without an own published card there is nothing to send back.
    ok(&run(&c, &["add", &link_a], None));
    let e = err(&run(&c, &["reply", &a_local], None));
    assert!(
        e.contains("not found") || e.contains("no received card"),
        "{e}"
    );
    let c_list = json(&run(&c, &["list", "--json"], None));
    let e = err(&run(
        &c,
        &["reply", c_list[0]["id"].as_str().unwrap()],
        None,
    ));
    assert!(e.contains("publish your own card first"), "{e}");

    let r = json(&run(
        &b,
        &["reply", &a_local, "--note", "NOTEMARKERZZ 展会见", "--json"],
        None,
    ));
    assert_eq!(r["to"], a_local.as_str());
    assert!(r["expires"].as_u64().unwrap() > 1_700_000_000);

    // The server's database: no name, note or link of the sender anywhere in its files.
    let raw = db_bytes(&sdir);
    assert!(!raw.is_empty());
    let secret_b = link_b.rsplit('#').next().unwrap();
    for marker in ["MARKERNAMEQX", "NOTEMARKERZZ", secret_b, "Alice"] {
        assert!(!contains(&raw, marker), "server DB holds {marker:?}");
    }

    // A's sync takes the inbox and adds Bob's card.
    let rep = json(&run(&a, &["sync", "--json"], Some(&s.url)));
    assert_eq!(rep["inbox_received"], 1, "{rep}");
    assert_eq!(rep["inbox_cards"], 1, "{rep}");
    let inbox = json(&run(&a, &["inbox", "--json"], None));
    assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
    let m = &inbox[0];
    assert_eq!(m["name"], "Bob MARKERNAMEQX");
    assert_eq!(m["note"], "NOTEMARKERZZ 展会见");
    assert_eq!(m["state"], "new");
    let bob_local = m["card_id"].as_str().unwrap().to_string();
    let a_list = json(&run(&a, &["list", "--json"], None));
    assert!(a_list.to_string().contains("MARKERNAMEQX"));
    let text = ok(&run(&a, &["inbox"], None));
    assert!(text.contains("new card from Bob MARKERNAMEQX"), "{text}");

    // A second sync: nothing new (acked, taken once).
    let rep = json(&run(&a, &["sync", "--json"], Some(&s.url)));
    assert_eq!(rep["inbox_received"], 0, "{rep}");
    let accepted = json(&run(
        &a,
        &["inbox", "--accept", m["msg"].as_str().unwrap(), "--json"],
        None,
    ));
    assert_eq!(accepted["state"], "accepted");

    // Block: Bob's card goes, and his next reply is dropped.
    ok(&run(&b, &["reply", &a_local, "--note", "again"], None));
    ok(&run(&a, &["sync"], Some(&s.url)));
    let inbox = json(&run(&a, &["inbox", "--json"], None));
    let again = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["note"] == "again")
        .expect("second reply listed")
        .clone();
    // Bob's card was already held, so this reply did not add it: blocking keeps the card
    // (accepted from the first reply) and drops every later reply from it.
    let blocked = json(&run(
        &a,
        &["inbox", "--block", again["msg"].as_str().unwrap(), "--json"],
        None,
    ));
    assert_eq!(blocked["state"], "blocked");
    ok(&run(&b, &["reply", &a_local, "--note", "third"], None));
    let rep = json(&run(&a, &["sync", "--json"], Some(&s.url)));
    assert_eq!(rep["inbox_received"], 1, "{rep}");
    assert_eq!(rep["inbox_cards"], 0, "{rep}");
    let inbox = json(&run(&a, &["inbox", "--json"], None));
    let third = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["note"] == "third")
        .expect("third reply listed");
    assert_eq!(third["state"], "blocked");
    // The held card of Bob is still the one accepted earlier.
    ok(&run(&a, &["open", &bob_local, "--json"], None));

    // Rotation: B's reply to the old key is refused until B syncs the new card version.
    ok(&run(&a, &["inbox", "--rotate-key"], Some(&s.url)));
    let e = err(&run(&b, &["reply", &a_local], None));
    assert!(
        e.contains("inbox_key_rotated") || e.contains("changed the card's inbox key"),
        "{e}"
    );
    ok(&run(&b, &["sync"], None));
    ok(&run(
        &b,
        &["reply", &a_local, "--note", "after rotation"],
        None,
    ));
}

#[test]
fn a_full_inbox_answers_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let db = format!("sqlite://{}", d.path().join("server.db").display());
    let s = Srv::start(&db, "127.0.0.1:0");
    let link_a = publish(&a, &s.url, "Alice");
    publish(&b, &s.url, "Bob");
    ok(&run(&b, &["add", &link_a], None));
    let held = json(&run(&b, &["list", "--json"], None));
    let a_local = held[0]["id"].as_str().unwrap().to_string();
    let cap = livecard_format::wire::DEFAULT_MAX_INBOX_PENDING;
    for i in 0..cap {
        ok(&run(
            &b,
            &["reply", &a_local, "--note", &format!("n{i}")],
            None,
        ));
    }
    let e = err(&run(&b, &["reply", &a_local], None));
    assert!(
        e.contains("inbox_full") && e.contains("inbox is full"),
        "{e}"
    );
    // The owner takes them all (more than one take's worth is fine) and the inbox has room.
    let rep = json(&run(&a, &["sync", "--json"], Some(&s.url)));
    assert_eq!(rep["inbox_received"], cap as u64, "{rep}");
    ok(&run(&b, &["reply", &a_local, "--note", "room again"], None));
}

/// A msg is base64url and may start with `-` (1 in 64): `inbox --accept -…` must take it as the
/// value, not as an unknown option (found when the reply test drew such a msg).
#[test]
fn an_inbox_msg_that_starts_with_a_hyphen_is_a_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    for flag in ["--accept", "--ignore", "--block"] {
        let e = err(&run(
            dir.path(),
            &["inbox", flag, "-cUnknownMsg0123456789a"],
            None,
        ));
        assert!(!e.contains("unexpected argument"), "{flag}: {e}");
        assert!(!e.contains("Usage:"), "{flag}: {e}");
    }
}
