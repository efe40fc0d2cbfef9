//! The version cache behind fast 304s (src/version_cache.rs) never hides a newer version:
//! - written through the same server: seen by the very next conditional GET (SQLite and
//!   PostgreSQL, in-process servers);
//! - written through another server process over the same PostgreSQL database (two real
//!   `livecard-server` binaries): seen by the other's conditional GET as soon as the change
//!   notification arrives there. The test polls with a deadline (no sleeps), asserts it is seen,
//!   and prints how many conditional GETs were still answered 304 in between (the window).
//!
//! Each test first proves the cache is in use (its hit counter in /metrics grows), so the
//! fresh answers are not just a database read.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_livecard-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db.url,
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

/// `livecard_version_cache_hits_total` from the server's /metrics.
async fn cache_hits(client: &reqwest::Client, base: &str) -> u64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix("livecard_version_cache_hits_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no livecard_version_cache_hits_total in /metrics:\n{text}"))
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

/// Polls conditional GETs on `base` until one is not 304; returns (status, how many 304s
/// came first, time until then).
async fn until_changed(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    held: u64,
) -> (u16, u32, Duration) {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(10);
    let mut stale = 0;
    loop {
        let status = cond_get(client, base, id, held).await;
        if status != 304 {
            return (status, stale, start.elapsed());
        }
        stale += 1;
        assert!(
            Instant::now() < deadline,
            "the other server still answers 304 for v{held} after 10 s ({stale} times)"
        );
        tokio::task::yield_now().await;
    }
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
    warm(&client, &b.base, &id, 1).await;

    let rounds = 20u64;
    let (mut at_once, mut worst_stale, mut worst_time) = (0, 0, Duration::ZERO);
    for v in 2..=rounds + 1 {
        put(&client, &a.base, &owner, v).await;
        let (status, stale, took) = until_changed(&client, &b.base, &id, v - 1).await;
        assert_eq!(status, 200, "B answers the new version v{v} in full");
        if stale == 0 {
            at_once += 1;
        }
        worst_stale = worst_stale.max(stale);
        worst_time = worst_time.max(took);
        // B's cache now holds v: its 304s for v come from the cache again.
        assert_eq!(cond_get(&client, &b.base, &id, v).await, 304);
    }
    eprintln!(
        "WINDOW two processes over PostgreSQL: {at_once}/{rounds} writes seen by the other \
         server's very next conditional GET; worst case {worst_stale} stale 304s, {worst_time:?}"
    );
    // And the other way round, with a delete.
    warm(&client, &a.base, &id, rounds + 1).await;
    let t = sign_delete(&owner.keys, rounds + 2).expect("tombstone");
    let resp = client
        .delete(format!("{}/v1/cards/{id}", b.base))
        .json(&t)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(resp.status(), 200);
    let (status, _, _) = until_changed(&client, &a.base, &id, rounds + 1).await;
    assert_eq!(status, 410, "A sees the delete made through B");
}
