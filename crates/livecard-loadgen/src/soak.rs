//! `--soak-minutes N`: a long mixed load on one SQLite server (127.0.0.1 only).
//!
//! 1. Capacity: `--soak-workers` unpaced keep-alive connections running the mix for 15 s.
//! 2. Soak: the same workers paced to `--soak-load` × capacity (open loop: a late request does
//!    not make the next one wait), plus hostile clients from 127.0.0.2: `--soak-slow`
//!    connections that dribble a header line a second (reopened when the server closes them)
//!    and one malformed request (a positional-array record) a second.
//! 3. Every `--soak-interval-secs`: the server's RSS (/proc/PID/status), honest requests, their
//!    p50/p99, honest errors (transport errors or an unexpected status), slow connections the
//!    server closed, hostile requests answered 400.
//!
//! The mix, per worker: 70 % conditional GET of a seeded card (304), 15 % batch sync of 100
//! seeded ids (200, nothing changed), 15 % PUT of the worker's own card, next version.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use livecard_format::crypto::{seal, CardKeys, ShareSecret};
use livecard_format::wire::CardId;
use livecard_format::Card;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{seed, start_server, sync_body, Conn};

/// Soak settings (flags of the same names with `--soak-` in front).
pub struct SoakArgs {
    pub minutes: u64,
    pub interval_secs: u64,
    pub workers: usize,
    pub slow: usize,
    pub load: f64,
    pub cards: usize,
}

#[derive(Default)]
struct Counters {
    micros: Mutex<Vec<u32>>,
    errors: AtomicU64,
    slow_closed: AtomicU64,
    hostile_400: AtomicU64,
    hostile_other: AtomicU64,
}

/// One worker: paced at `period` (zero = as fast as it can) until `stop`.
async fn worker(
    addr: SocketAddr,
    w: usize,
    ids: Arc<Vec<CardId>>,
    period: Duration,
    stop: Arc<AtomicBool>,
    c: Arc<Counters>,
) -> Result<()> {
    let keys = CardKeys::generate();
    let secret = ShareSecret::generate();
    let card = Card {
        name: format!("soak worker {w}"),
        ..Card::default()
    };
    let own = keys.id();
    let mut version = 0u64;
    let syncs: Vec<Bytes> = ids.chunks(100).map(sync_body).collect::<Result<Vec<_>>>()?;
    let mut conn = Conn::open(addr).await?;
    let mut next = Instant::now();
    let mut i = w as u64 * 7919;
    while !stop.load(Ordering::Relaxed) {
        if !period.is_zero() {
            let now = Instant::now();
            if next > now {
                tokio::time::sleep_until(next.into()).await;
            } else if now - next > period * 10 {
                next = now; // far behind: do not burst to catch up
            }
            next += period;
        }
        i += 1;
        let pick = (i % 20) as usize;
        let (method, path, etag, body, want): (_, _, _, _, &[StatusCode]) = if pick < 14 {
            let id = &ids[(i as usize * 31) % ids.len()];
            (
                Method::GET,
                format!("/v1/cards/{id}"),
                Some("\"1\"".to_string()),
                None,
                &[StatusCode::NOT_MODIFIED],
            )
        } else if pick < 17 {
            let body = syncs[(i as usize) % syncs.len()].clone();
            (
                Method::POST,
                "/v1/sync".to_string(),
                None,
                Some(body),
                &[StatusCode::OK],
            )
        } else {
            version += 1;
            let r = seal(&card, &keys, &secret, version)?;
            (
                Method::PUT,
                format!("/v1/cards/{own}"),
                None,
                Some(Bytes::from(serde_json::to_vec(&r)?)),
                &[StatusCode::OK, StatusCode::CREATED],
            )
        };
        let t = Instant::now();
        match conn.send(method, &path, etag.as_deref(), body).await {
            Ok((status, _)) if want.contains(&status) => {
                let us = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
                c.micros.lock().unwrap_or_else(|p| p.into_inner()).push(us);
            }
            Ok((status, bytes)) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "honest {path}: {status} {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                );
            }
            Err(e) => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("honest {path}: {e}");
                conn = Conn::open(addr).await?;
            }
        }
    }
    Ok(())
}

