//! Crash test: the real `livecard-server` binary takes a stream of writes from several
//! concurrent writers, is killed with SIGKILL mid-stream, and is restarted on the same
//! database; every write it acknowledged must be there. SQLite and PostgreSQL.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use livecard_format::wire::{CardId, SealedRecord};
use support::{Owner, TestDb};
use tokio::sync::mpsc;

/// Starts the binary on 127.0.0.1:0 and returns it with its base URL (read from its
/// "listening on" line).
fn start(db: &TestDb) -> (Child, String) {
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
    (child, base)
}

async fn crash_and_restart(db: TestDb) {
    const WRITERS: usize = 4;
    const KILL_AFTER: usize = 150;
    let (mut child, base) = start(&db);
    let client = reqwest::Client::new();
    // (id, version) of every acknowledged write.
    let acked: Arc<Mutex<Vec<(CardId, u64)>>> = Arc::default();
    let (tick_tx, mut tick_rx) = mpsc::unbounded_channel::<()>();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let client = client.clone();
        let base = base.clone();
        let acked = acked.clone();
        let tick = tick_tx.clone();
        writers.push(tokio::spawn(async move {
            // Each writer updates its own few cards with rising versions until the server dies.
            let owners: Vec<Owner> = (0..5).map(|i| Owner::new(&format!("W{w}C{i}"))).collect();
            for version in 1u64.. {
                for o in &owners {
                    let r: SealedRecord = o.record(version);
                    let url = format!("{base}/v1/cards/{}", r.id);
                    match client.put(&url).json(&r).send().await {
                        Ok(resp) if resp.status().is_success() => {
                            acked.lock().unwrap().push((r.id.clone(), version));
                            let _ = tick.send(());
                        }
                        Ok(resp) => panic!("unexpected refusal {}", resp.status()),
                        Err(_) => return, // the server is gone
                    }
                }
            }
        }));
    }
    drop(tick_tx);
    for _ in 0..KILL_AFTER {
        tick_rx.recv().await.expect("writes are acknowledged");
    }
    child.kill().expect("SIGKILL the server"); // std's kill() is SIGKILL on Unix
    child.wait().expect("reap the server");
    for w in writers {
        w.await.expect("writer ends cleanly");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);

    let (mut child, base) = start(&db);
    let mut latest: std::collections::HashMap<CardId, u64> = Default::default();
    for (id, v) in &acked {
        let e = latest.entry(id.clone()).or_insert(0);
        *e = (*e).max(*v);
    }
    for (id, v) in &latest {
        let resp = client
            .get(format!("{base}/v1/cards/{id}"))
            .send()
            .await
            .expect("restarted server answers");
        assert_eq!(
            resp.status(),
            200,
            "{}: acknowledged card {id} missing",
            db.label
        );
        let r: SealedRecord = resp.json().await.unwrap();
        r.verify().expect("stored record intact");
        assert!(
            r.version >= *v,
            "{}: card {id} acknowledged at version {v}, found {}",
            db.label,
            r.version
        );
    }
    child.kill().expect("stop");
    child.wait().expect("reap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_keeps_every_acknowledged_write() {
    crash_and_restart(support::sqlite_db()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_keeps_every_acknowledged_write() {
    let Some(db) = support::postgres_db("crash").await else {
        return;
    };
    crash_and_restart(db).await;
}

#[test]
fn sqlite_url_in_missing_directory_stops_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_livecard-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &format!(
                "sqlite://{}",
                dir.path().join("missing/db.sqlite").display()
            ),
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn sigterm_stops_the_binary_gracefully() {
    let db = support::sqlite_db();
    let (mut child, base) = start(&db);
    assert!(base.starts_with("http://127.0.0.1:"));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}
