//! Growth curves: one server per backend on an empty store, filled in steps (e.g. 1k → 10k →
//! 100k typical cards); at each step the store size on disk, the sync of every id with nothing
//! changed, the full download of every id, and the same two for a fixed 1,000 ids (which should
//! not depend on the store size).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use livecard_format::wire::{CardId, DEFAULT_MAX_SYNC_IDS};

use crate::{check_empty_sync, full_download, median, ms, seed_from, start_server, sync_body_at};
use crate::{Conn, Download};

/// Where a backend keeps its data, to measure its size.
pub(crate) enum Storage<'a> {
    /// The SQLite file's directory (database, WAL and shared-memory file).
    SqliteDir(&'a Path),
    /// A PostgreSQL URL, measured with `psql` (`pg_total_relation_size('cards')`: table,
    /// TOAST and indexes).
    Postgres(&'a str),
}

impl Storage<'_> {
    fn bytes(&self) -> Result<u64> {
        match self {
            Storage::SqliteDir(dir) => {
                let mut total = 0;
                for e in std::fs::read_dir(dir)? {
                    total += e?.metadata()?.len();
                }
                Ok(total)
            }
            Storage::Postgres(url) => {
                let out = Command::new("psql")
                    .args([url, "-Atc", "SELECT pg_total_relation_size('cards')"])
                    .output()
                    .context("run psql for the PostgreSQL store size")?;
                if !out.status.success() {
                    bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
                }
                Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
            }
        }
    }
}

/// Measures of one step.
pub(crate) struct Step {
    pub cards: usize,
    pub store_bytes: u64,
    /// Sync of every id, nothing changed (requests of ≤ 10,000 ids in turn).
    pub sync_all: Duration,
    pub full_all: Download,
    pub sync_1k: Duration,
    pub full_1k: Download,
}

pub(crate) struct Curve {
    pub backend: String,
    pub steps: Vec<Step>,
}

/// Median time of syncing `ids` (unchanged, version 1) in requests of ≤ `chunk` ids.
async fn sync_unchanged(
    addr: SocketAddr,
    ids: &[CardId],
    chunk: usize,
    rounds: usize,
) -> Result<Duration> {
    let bodies: Vec<Bytes> = ids
        .chunks(chunk)
        .map(|c| sync_body_at(c, 1))
        .collect::<Result<_>>()?;
    let mut conn = Conn::open(addr).await?;
    let mut times = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        for body in &bodies {
            let (status, _, bytes) = conn
                .request(
                    Method::POST,
                    "/v1/sync",
                    &[("content-type", "application/json")],
                    body.clone(),
                )
                .await?;
            if status != StatusCode::OK {
                bail!("sync: {status}");
            }
            check_empty_sync(&bytes)?;
        }
        times.push(t.elapsed());
    }
    Ok(median(times))
}

/// Runs the curve for one backend; `sizes` ascending.
pub(crate) async fn run(
    server_bin: &Path,
    backend: &str,
    url: &str,
    storage: Storage<'_>,
    sizes: &[usize],
    rounds: usize,
) -> Result<Curve> {
    let (server, addr) = start_server(server_bin, url)?;
    let mut ids: Vec<CardId> = Vec::new();
    let mut steps = Vec::new();
    for &n in sizes {
        if n <= ids.len() {
            continue;
        }
        eprintln!("== growth {backend}: publishing up to {n} cards");
        let (more, _) = seed_from(addr, ids.len(), n - ids.len(), 16).await?;
        ids.extend(more);
        // Big steps take long per round; fewer rounds there.
        let r = if n > 20_000 { rounds.min(5) } else { rounds };
        eprintln!("== growth {backend} {n}: sync and full download");
        let sync_all = sync_unchanged(addr, &ids, DEFAULT_MAX_SYNC_IDS, r).await?;
        let full_all = full_download(addr, &ids, DEFAULT_MAX_SYNC_IDS, r, "").await?;
        let k = ids.len().min(1000);
        let sync_1k = sync_unchanged(addr, &ids[..k], k, rounds).await?;
        let full_1k = full_download(addr, &ids[..k], k, rounds, "").await?;
        let store_bytes = storage.bytes()?;
        steps.push(Step {
            cards: n,
            store_bytes,
            sync_all,
            full_all,
            sync_1k,
            full_1k,
        });
    }
    drop(server);
    Ok(Curve {
        backend: backend.to_string(),
        steps,
    })
}

pub(crate) fn report(curves: &[Curve], rounds: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n### Growth: 1k / 10k / 100k cards\n");
    let _ = writeln!(
        s,
        "One server per backend on an empty store, filled with typical cards in steps; at each \
         step: the store on disk (SQLite: database + WAL + shm files; PostgreSQL: \
         `pg_total_relation_size('cards')`), a sync of every id with nothing changed and a full \
         download of every id (requests of ≤ {DEFAULT_MAX_SYNC_IDS} ids in turn, one \
         connection), and the same for a fixed 1,000 ids. Median of {rounds} rounds (5 above \
         20k cards). \"per 1k\" = time per 1,000 cards: flat = linear.\n"
    );
    let _ = writeln!(
        s,
        "| backend | cards | store | B/card | sync all, nothing changed | per 1k | full download all | per 1k | wire | 1,000 ids: sync / full download |"
    );
    let _ = writeln!(
        s,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for c in curves {
        for st in &c.steps {
            let k = st.cards as f64 / 1000.0;
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} MB | {:.0} | {:.1} ms | {:.2} ms | {:.1} ms | {:.2} ms | {:.1} MB | {:.2} / {:.2} ms |",
                c.backend,
                st.cards,
                st.store_bytes as f64 / 1e6,
                st.store_bytes as f64 / st.cards as f64,
                ms(st.sync_all),
                ms(st.sync_all) / k,
                ms(st.full_all.time),
                ms(st.full_all.time) / k,
                st.full_all.body_bytes as f64 / 1e6,
                ms(st.sync_1k),
                ms(st.full_1k.time),
            );
        }
    }
    s
}