/// A slow client from 127.0.0.2: dribbles header lines until the server closes, then again.
async fn slow_client(addr: SocketAddr, stop: Arc<AtomicBool>, c: Arc<Counters>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(sock) = tokio::net::TcpSocket::new_v4() else {
            return;
        };
        if sock.bind(SocketAddr::from(([127, 0, 0, 2], 0))).is_err() {
            return;
        }
        let Ok(mut s) = sock.connect(addr).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
        let mut buf = [0u8; 512];
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut n = 0u64;
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            tokio::select! {
                _ = tick.tick() => {
                    n += 1;
                    if s.write_all(format!("X-Slow-{n}: 1\r\n").as_bytes()).await.is_err() {
                        c.slow_closed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
                r = s.read(&mut buf) => {
                    if matches!(r, Ok(0) | Err(_)) {
                        c.slow_closed.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
        }
    }
}

/// One malformed PUT a second (a record as a positional array): must be 400.
async fn hostile(addr: SocketAddr, id: CardId, stop: Arc<AtomicBool>, c: Arc<Counters>) {
    let body = Bytes::from(format!(r#"["{id}","AAAA",1,"AAAA","AAAA","AAAA"]"#));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let Ok(mut conn) = Conn::open(addr).await else {
            continue;
        };
        let r = conn
            .send(
                Method::PUT,
                &format!("/v1/cards/{id}"),
                None,
                Some(body.clone()),
            )
            .await;
        match r {
            Ok((StatusCode::BAD_REQUEST, _)) => c.hostile_400.fetch_add(1, Ordering::Relaxed),
            _ => c.hostile_other.fetch_add(1, Ordering::Relaxed),
        };
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// Runs `workers` (paced at `rate` requests/s in all, or unpaced when `None`) for `secs`.
async fn run_workers(
    addr: SocketAddr,
    workers: usize,
    ids: &Arc<Vec<CardId>>,
    rate: Option<f64>,
    stop: &Arc<AtomicBool>,
    c: &Arc<Counters>,
) -> Vec<tokio::task::JoinHandle<Result<()>>> {
    let period = match rate {
        Some(r) => Duration::from_secs_f64(workers as f64 / r.max(1.0)),
        None => Duration::ZERO,
    };
    (0..workers)
        .map(|w| {
            tokio::spawn(worker(
                addr,
                w,
                ids.clone(),
                period,
                stop.clone(),
                c.clone(),
            ))
        })
        .collect()
}

pub async fn run(bin: &Path, dir: &Path, a: &SoakArgs) -> Result<String> {
    let db = dir.join("soak");
    std::fs::create_dir_all(&db)?;
    let url = format!("sqlite://{}", db.join("soak.db").display());
    let (proc, addr) = start_server(bin, &url)?;
    let pid = proc.0.id();
    let (ids, _) = seed(addr, a.cards, 8).await?;
    let ids = Arc::new(ids);

    // Capacity: unpaced for 15 s.
    let c = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = run_workers(addr, a.workers, &ids, None, &stop, &c).await;
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(15)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    let cap_n = c.micros.lock().unwrap_or_else(|p| p.into_inner()).len();
    let capacity = cap_n as f64 / t.elapsed().as_secs_f64();
    let rate = capacity * a.load;
    eprintln!("capacity {capacity:.0} req/s; soak at {rate:.0} req/s");

    // Soak.
    let c = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = run_workers(addr, a.workers, &ids, Some(rate), &stop, &c).await;
    let mut hostile_tasks = Vec::new();
    for _ in 0..a.slow {
        hostile_tasks.push(tokio::spawn(slow_client(addr, stop.clone(), c.clone())));
    }
    hostile_tasks.push(tokio::spawn(hostile(
        addr,
        ids[0].clone(),
        stop.clone(),
        c.clone(),
    )));

    let mut out = String::new();
    let _ = writeln!(
        out,
        "| minute | RSS MiB | honest req/s | p50 ms | p99 ms | honest errors | slow conns closed | hostile → 400 |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let start = Instant::now();
    let end = start + Duration::from_secs(a.minutes * 60);
    let interval = Duration::from_secs(a.interval_secs.max(5));
    let mut rss = Vec::new();
    let mut p99s = Vec::new();
    let mut total_errors = 0u64;
    let mut total_requests = 0usize;
    let mut last = Instant::now();
    while Instant::now() < end {
        tokio::time::sleep(interval.min(end - Instant::now())).await;
        let mut lat = std::mem::take(&mut *c.micros.lock().unwrap_or_else(|p| p.into_inner()));
        lat.sort_unstable();
        let secs = last.elapsed().as_secs_f64();
        last = Instant::now();
        let errors = c.errors.swap(0, Ordering::Relaxed);
        let r = rss_kib(pid);
        rss.push(r);
        let p99 = pct(&lat, 0.99);
        p99s.push(p99);
        total_errors += errors;
        total_requests += lat.len();
        let row = format!(
            "| {:.1} | {:.1} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
            start.elapsed().as_secs_f64() / 60.0,
            r as f64 / 1024.0,
            lat.len() as f64 / secs,
            pct(&lat, 0.50),
            p99,
            errors,
            c.slow_closed.swap(0, Ordering::Relaxed),
            c.hostile_400.swap(0, Ordering::Relaxed),
        );
        eprintln!("{row}");
        let _ = writeln!(out, "{row}");
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    for task in hostile_tasks {
        let _ = task.await;
    }
    drop(proc);

    let fmax = |v: &[f64]| v.iter().cloned().fold(f64::MIN, f64::max);
    let fmin = |v: &[f64]| v.iter().cloned().fold(f64::MAX, f64::min);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} minutes, SQLite, {} workers paced to {:.0} req/s = {:.0} % of the measured capacity \
         ({capacity:.0} req/s, same mix, unpaced, 15 s); {} slow clients (a header line a second) \
         and one malformed PUT a second from 127.0.0.2; {} seeded cards.\n",
        a.minutes,
        a.workers,
        rate,
        a.load * 100.0,
        a.slow,
        a.cards
    );
    s.push_str(&out);
    let _ = writeln!(
        s,
        "\nSummary: {total_requests} honest requests, {total_errors} honest errors, {} hostile \
         requests not answered 400; RSS first {:.1} MiB, last {:.1} MiB, max {:.1} MiB; p99 per \
         interval {:.2}–{:.2} ms.",
        c.hostile_other.load(Ordering::Relaxed),
        rss.first().copied().unwrap_or(0) as f64 / 1024.0,
        rss.last().copied().unwrap_or(0) as f64 / 1024.0,
        rss.iter().max().copied().unwrap_or(0) as f64 / 1024.0,
        fmin(&p99s),
        fmax(&p99s),
    );
    Ok(s)
}
