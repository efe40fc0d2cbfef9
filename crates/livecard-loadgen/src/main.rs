//! `livecard-loadgen`: a bounded load benchmark of livecard-server on 127.0.0.1 only.
//!
//! For each backend (SQLite in a temp dir; PostgreSQL when `--postgres-url` is given) it starts
//! the real `livecard-server` binary as a separate process (rate limit off), publishes
//! `--cards` sealed cards, then measures, with keep-alive HTTP/1.1 connections from a
//! single-threaded client:
//!
//! 1. conditional GET `/v1/cards/{id}` with `If-None-Match` → 304 (`--connections` workers);
//! 2. batch sync of all `--cards` unchanged ids → empty answer (`--sync-connections` workers);
//! 3. 1,000 unchanged cards: one batch sync vs 1,000 conditional GETs (one connection, in
//!    sequence; and over `--connections` connections), median of `--rounds` rounds.
//!
//! nginx (`--nginx`) serving a static file with ETag → 304 is measured in the same run with the
//! same client and connection count, as the ceiling. Every phase stops after `--seconds` or
//! `--max-requests`, whichever comes first. Prints a Markdown report (stdout or `--out`).
//!
//! `--soak-minutes N` runs the soak instead ([`soak`]; `scripts/soak.sh`).
//! `--only-full-download` measures only the full download (JSON, JSON with gzip, the binary
//! records answer) of `--full-download-ids` cards on each backend; with `--server-url`,
//! `--ids-file`, `--binary-only` and `--compare-server-bin` it drives a server under a profiler
//! or compares two server builds at the same load ([`download`]).

mod condget;
mod download;
mod growth;
mod radicale;
mod soak;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use livecard_format::crypto::{seal, CardKeys, ShareSecret};
use livecard_format::wire::{CardId, SyncItem, SyncRequest, SyncResponse};
use livecard_format::Card;

#[derive(Parser, Debug)]
#[command(about = "Load benchmark of livecard-server with nginx as the ceiling (127.0.0.1 only)")]
struct Args {
    /// The livecard-server binary (build it with --release).
    #[arg(long, required_unless_present = "server_url")]
    server_bin: Option<PathBuf>,
    /// PostgreSQL URL of an empty database to benchmark on (skipped when absent).
    #[arg(long)]
    postgres_url: Option<String>,
    /// nginx binary for the ceiling (skipped when absent).
    #[arg(long, default_value = "/usr/sbin/nginx")]
    nginx: PathBuf,
    /// Cards published per backend (= ids in the big sync).
    #[arg(long, default_value_t = 10_000)]
    cards: usize,
    /// Concurrent connections for conditional GETs.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Concurrent connections for the 10,000-id sync.
    #[arg(long, default_value_t = 4)]
    sync_connections: usize,
    /// Longest time of one phase.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Most requests of one phase.
    #[arg(long, default_value_t = 500_000)]
    max_requests: u64,
    /// Rounds of the 1,000-card comparison.
    #[arg(long, default_value_t = 15)]
    rounds: usize,
    /// Write the Markdown report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run the soak for this many minutes instead of the benchmark (0 = benchmark).
    #[arg(long, default_value_t = 0)]
    soak_minutes: u64,
    /// Soak: seconds per reported interval.
    #[arg(long, default_value_t = 60)]
    soak_interval_secs: u64,
    /// Soak: honest keep-alive connections.
    #[arg(long, default_value_t = 8)]
    soak_workers: usize,
    /// Soak: slow (dribbling) connections from 127.0.0.2.
    #[arg(long, default_value_t = 40)]
    soak_slow: usize,
    /// Soak: load as a fraction of the measured capacity.
    #[arg(long, default_value_t = 0.5)]
    soak_load: f64,
    /// Ids in the full-download request (a new phone: `POST /v1/sync`, every version 0).
    #[arg(long, default_value_t = 1000)]
    full_download_ids: usize,
    /// Measure only the conditional GET on PostgreSQL (--postgres-url), the version cache's
    /// read barrier on and off, and nginx, alternating `--rounds` times (condget.rs).
    #[arg(long)]
    only_cond_get: bool,
    /// Measure only the full download (JSON, gzip, binary) on each backend, nothing else
    /// (download.rs).
    #[arg(long)]
    only_full_download: bool,
    /// With --only-full-download: a running server (http://127.0.0.1:PORT) instead of starting
    /// one, e.g. under callgrind (scripts/profile-download.sh).
    #[arg(long)]
    server_url: Option<String>,
    /// With --only-full-download: the ids to download; when the file is missing the cards are
    /// published and their ids written there.
    #[arg(long)]
    ids_file: Option<PathBuf>,
    /// With --only-full-download: only the binary records answer.
    #[arg(long)]
    binary_only: bool,
    /// With --only-full-download: an older server binary started on the same database; the
    /// two servers' binary downloads alternate round by round (same load), medians of both.
    #[arg(long)]
    compare_server_bin: Option<PathBuf>,
    /// Growth curves: store sizes to measure at, comma-separated (e.g. 1000,10000,100000);
    /// empty = no growth table. Needs `psql` for the PostgreSQL store size.
    #[arg(long, value_delimiter = ',')]
    growth: Vec<usize>,
    /// PostgreSQL URL of another empty database for the growth curve (skipped when absent).
    #[arg(long)]
    growth_postgres_url: Option<String>,
    /// Radicale binary (`radicale` from PyPI) measured side by side; skipped when absent.
    #[arg(long)]
    radicale: Option<PathBuf>,
    /// Address book sizes for Radicale, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    radicale_cards: Vec<usize>,
}

