//! The version cache behind fast 304s (src/version_cache.rs) never hides a newer version:
//! - written through the same server: seen by the very next conditional GET (SQLite and
//!   PostgreSQL, in-process servers);
//! - written through another server process over the same PostgreSQL database (two real
//!   `livecard-server` binaries): seen by the other's very next conditional GET, every time,
//!   both directions, PUT and DELETE — the read barrier (src/changes.rs);
//! - when the barrier cannot come back (the listener's connection stops delivering, here through
//!   a TCP proxy that swallows it), the conditional GET reads the database: no stale 304.
//!
//! Each test first proves the cache is in use (its hit counter in /metrics grows), so the
//! fresh answers are not just a database read.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use livecard_format::crypto::sign_delete;
use support::{Owner, TestDb, TestServer};

/// The real binary on 127.0.0.1:0; killed when dropped.
struct Proc {
    child: Child,
    base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &TestDb) -> Proc {
    start_url(&db.url)
}

fn start_url(url: &str) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_livecard-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            url,
            "--rate-per-second",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn livecard-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let base = line
        .trim()
        .strip_prefix("livecard-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Proc { child, base }
}

/// A counter from the server's /metrics.
async fn metric(client: &reqwest::Client, base: &str, name: &str) -> u64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
}

/// `livecard_version_cache_hits_total` from the server's /metrics.
async fn cache_hits(client: &reqwest::Client, base: &str) -> u64 {
    metric(client, base, "livecard_version_cache_hits_total").await
}

/// Conditional GET with `If-None-Match: "held"`; returns the status.
async fn cond_get(client: &reqwest::Client, base: &str, id: &str, held: u64) -> u16 {
    client
        .get(format!("{base}/v1/cards/{id}"))
        .header("If-None-Match", format!("\"{held}\""))
        .send()
        .await
        .expect("conditional GET")
        .status()
        .as_u16()
}

async fn put(client: &reqwest::Client, base: &str, owner: &Owner, version: u64) {
    let r = owner.record(version);
    let resp = client
        .put(format!("{base}/v1/cards/{}", r.id))
        .json(&r)
        .send()
        .await
        .expect("PUT");
    assert!(
        resp.status().is_success(),
        "PUT v{version}: {}",
        resp.status()
    );
}

/// Fills the cache for `id` at `version` and proves answers come from it.
async fn warm(client: &reqwest::Client, base: &str, id: &str, version: u64) {
    let before = cache_hits(client, base).await;
    for _ in 0..5 {
        assert_eq!(cond_get(client, base, id, version).await, 304);
    }
    let after = cache_hits(client, base).await;
    assert!(
        after >= before + 4,
        "conditional GETs are answered from the cache ({before} -> {after} hits)"
    );
}

async fn same_server_sees_its_own_writes(db: TestDb) {
    let server = TestServer::start(support::config(&db)).await;
    let client = reqwest::Client::new();
    let owner = Owner::new("缓存");
    let id = owner.record(1).id.to_string();
    put(&client, &server.base, &owner, 1).await;
    warm(&client, &server.base, &id, 1).await;
    for v in 2..=30u64 {
        put(&client, &server.base, &owner, v).await;
        assert_eq!(
            cond_get(&client, &server.base, &id, v - 1).await,
            200,
            "{}: v{v} written through this server is seen at once",
            db.label
        );
        assert_eq!(cond_get(&client, &server.base, &id, v).await, 304);
    }
    let t = sign_delete(&owner.keys, 31).expect("tombstone");
    let resp = client
        .delete(server.url(&format!("/v1/cards/{id}")))
        .json(&t)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(resp.status(), 200);
    assert_eq!(cond_get(&client, &server.base, &id, 30).await, 410);
    server.stop().await;
}

#[tokio::test]
async fn sqlite_same_server_sees_its_own_writes() {
    same_server_sees_its_own_writes(support::sqlite_db()).await;
}

#[tokio::test]
async fn postgres_same_server_sees_its_own_writes() {
    let Some(db) = support::postgres_db("vcache_same").await else {
        return;
    };
    same_server_sees_its_own_writes(db).await;
}

async fn delete(client: &reqwest::Client, base: &str, owner: &Owner, version: u64) {
    let t = sign_delete(&owner.keys, version).expect("tombstone");
    let resp = client
        .delete(format!("{base}/v1/cards/{}", t.id))
        .json(&t)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(resp.status(), 200, "DELETE v{version}");
}

