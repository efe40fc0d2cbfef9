//! Push channel load (issue 16): one server on 127.0.0.1:0 (SQLite in a tempdir), N watch
//! streams over real HTTP, all watching the same card (the worst fan-out), then U PUTs of that
//! card one after another. Prints: streams held, time to open them, per-update delivery
//! latency to the last stream (p50 / max), and version events fanned out per second.
//!
//! `cargo run --release -p livecard-server --example watch_load -- [STREAMS] [UPDATES]`
//! (defaults 1000 and 50). Client and server share the process and its 2 cores, so the numbers
//! are a lower bound for the server alone.

use std::time::{Duration, Instant};

use livecard_format::crypto::{seal, CardKeys, ShareSecret};
use livecard_format::Card;
use livecard_server::{AppState, Config};
use livecard_wire::{SyncItem, WatchRequest};
use tokio::sync::mpsc;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let streams: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let updates: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(50);

    let dir = tempfile::tempdir()?;
    let mut config = Config::new(format!("sqlite://{}", dir.path().join("w.db").display()));
    config.rate_per_second = 0;
    config.watch.max_streams_per_ip = streams + 1;
    config.conn.max_connections = streams + 64;
    config.conn.max_connections_per_ip = streams + 64;
    let store = livecard_server::connect(&config.database_url).await?;
    let state = AppState::new(store, config)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(livecard_server::serve_state(
        state,
        listener,
        std::future::pending(),
    ));

    let keys = CardKeys::generate();
    let secret = ShareSecret::generate();
    let card = Card {
        name: "Load".into(),
        ..Card::default()
    };
    let id = keys.id();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(streams + 8)
        .build()?;
    let put = |v: u64| {
        let r = seal(&card, &keys, &secret, v).expect("seal");
        let c = client.clone();
        let url = format!("{base}/v1/cards/{id}");
        async move {
            let resp = c.put(url).json(&r).send().await.expect("put");
            assert!(resp.status().is_success());
        }
    };
    put(1).await;

    let rss0 = rss_kib();
    let opened = Instant::now();
    // Each stream task reports (stream, version) for every version event it reads.
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let req = WatchRequest {
        cards: vec![SyncItem {
            id: id.clone(),
            version: 1,
        }],
    };
    for _ in 0..streams {
        let c = client.clone();
        let url = format!("{base}/v1/watch");
        let req = req.clone();
        let tx = tx.clone();
        let ready_tx = ready_tx.clone();
        tokio::spawn(async move {
            let mut resp = c.post(url).json(&req).send().await.expect("watch");
            assert_eq!(resp.status(), 200);
            let mut buf = String::new();
            while let Ok(Some(chunk)) = resp.chunk().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(at) = buf.find("\n\n") {
                    let block: String = buf.drain(..at + 2).collect();
                    if block.starts_with("event: ready") {
                        let _ = ready_tx.send(());
                    } else if block.starts_with("event: version") {
                        let v = block
                            .split("\"version\":")
                            .nth(1)
                            .and_then(|r| r.trim_end().trim_end_matches('}').parse().ok())
                            .unwrap_or(0);
                        let _ = tx.send(v);
                    }
                }
            }
        });
    }
    for _ in 0..streams {
        ready_rx.recv().await.expect("ready");
    }
    let open_time = opened.elapsed();
    let rss1 = rss_kib();

    let mut latencies = Vec::new();
    let started = Instant::now();
    for v in 2..=updates + 1 {
        let t = Instant::now();
        put(v).await;
        let mut seen = 0;
        while seen < streams {
            let got = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await?
                .expect("events");
            if got == v {
                seen += 1;
            }
        }
        latencies.push(t.elapsed());
    }
    let total = started.elapsed();
    latencies.sort();
    let events = streams as u64 * updates;
    println!(
        "streams held: {streams} (opened in {:.2} s)",
        open_time.as_secs_f64()
    );
    println!(
        "RSS (client + server in one process): {} KiB before, {} KiB with the streams open ({:.1} KiB per stream)",
        rss0,
        rss1,
        (rss1.saturating_sub(rss0)) as f64 / streams as f64
    );
    println!(
        "updates: {updates} PUTs one after another; PUT to last stream's event: p50 {:.1} ms, max {:.1} ms",
        latencies[latencies.len() / 2].as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
    println!(
        "fanned out: {events} version events in {:.2} s = {:.0} events/s",
        total.as_secs_f64(),
        events as f64 / total.as_secs_f64()
    );
    Ok(())
}