impl Args {
    /// `--server-bin` (clap requires it unless `--server-url` is given).
    fn server_bin(&self) -> Result<&Path> {
        self.server_bin.as_deref().ok_or_else(|| {
            anyhow!("--server-bin is needed here (--server-url is only for --only-full-download)")
        })
    }
}

/// One HTTP/1.1 keep-alive connection.
pub(crate) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub(crate) async fn open(addr: SocketAddr) -> Result<Conn> {
        if !addr.ip().is_loopback() {
            bail!("refusing to load {addr}: only 127.0.0.1 is a target");
        }
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends a request, reads the whole answer; returns the status and body.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        etag: Option<&str>,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        if let Some(tag) = etag {
            req = req.header(hyper::header::IF_NONE_MATCH, tag);
        }
        if body.is_some() {
            req = req.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Full::new(body.unwrap_or_default()))?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// Sends any request with extra headers; returns status, headers and the whole body.
    pub(crate) async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<(StatusCode, hyper::HeaderMap, Bytes)> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body))?;
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, headers, bytes))
    }
}

/// What one phase measured.
pub(crate) struct Phase {
    requests: u64,
    elapsed: Duration,
    micros: Vec<u32>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn pct(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let i = ((self.micros.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.micros[i]) / 1000.0
    }

    fn row(&self, name: &str, extra: &str) -> String {
        format!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {extra} |",
            self.rate(),
            self.pct(0.50),
            self.pct(0.90),
            self.pct(0.99),
            self.pct(1.0),
            self.requests,
        )
    }
}

/// Runs `workers` connections, each sending `make(i)` requests in a loop, until `seconds` or
/// `max_requests`; every answer must have `expect` status and pass `check`.
pub(crate) async fn run_phase<F, C>(
    addr: SocketAddr,
    workers: usize,
    seconds: u64,
    max_requests: u64,
    make: F,
    expect: StatusCode,
    check: C,
) -> Result<Phase>
where
    F: Fn(u64) -> (Method, String, Option<String>, Option<Bytes>) + Send + Sync + 'static,
    C: Fn(&Bytes) -> Result<()> + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let check = Arc::new(check);
    let issued = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut conns = Vec::with_capacity(workers);
    for _ in 0..workers {
        conns.push(Conn::open(addr).await?);
    }
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(workers);
    for mut conn in conns {
        let (make, check, issued) = (make.clone(), check.clone(), issued.clone());
        tasks.push(tokio::spawn(async move {
            let mut micros = Vec::new();
            loop {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                if n >= max_requests || Instant::now() >= deadline {
                    break;
                }
                let (method, path, etag, body) = make(n);
                let t = Instant::now();
                let (status, bytes) = conn.send(method, &path, etag.as_deref(), body).await?;
                micros.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                if status != expect {
                    bail!(
                        "{path}: expected {expect}, got {status}: {}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
                check(&bytes)?;
            }
            Ok::<_, anyhow::Error>(micros)
        }));
    }
    let mut micros = Vec::new();
    for t in tasks {
        micros.extend(t.await??);
    }
    let elapsed = start.elapsed();
    micros.sort_unstable();
    Ok(Phase {
        requests: micros.len() as u64,
        elapsed,
        micros,
    })
}

fn sync_body(ids: &[CardId]) -> Result<Bytes> {
    sync_body_at(ids, 1)
}

pub(crate) fn check_empty_sync(bytes: &Bytes) -> Result<()> {
    let resp: SyncResponse = serde_json::from_slice(bytes)?;
    if !resp.changed.is_empty()
        || !resp.gone.is_empty()
        || !resp.unknown.is_empty()
        || resp.truncated
    {
        bail!(
            "sync of unchanged cards answered something: {} changed, {} gone, {} unknown",
            resp.changed.len(),
            resp.gone.len(),
            resp.unknown.len()
        );
    }
    Ok(())
}

/// A child process killed (by its own handle) when dropped.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start_server(bin: &Path, database_url: &str) -> Result<(Proc, SocketAddr)> {
    start_server_with(bin, database_url, &[])
}