#[tokio::test]
async fn two_processes_over_one_postgres_see_each_others_writes() {
    let Some(db) = support::postgres_db("vcache_two").await else {
        return;
    };
    // The first process creates the schema; the second starts on a migrated database.
    let a = start(&db);
    let b = start(&db);
    let client = reqwest::Client::new();
    let owner = Owner::new("两台服务器");
    let id = owner.record(1).id.to_string();
    put(&client, &a.base, &owner, 1).await;
    warm(&client, &a.base, &id, 1).await;
    warm(&client, &b.base, &id, 1).await;

    // Every round: a PUT through one server, then the other server's very next conditional GET
    // for the old version must answer the new one (200), and its next for the new version is
    // a 304 — from its cache (the hit counters grow by one per round and server).
    let rounds = 20u64;
    let hits_before = (
        cache_hits(&client, &a.base).await,
        cache_hits(&client, &b.base).await,
    );
    for v in 2..=rounds + 1 {
        let (writer, reader) = if v % 2 == 0 { (&a, &b) } else { (&b, &a) };
        put(&client, &writer.base, &owner, v).await;
        assert_eq!(
            cond_get(&client, &reader.base, &id, v - 1).await,
            200,
            "v{v} written through one server is seen by the other's very next conditional GET"
        );
        assert_eq!(cond_get(&client, &reader.base, &id, v).await, 304);
        assert_eq!(cond_get(&client, &writer.base, &id, v).await, 304);
    }
    let hits_after = (
        cache_hits(&client, &a.base).await,
        cache_hits(&client, &b.base).await,
    );
    assert!(
        hits_after.0 >= hits_before.0 + rounds && hits_after.1 >= hits_before.1 + rounds,
        "the 304s came from the caches: hits {hits_before:?} -> {hits_after:?}"
    );

    // Deletes, both ways: seen by the other server's very next conditional GET.
    delete(&client, &b.base, &owner, rounds + 2).await;
    assert_eq!(
        cond_get(&client, &a.base, &id, rounds + 1).await,
        410,
        "A sees the delete made through B at once"
    );
    let other = Owner::new("另一张");
    let other_id = other.record(1).id.to_string();
    put(&client, &b.base, &other, 1).await;
    warm(&client, &b.base, &other_id, 1).await;
    delete(&client, &a.base, &other, 2).await;
    assert_eq!(
        cond_get(&client, &b.base, &other_id, 1).await,
        410,
        "B sees the delete made through A at once"
    );
}

/// A TCP proxy in front of PostgreSQL that can swallow what the server sends on the
/// connections that ran `LISTEN` (a listener whose connection silently stopped delivering).
struct PgProxy {
    port: u16,
    conns: Arc<Mutex<Vec<Arc<ProxyConn>>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct ProxyConn {
    listener: AtomicBool,
    swallowed: AtomicBool,
}

impl PgProxy {
    async fn start() -> PgProxy {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let port = socket.local_addr().expect("proxy addr").port();
        let conns: Arc<Mutex<Vec<Arc<ProxyConn>>>> = Arc::default();
        let list = conns.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = socket.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect("127.0.0.1:5432").await else {
                    continue;
                };
                let conn = Arc::new(ProxyConn::default());
                list.lock().unwrap().push(conn.clone());
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = conn.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        if buf[..n].windows(7).any(|w| w == b"LISTEN ") {
                            up.listener.store(true, Ordering::SeqCst);
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = sr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        // Swallowed: read on (PostgreSQL is never blocked), forward nothing.
                        if conn.swallowed.load(Ordering::SeqCst) {
                            continue;
                        }
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        PgProxy { port, conns, task }
    }

    /// From now on nothing PostgreSQL sends on the listening connections open now arrives.
    fn swallow_listeners(&self) -> usize {
        let conns = self.conns.lock().unwrap();
        let mut n = 0;
        for c in conns.iter().filter(|c| c.listener.load(Ordering::SeqCst)) {
            if !c.swallowed.swap(true, Ordering::SeqCst) {
                n += 1;
            }
        }
        n
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barrier_that_cannot_come_back_reads_the_database() {
    let Some(db) = support::postgres_db("vcache_barrier_down").await else {
        return;
    };
    let proxy = PgProxy::start().await;
    let a = start(&db);
    // B reaches PostgreSQL through the proxy (plain TCP, so the proxy sees its LISTEN).
    let b_url = format!(
        "{}&sslmode=disable",
        db.url.replacen(":5432/", &format!(":{}/", proxy.port), 1)
    );
    let b = start_url(&b_url);
    let client = reqwest::Client::new();
    let owner = Owner::new("断线");
    let id = owner.record(1).id.to_string();
    put(&client, &a.base, &owner, 1).await;
    warm(&client, &b.base, &id, 1).await;

    // B's listener is connected but silently deaf from now on; A writes v2.
    assert_eq!(
        proxy.swallow_listeners(),
        1,
        "B has one listening connection"
    );
    put(&client, &a.base, &owner, 2).await;
    let misses = metric(&client, &b.base, "livecard_version_cache_misses_total").await;
    assert_eq!(
        cond_get(&client, &b.base, &id, 1).await,
        200,
        "no stale 304 while B's listener does not deliver: B read the database"
    );
    assert_eq!(
        metric(&client, &b.base, "livecard_version_cache_misses_total").await,
        misses + 1,
        "the answer came from the database, not the cache"
    );

    // The barrier that did not come back made the listener reconnect; then the cache serves
    // again (a bounded wait for the reconnect, no sleeps).
    let hits = cache_hits(&client, &b.base).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert_eq!(cond_get(&client, &b.base, &id, 2).await, 304);
        if cache_hits(&client, &b.base).await > hits {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B's cache does not answer again 20 s after its listener was replaced"
        );
        tokio::task::yield_now().await;
    }
    put(&client, &a.base, &owner, 3).await;
    assert_eq!(
        cond_get(&client, &b.base, &id, 2).await,
        200,
        "after the reconnect, A's write is seen at once again"
    );
}
