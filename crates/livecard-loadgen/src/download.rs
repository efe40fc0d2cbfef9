//! `--only-full-download`: the full download (a new phone, a restore: `POST /v1/sync` listing
//! every id at version 0) alone, for profiling and for before/after comparisons.
//!
//! - Without other flags: one server per backend, `--full-download-ids` fresh cards, the JSON,
//!   gzip and binary downloads (a table row per backend).
//! - `--server-url http://127.0.0.1:PORT`: a server that is already running (e.g. under
//!   `valgrind --tool=callgrind`, `scripts/profile-download.sh`) instead of starting one.
//! - `--ids-file PATH`: the cards to download; when the file does not exist, the cards are
//!   published and their ids written there, so a second run downloads the same cards without
//!   publishing (the profile then counts downloads only).
//! - `--binary-only`: only the binary records answer (what the app asks for).
//! - `--compare-server-bin OLD`: A/B at the same load: `OLD` is started on the same database
//!   after the cards are published, and the two servers' downloads alternate round by round on
//!   one connection each (who goes first alternates too); medians of both.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use livecard_format::wire::{is_records_media_type, CardId, SyncResponse, RECORDS_MEDIA_TYPE};

use crate::{median, ms, seed_from, start_server, sync_body_at, Args, Conn, Download, Proc};

/// One connection downloading `ids` in requests of at most `chunk` ids.
pub(crate) struct Downloader {
    conn: Conn,
    bodies: Vec<Bytes>,
    accept_encoding: String,
    binary: bool,
    want: usize,
}

/// What one round (every request once) read.
pub(crate) struct Round {
    /// Sum of the requests' times (sent → answer read in full).
    pub took: Duration,
    pub body_bytes: usize,
    pub cards: usize,
    pub encoded: bool,
}

impl Downloader {
    pub(crate) async fn open(
        addr: SocketAddr,
        ids: &[CardId],
        chunk: usize,
        accept_encoding: &str,
        binary: bool,
    ) -> Result<Downloader> {
        let bodies = ids
            .chunks(chunk.max(1))
            .map(|c| sync_body_at(c, 0))
            .collect::<Result<_>>()?;
        Ok(Downloader {
            conn: Conn::open(addr).await?,
            bodies,
            accept_encoding: accept_encoding.to_string(),
            binary,
            want: ids.len(),
        })
    }

    /// Every request once; the answers must hold a record for every id (decoding them is not
    /// counted in the time).
    pub(crate) async fn round(&mut self) -> Result<Round> {
        let mut out = Round {
            took: Duration::ZERO,
            body_bytes: 0,
            cards: 0,
            encoded: false,
        };
        for body in &self.bodies {
            let mut headers = vec![("content-type", "application/json")];
            if !self.accept_encoding.is_empty() {
                headers.push(("accept-encoding", self.accept_encoding.as_str()));
            }
            if self.binary {
                headers.push(("accept", RECORDS_MEDIA_TYPE));
            }
            let t = Instant::now();
            let (status, h, bytes) = self
                .conn
                .request(Method::POST, "/v1/sync", &headers, body.clone())
                .await?;
            out.took += t.elapsed();
            if status != StatusCode::OK {
                bail!(
                    "full download: {status}: {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            out.body_bytes += bytes.len();
            out.encoded = h.contains_key(hyper::header::CONTENT_ENCODING);
            let plain = match h.get(hyper::header::CONTENT_ENCODING).map(|v| v.as_bytes()) {
                None => bytes.to_vec(),
                Some(b"gzip") => {
                    use std::io::Read as _;
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out)?;
                    out
                }
                Some(other) => bail!(
                    "full download: unexpected Content-Encoding {}",
                    String::from_utf8_lossy(other)
                ),
            };
            let records = h
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(is_records_media_type);
            if records != self.binary {
                bail!(
                    "full download: binary answer asked {}, got {records}",
                    self.binary
                );
            }
            let resp: SyncResponse = if records {
                SyncResponse::from_records(&plain)?
            } else {
                serde_json::from_slice(&plain)?
            };
            if resp.truncated || !resp.unknown.is_empty() {
                bail!(
                    "full download: truncated={} unknown={}",
                    resp.truncated,
                    resp.unknown.len()
                );
            }
            out.cards += resp.changed.len();
        }
        if out.cards != self.want {
            bail!("full download: {} records for {} ids", out.cards, self.want);
        }
        Ok(out)
    }
}

/// `rounds` rounds of `d`; the median time.
pub(crate) async fn rounds(d: &mut Downloader, rounds: usize) -> Result<Download> {
    let mut times = Vec::with_capacity(rounds.max(1));
    let mut last = None;
    for _ in 0..rounds.max(1) {
        let r = d.round().await?;
        times.push(r.took);
        last = Some(r);
    }
    let last = last.context("no round")?;
    Ok(Download {
        time: median(times),
        body_bytes: last.body_bytes,
        cards: last.cards,
        encoded: last.encoded,
    })
}

/// The ids of `--ids-file` when it exists; else publishes `n` typical cards (and writes their
/// ids there when a file is named).
async fn ids_for(args: &Args, addr: SocketAddr, n: usize) -> Result<Vec<CardId>> {
    if let Some(path) = &args.ids_file {
        if path.exists() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("read {}", path.display()))?;
            let ids = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| CardId::parse(l).with_context(|| format!("id {l:?}")))
                .collect::<Result<Vec<_>>>()?;
            eprintln!("== {} ids from {}", ids.len(), path.display());
            return Ok(ids);
        }
    }
    eprintln!("== publishing {n} cards");
    let (ids, _) = seed_from(addr, 0, n, 16).await?;
    if let Some(path) = &args.ids_file {
        let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
        std::fs::write(path, text).with_context(|| format!("write {}", path.display()))?;
    }
    Ok(ids)
}