/// [`start_server`] with extra server flags.
pub(crate) fn start_server_with(
    bin: &Path,
    database_url: &str,
    extra: &[&str],
) -> Result<(Proc, SocketAddr)> {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--database-url", database_url])
        .args(["--rate-per-second", "0"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("start {}", bin.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let proc = Proc(child);
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .ok_or_else(|| anyhow!("livecard-server exited before listening"))??;
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse::<SocketAddr>()?;
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok((proc, addr))
}

/// Waits for a port to accept connections (nginx prints nothing when ready).
pub(crate) async fn wait_port(addr: SocketAddr) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("nothing listens on {addr}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn start_nginx(nginx: &Path, dir: &Path, file_body: &[u8]) -> Result<(Proc, SocketAddr)> {
    let www = dir.join("www");
    std::fs::create_dir_all(&www)?;
    std::fs::write(www.join("card.json"), file_body)?;
    let port = free_port()?;
    let d = dir.display();
    let conf = format!(
        "worker_processes 2;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  default_type application/json;\n  keepalive_requests 1000000;\n\
         server {{\n    listen 127.0.0.1:{port};\n    root {d}/www;\n    etag on;\n  }}\n}}\n"
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let child = Command::new(nginx)
        .arg("-c")
        .arg(&conf_path)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("start {}", nginx.display()))?;
    Ok((Proc(child), SocketAddr::from(([127, 0, 0, 1], port))))
}

/// A typical card without photo (as the exchange-size tests' `typical_card()`: name, company,
/// title, 2 mobiles, email, address, website, QQ, WeChat), made distinct by `i`.
pub(crate) fn typical_card(i: usize) -> Card {
    Card {
        name: format!("张三丰{i}"),
        company: "武当科技有限公司".into(),
        title: "销售总监".into(),
        mobile: vec![
            format!("+86138{:08}", i % 100_000_000),
            "+8613912345678".into(),
        ],
        email: vec![format!("zhang{i}@wudang.example")],
        address: vec![livecard_format::card::Address {
            street: "科技园科苑路15号".into(),
            locality: "深圳市南山区".into(),
            region: "广东省".into(),
            ..Default::default()
        }],
        website: vec!["https://wudang.example".into()],
        qq: format!("{}", 10_000_000 + i),
        wechat: format!("zhangsanfeng{i}"),
        ..Card::default()
    }
}

/// Publishes `n` sealed cards; returns their ids and the publish rate.
async fn seed(addr: SocketAddr, n: usize, workers: usize) -> Result<(Vec<CardId>, f64)> {
    seed_from(addr, 0, n, workers).await
}

/// Publishes the typical cards `first..first + n`.
pub(crate) async fn seed_from(
    addr: SocketAddr,
    first: usize,
    n: usize,
    workers: usize,
) -> Result<(Vec<CardId>, f64)> {
    let mut records = Vec::with_capacity(n);
    for i in first..first + n {
        let keys = CardKeys::generate();
        records.push(seal(&typical_card(i), &keys, &ShareSecret::generate(), 1)?);
    }
    let ids: Vec<CardId> = records.iter().map(|r| r.id.clone()).collect();
    let bodies: Arc<Vec<(String, Bytes)>> = Arc::new(
        records
            .iter()
            .map(|r| {
                Ok((
                    format!("/v1/cards/{}", r.id),
                    Bytes::from(serde_json::to_vec(r)?),
                ))
            })
            .collect::<Result<_>>()?,
    );
    drop(records);
    let phase = run_phase(
        addr,
        workers,
        3600,
        n as u64,
        move |i| {
            let (path, body) = &bodies[i as usize];
            (Method::PUT, path.clone(), None, Some(body.clone()))
        },
        StatusCode::CREATED,
        |_| Ok(()),
    )
    .await?;
    Ok((ids, phase.rate()))
}

/// A sync request body listing `ids` at `version`.
pub(crate) fn sync_body_at(ids: &[CardId], version: u64) -> Result<Bytes> {
    let req = SyncRequest {
        cards: ids
            .iter()
            .map(|id| SyncItem {
                id: id.clone(),
                version,
            })
            .collect(),
    };
    Ok(Bytes::from(serde_json::to_vec(&req)?))
}

/// One full download (`POST /v1/sync`, every version 0) of `ids`.
pub(crate) struct Download {
    /// Median time of the requests of one round (sent → answer read in full) on 127.0.0.1;
    /// decoding the answer is not counted.
    pub time: Duration,
    /// Bytes of the answer body as sent (compressed when `encoding` is set).
    pub body_bytes: usize,
    /// Cards in the answer.
    pub cards: usize,
    /// The server answered with a Content-Encoding.
    pub encoded: bool,
}

/// Downloads `ids` in requests of at most `chunk` ids, `rounds` times; the answer must hold a
/// record for every id. `accept_encoding` = "" asks for identity. JSON answers.
pub(crate) async fn full_download(
    addr: SocketAddr,
    ids: &[CardId],
    chunk: usize,
    rounds: usize,
    accept_encoding: &str,
) -> Result<Download> {
    full_download_as(addr, ids, chunk, rounds, accept_encoding, false).await
}

/// [`full_download`], asking for the binary records answer when `binary` (the answer must
/// then be one).
pub(crate) async fn full_download_as(
    addr: SocketAddr,
    ids: &[CardId],
    chunk: usize,
    rounds: usize,
    accept_encoding: &str,
    binary: bool,
) -> Result<Download> {
    let mut d = download::Downloader::open(addr, ids, chunk, accept_encoding, binary).await?;
    download::rounds(&mut d, rounds).await
}

/// VmRSS and VmHWM (peak) of a process in KiB.
pub(crate) fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

struct Compare {
    gets_sequential: Duration,
    gets_parallel: Duration,
    batch: Duration,
}

pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

/// 1,000 unchanged cards: one sync request vs 1,000 conditional GETs.
async fn compare_1000(
    addr: SocketAddr,
    ids: &[CardId],
    rounds: usize,
    connections: usize,
) -> Result<Compare> {
    let ids: Vec<CardId> = ids.iter().take(1000).cloned().collect();
    let body = sync_body(&ids)?;
    let paths: Arc<Vec<String>> =
        Arc::new(ids.iter().map(|id| format!("/v1/cards/{id}")).collect());
    let mut conn = Conn::open(addr).await?;
    let (mut seq, mut par, mut batch) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let (status, bytes) = conn
            .send(Method::POST, "/v1/sync", None, Some(body.clone()))
            .await?;
        if status != StatusCode::OK {
            bail!("sync: {status}");
        }
        check_empty_sync(&bytes)?;
        batch.push(t.elapsed());

        let t = Instant::now();
        for p in paths.iter() {
            let (status, _) = conn.send(Method::GET, p, Some("\"1\""), None).await?;
            if status != StatusCode::NOT_MODIFIED {
                bail!("{p}: expected 304, got {status}");
            }
        }
        seq.push(t.elapsed());

        let paths2 = paths.clone();
        let t = Instant::now();
        run_phase(
            addr,
            connections,
            600,
            paths.len() as u64,
            move |i| {
                (
                    Method::GET,
                    paths2[i as usize].clone(),
                    Some("\"1\"".into()),
                    None,
                )
            },
            StatusCode::NOT_MODIFIED,
            |_| Ok(()),
        )
        .await?;
        par.push(t.elapsed());
    }
    Ok(Compare {
        gets_sequential: median(seq),
        gets_parallel: median(par),
        batch: median(batch),
    })
}

struct BackendResult {
    name: String,
    publish_rate: f64,
    get: Phase,
    sync: Phase,
    sync_one: Phase,
    compare: Compare,
    /// Server VmRSS / VmHWM (KiB) right after the conditional-GET phase.
    rss: Option<(u64, u64)>,
    download: Download,
    download_gzip: Download,
    download_binary: Download,
}

async fn bench_backend(args: &Args, name: &str, url: &str) -> Result<BackendResult> {
    eprintln!("== {name}: starting server on {url}");
    let (server, addr) = start_server(args.server_bin()?, url)?;
    eprintln!("== {name}: publishing {} cards", args.cards);
    let (ids, publish_rate) = seed(addr, args.cards, 16).await?;
    let ids = Arc::new(ids);

    eprintln!("== {name}: conditional GET");
    let paths: Arc<Vec<String>> =
        Arc::new(ids.iter().map(|id| format!("/v1/cards/{id}")).collect());
    let p = paths.clone();
    let get = run_phase(
        addr,
        args.connections,
        args.seconds,
        args.max_requests,
        move |i| {
            (
                Method::GET,
                p[(i as usize) % p.len()].clone(),
                Some("\"1\"".into()),
                None,
            )
        },
        StatusCode::NOT_MODIFIED,
        |_| Ok(()),
    )
    .await?;
    let rss = rss_kib(server.0.id());

    eprintln!("== {name}: batch sync of {} unchanged ids", ids.len());
    let body = sync_body(&ids)?;
    let sync = run_phase(
        addr,
        args.sync_connections,
        args.seconds,
        args.max_requests,
        move |_| (Method::POST, "/v1/sync".into(), None, Some(body.clone())),
        StatusCode::OK,
        check_empty_sync,
    )
    .await?;

    eprintln!("== {name}: the same sync from one connection (latency of one client)");
    let body = sync_body(&ids)?;
    let sync_one = run_phase(
        addr,
        1,
        args.seconds,
        args.max_requests,
        move |_| (Method::POST, "/v1/sync".into(), None, Some(body.clone())),
        StatusCode::OK,
        check_empty_sync,
    )
    .await?;

    eprintln!("== {name}: 1,000 cards, batch vs conditional GETs");
    let compare = compare_1000(addr, &ids, args.rounds, args.connections.min(8)).await?;

    let n = args.full_download_ids.min(ids.len());
    eprintln!("== {name}: full download of {n} cards (version 0)");
    let download = full_download(addr, &ids[..n], n, args.rounds, "").await?;
    let download_gzip = full_download(addr, &ids[..n], n, args.rounds, "gzip, br").await?;
    let download_binary = full_download_as(addr, &ids[..n], n, args.rounds, "", true).await?;
    drop(server);
    Ok(BackendResult {
        name: name.to_string(),
        publish_rate,
        get,
        sync,
        sync_one,
        compare,
        rss,
        download,
        download_gzip,
        download_binary,
    })
}

async fn bench_nginx(args: &Args, dir: &Path, file: &[u8]) -> Result<Phase> {
    let (_nginx, addr) = start_nginx(&args.nginx, dir, file)?;
    wait_port(addr).await?;
    let mut conn = Conn::open(addr).await?;
    let req = Request::builder()
        .uri("/card.json")
        .header(hyper::header::HOST, addr.to_string())
        .body(Full::new(Bytes::new()))?;
    conn.sender.ready().await?;
    let resp = conn.sender.send_request(req).await?;
    let etag = resp
        .headers()
        .get(hyper::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| anyhow!("nginx sent no ETag"))?
        .to_string();
    let _ = resp.into_body().collect().await?;
    eprintln!("== nginx: conditional GET of a static file (ETag {etag})");
    run_phase(
        addr,
        args.connections,
        args.seconds,
        args.max_requests,
        move |_| (Method::GET, "/card.json".into(), Some(etag.clone()), None),
        StatusCode::NOT_MODIFIED,
        |_| Ok(()),
    )
    .await
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(
    args: &Args,
    nginx: Option<&Phase>,
    results: &[BackendResult],
    skipped: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### Throughput and latency\n");
    let _ = writeln!(
        s,
        "{} connections for conditional GETs, {} for the {}-id sync; each phase {} s or {} requests at most.\n",
        args.connections, args.sync_connections, args.cards, args.seconds, args.max_requests
    );
    let _ = writeln!(
        s,
        "| what | req/s | p50 ms | p90 ms | p99 ms | max ms | requests | note |"
    );
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    if let Some(n) = nginx {
        let _ = writeln!(
            s,
            "{}",
            n.row(
                "nginx: static file, If-None-Match → 304 (ceiling)",
                "same client"
            )
        );
    }
    for r in results {
        let pct = nginx
            .map(|n| format!("{:.0} % of nginx", 100.0 * r.get.rate() / n.rate()))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{}",
            r.get.row(
                &format!("{}: GET /v1/cards/{{id}}, If-None-Match → 304", r.name),
                &pct
            )
        );
        let ids_per_s = r.sync.rate() * args.cards as f64;
        let _ = writeln!(
            s,
            "{}",
            r.sync.row(
                &format!(
                    "{}: POST /v1/sync, {} unchanged ids → empty",
                    r.name, args.cards
                ),
                &format!("{:.2} M ids/s", ids_per_s / 1e6)
            )
        );
        let _ = writeln!(
            s,
            "{}",
            r.sync_one.row(
                &format!("{}: the same sync, 1 connection", r.name),
                "one client's wait"
            )
        );
    }
    let _ = writeln!(
        s,
        "\nPublishing the {} cards (PUT, 16 connections): {}.\n",
        args.cards,
        results
            .iter()
            .map(|r| format!("{} {:.0} cards/s", r.name, r.publish_rate))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "### 1,000 unchanged cards: one batch sync vs 1,000 conditional GETs\n"
    );
    let _ = writeln!(
        s,
        "Median of {} rounds, same server, same run (issue 4 target: batch ≥ 50× faster).\n",
        args.rounds
    );
    let _ = writeln!(s, "| backend | 1 sync of 1,000 ids | 1,000 GETs, 1 connection | ratio | 1,000 GETs, {} connections | ratio |", args.connections.min(8));
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for r in results {
        let c = &r.compare;
        let _ = writeln!(
            s,
            "| {} | {:.2} ms | {:.1} ms | **{:.0}×** | {:.1} ms | {:.0}× |",
            r.name,
            ms(c.batch),
            ms(c.gets_sequential),
            c.gets_sequential.as_secs_f64() / c.batch.as_secs_f64(),
            ms(c.gets_parallel),
            c.gets_parallel.as_secs_f64() / c.batch.as_secs_f64(),
        );
    }
    let _ = writeln!(
        s,
        "\n### Full download (a new phone, a restore) and memory\n\n\
         `POST /v1/sync` listing {} ids at version 0 (typical cards without photo: name, company,\n\
         title, 2 mobiles, email, address, website, QQ, WeChat), one connection, median of {} rounds,\n\
         time = request sent → answer read in full on 127.0.0.1. Targets: ≤ 20 ms, ≤ 450 B per card.\n\
         Server RSS read from /proc right after the conditional-GET phase (target ≤ 64 MB).\n",
        args.full_download_ids, args.rounds
    );
    let _ = writeln!(
        s,
        "| backend | JSON: time | JSON: bytes per card | with Accept-Encoding: gzip, br | binary records: time | binary: bytes per card | server VmRSS / peak (VmHWM) under 304 load |"
    );
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in results {
        let (d, g, bin) = (&r.download, &r.download_gzip, &r.download_binary);
        let gz = if g.encoded {
            format!(
                "{:.2} ms, **{:.0} B** per card",
                ms(g.time),
                g.body_bytes as f64 / g.cards.max(1) as f64
            )
        } else {
            "not compressed by the server".to_string()
        };
        let rss = r
            .rss
            .map(|(rss, hwm)| {
                format!(
                    "{:.1} / {:.1} MiB",
                    rss as f64 / 1024.0,
                    hwm as f64 / 1024.0
                )
            })
            .unwrap_or_else(|| "n/a".into());
        let _ = writeln!(
            s,
            "| {} | {:.2} ms | {:.0} B | {} | **{:.2} ms** | **{:.0} B** | {} |",
            r.name,
            ms(d.time),
            d.body_bytes as f64 / d.cards.max(1) as f64,
            gz,
            ms(bin.time),
            bin.body_bytes as f64 / bin.cards.max(1) as f64,
            rss
        );
    }
    for note in skipped {
        let _ = writeln!(s, "\n**Skipped:** {note}");
    }
    s
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("livecard-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut skipped = Vec::new();

    if args.soak_minutes > 0 {
        let soak_args = soak::SoakArgs {
            minutes: args.soak_minutes,
            interval_secs: args.soak_interval_secs,
            workers: args.soak_workers.max(1),
            slow: args.soak_slow,
            load: args.soak_load.clamp(0.05, 1.0),
            cards: args.cards.max(100),
        };
        let text = soak::run(args.server_bin()?, &dir, &soak_args).await;
        let _ = std::fs::remove_dir_all(&dir);
        let text = text?;
        match &args.out {
            Some(p) => {
                std::fs::write(p, &text).with_context(|| format!("write {}", p.display()))?
            }
            None => print!("{text}"),
        }
        return Ok(());
    }

    if args.only_cond_get {
        let text = condget::run(&args, args.server_bin()?, &dir).await;
        let _ = std::fs::remove_dir_all(&dir);
        let text = text?;
        match &args.out {
            Some(p) => {
                std::fs::write(p, &text).with_context(|| format!("write {}", p.display()))?
            }
            None => print!("{text}"),
        }
        return Ok(());
    }

    if args.only_full_download {
        if let Some(old) = &args.compare_server_bin {
            download::must_exist(old, "--compare-server-bin")?;
        }
        let mut text = download::header(&args);
        if args.server_url.is_some() {
            text.push_str(&download::row(&args, "server", "").await?);
        } else {
            let sqlite_dir = dir.join("sqlite");
            std::fs::create_dir_all(&sqlite_dir)?;
            let sqlite_url = format!("sqlite://{}", sqlite_dir.join("bench.db").display());
            text.push_str(&download::row(&args, "SQLite", &sqlite_url).await?);
            if let Some(url) = &args.postgres_url {
                text.push_str(&download::row(&args, "PostgreSQL", url).await?);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        match &args.out {
            Some(p) => {
                std::fs::write(p, &text).with_context(|| format!("write {}", p.display()))?
            }
            None => print!("{text}"),
        }
        return Ok(());
    }

    // The file nginx serves: a real record's JSON, as large as what the API would send.
    let sample = seal(
        &Card {
            name: "张三丰".into(),
            ..Card::default()
        },
        &CardKeys::generate(),
        &ShareSecret::generate(),
        1,
    )?;
    let nginx = if args.nginx.exists() {
        Some(bench_nginx(&args, &dir.join("nginx"), &serde_json::to_vec(&sample)?).await?)
    } else {
        skipped.push(format!("nginx: {} not found", args.nginx.display()));
        None
    };

    let mut results = Vec::new();
    let sqlite_dir = dir.join("sqlite");
    std::fs::create_dir_all(&sqlite_dir)?;
    let sqlite_url = format!("sqlite://{}", sqlite_dir.join("bench.db").display());
    results.push(bench_backend(&args, "SQLite", &sqlite_url).await?);
    match &args.postgres_url {
        Some(url) => results.push(bench_backend(&args, "PostgreSQL", url).await?),
        None => skipped.push("PostgreSQL: no --postgres-url".into()),
    }

    let mut text = report(&args, nginx.as_ref(), &results, &skipped);

    let mut sizes = args.growth.clone();
    sizes.sort_unstable();
    sizes.dedup();
    sizes.retain(|&n| n > 0);
    let mut curves = Vec::new();
    if !sizes.is_empty() {
        let gdir = dir.join("growth-sqlite");
        std::fs::create_dir_all(&gdir)?;
        let url = format!("sqlite://{}", gdir.join("growth.db").display());
        curves.push(
            growth::run(
                args.server_bin()?,
                "SQLite",
                &url,
                growth::Storage::SqliteDir(&gdir),
                &sizes,
                args.rounds,
            )
            .await?,
        );
        if let Some(url) = &args.growth_postgres_url {
            curves.push(
                growth::run(
                    args.server_bin()?,
                    "PostgreSQL",
                    url,
                    growth::Storage::Postgres(url),
                    &sizes,
                    args.rounds,
                )
                .await?,
            );
        }
        text.push_str(&growth::report(&curves, args.rounds));
    }
    match &args.radicale {
        Some(bin) if bin.exists() => {
            let mut rsizes = args.radicale_cards.clone();
            rsizes.sort_unstable();
            rsizes.dedup();
            rsizes.retain(|&n| n > 0);
            let steps = radicale::run(bin, &dir.join("radicale"), &rsizes, args.rounds).await?;
            text.push_str(&radicale::report(
                &steps,
                &radicale::version(bin),
                curves.first(),
                args.rounds,
            ));
        }
        Some(bin) => text.push_str(&format!(
            "\n**Skipped:** Radicale: {} not found\n",
            bin.display()
        )),
        None => {}
    }
    let _ = std::fs::remove_dir_all(&dir);
    match &args.out {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("write {}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}