fn addr_of(url: &str) -> Result<SocketAddr> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    rest.trim_end_matches('/')
        .parse()
        .with_context(|| format!("--server-url {url:?}: expected http://127.0.0.1:PORT"))
}

fn per_card(d: &Download) -> f64 {
    d.body_bytes as f64 / d.cards.max(1) as f64
}

/// The header of [`row`]'s table.
pub(crate) fn header(args: &Args) -> String {
    if args.compare_server_bin.is_some() {
        format!(
            "| backend ({} cards, binary answer, median of {} alternating rounds) | {} | this server | ratio | bytes per card |\n| --- | ---: | ---: | ---: | ---: |\n",
            args.full_download_ids,
            args.rounds,
            args.compare_server_bin
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )
    } else {
        format!(
            "| backend ({} cards, median of {} rounds) | JSON: time | JSON: bytes per card | gzip | binary: time | binary: bytes per card |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
            args.full_download_ids, args.rounds
        )
    }
}

/// One backend (`url`), or the server at `--server-url`: a table row.
pub(crate) async fn row(args: &Args, name: &str, url: &str) -> Result<String> {
    let (server, addr): (Option<Proc>, SocketAddr) = match &args.server_url {
        Some(u) => (None, addr_of(u)?),
        None => {
            eprintln!("== {name}: starting server on {url}");
            let (p, a) = start_server(args.server_bin()?, url)?;
            (Some(p), a)
        }
    };
    let ids = ids_for(args, addr, args.full_download_ids.max(1)).await?;
    let n = ids.len();
    if let Some(old) = &args.compare_server_bin {
        let (old_server, old_addr) = start_server(old, url)?;
        let line = compare(name, addr, old_addr, &ids, args.rounds).await?;
        drop(old_server);
        drop(server);
        return Ok(line);
    }
    eprintln!("== {name}: full download of {n} cards");
    let binary = rounds(
        &mut Downloader::open(addr, &ids, n, "", true).await?,
        args.rounds,
    )
    .await?;
    if args.binary_only {
        drop(server);
        return Ok(format!(
            "| {name} | – | – | – | **{:.2} ms** | **{:.0} B** |\n",
            ms(binary.time),
            per_card(&binary)
        ));
    }
    let json = rounds(
        &mut Downloader::open(addr, &ids, n, "", false).await?,
        args.rounds,
    )
    .await?;
    let gzip = rounds(
        &mut Downloader::open(addr, &ids, n, "gzip, br", false).await?,
        args.rounds,
    )
    .await?;
    drop(server);
    Ok(format!(
        "| {name} | {:.2} ms | {:.0} B | {} | **{:.2} ms** | **{:.0} B** |\n",
        ms(json.time),
        per_card(&json),
        if gzip.encoded {
            format!("{:.2} ms, {:.0} B", ms(gzip.time), per_card(&gzip))
        } else {
            "not compressed".into()
        },
        ms(binary.time),
        per_card(&binary),
    ))
}

/// Binary downloads from two servers over the same database, alternating.
async fn compare(
    name: &str,
    new: SocketAddr,
    old: SocketAddr,
    ids: &[CardId],
    n_rounds: usize,
) -> Result<String> {
    let n = ids.len();
    let mut a = Downloader::open(old, ids, n, "", true).await?;
    let mut b = Downloader::open(new, ids, n, "", true).await?;
    // One warm-up round each (page caches, prepared statements).
    a.round().await?;
    let last = b.round().await?;
    eprintln!("== {name}: {n_rounds} alternating rounds, old vs new server");
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for i in 0..n_rounds.max(1) {
        if i % 2 == 0 {
            ta.push(a.round().await?.took);
            tb.push(b.round().await?.took);
        } else {
            tb.push(b.round().await?.took);
            ta.push(a.round().await?.took);
        }
    }
    let (ma, mb) = (median(ta), median(tb));
    Ok(format!(
        "| {name} | {:.2} ms | **{:.2} ms** | {:.2}× | {:.0} B |\n",
        ms(ma),
        ms(mb),
        ma.as_secs_f64() / mb.as_secs_f64().max(1e-9),
        last.body_bytes as f64 / last.cards.max(1) as f64
    ))
}

/// Checks that `path` names a file (for the flags' error messages).
pub(crate) fn must_exist(path: &Path, flag: &str) -> Result<()> {
    if !path.exists() {
        bail!("{flag} {}: no such file", path.display());
    }
    Ok(())
}
