//! Live updates while the app is open (issue 16, docs/PROTOCOL.md §6): [`Core::watch`] holds a
//! `POST /v1/watch` Server-Sent Events stream per server (per 1,000 cards) for the live cards
//! held here, and applies each `version` / `gone` event through the same path as a refresh
//! (signatures, pinned key, rollback refusal). After every (re)connect — and on `resync` — it
//! runs one batch sync, so nothing is missed while disconnected. Errors back off 1 s, 2 s, 4 s …
//! 60 s with jitter.
//!
//! The SSE reader is hand-written ([`SseParser`], ~60 lines): the server sends a small subset
//! (`event:`/`data:` lines, `: hb` comments), the parser caps line and event size against a
//! hostile server, and it needs no extra crate or reqwest's `stream` feature (chunks are read
//! with `Response::chunk`). docs/DEPENDENCIES.md says the same.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use livecard_format::wire::{self, CardId, SyncItem, WatchEvent as Sse};
use serde::Serialize;
use sqlx::Row;
use tokio::sync::mpsc;

use crate::api::{self, Api};
use crate::error::{CoreError, Result};
use crate::store::Unlocked;
use crate::Core;

/// Longest SSE line or event data accepted from a server.
pub const MAX_SSE_LINE: usize = 16 * 1024;
/// Longest wait between reconnects.
pub const MAX_BACKOFF_SECS: u64 = 60;
/// How often the set of watched cards is compared with the cards held (cards added or
/// deleted meanwhile restart the streams).
const RESCAN: Duration = Duration::from_secs(30);

/// One received card that changed while watching.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WatchUpdate {
    /// Local id of the received card (as `livecard show` takes it).
    pub id: String,
    /// The server card id.
    pub card_id: String,
    /// The owner's version now held.
    pub version: u64,
    /// Fields that changed (names as in `livecard me edit`); empty for a status change.
    pub changed: Vec<String>,
    /// `active`, `revoked` or `deleted`.
    #[cfg_attr(feature = "ts", ts(as = "crate::model::Status"))]
    pub status: String,
}

/// What [`Core::watch`] reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WatchEvent {
    /// A card changed (through a stream event or the sync after a (re)connect).
    Update(WatchUpdate),
    /// A stream to `server` is live for `ids` cards (and the catch-up sync has run).
    Connected { server: String, ids: usize },
    /// A stream to `server` ended or failed; the next try is in `retry_ms`.
    Disconnected {
        server: String,
        error: String,
        retry_ms: u64,
    },
}

/// An incremental parser of `text/event-stream` bytes: yields `(event name, data)` for each
/// event (name `message` when none was given). Comment lines (`:`) and unknown fields are
/// skipped.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// Feeds bytes; returns the events they completed. Err: a line or event over
    /// [`MAX_SSE_LINE`] or not UTF-8 (the stream is dropped).
    pub fn feed(&mut self, bytes: &[u8]) -> std::result::Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for &b in bytes {
            if b != b'\n' {
                if self.line.len() >= MAX_SSE_LINE {
                    return Err("an event-stream line is too long".into());
                }
                self.line.push(b);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8(line).map_err(|_| "event stream is not UTF-8")?;
            if line.is_empty() {
                if self.has_data {
                    let name = match std::mem::take(&mut self.event) {
                        n if n.is_empty() => "message".to_string(),
                        n => n,
                    };
                    out.push((name, std::mem::take(&mut self.data)));
                }
                self.event.clear();
                self.data.clear();
                self.has_data = false;
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line.as_str(), ""),
            };
            match field {
                "event" => self.event = value.to_string(),
                "data" => {
                    if self.has_data {
                        self.data.push('\n');
                    }
                    if self.data.len() + value.len() > MAX_SSE_LINE {
                        return Err("an event's data is too long".into());
                    }
                    self.data.push_str(value);
                    self.has_data = true;
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Delay before reconnect `attempt` (0-based): 1 s, 2 s, 4 s … 60 s, each with jitter (between
/// half and all of it).
pub fn backoff(attempt: u32) -> Duration {
    let full_ms = 1000u64
        .saturating_mul(1u64 << attempt.min(6))
        .min(MAX_BACKOFF_SECS * 1000);
    let r = getrandom::u32().unwrap_or(0) as u64;
    Duration::from_millis(full_ms / 2 + r % (full_ms / 2 + 1))
}

/// What a stream task tells the watch loop.
enum Msg {
    Ready {
        server: String,
        ids: usize,
    },
    Change {
        id: CardId,
        version: u64,
    },
    Resync,
    Down {
        server: String,
        error: String,
        retry: Duration,
    },
}

/// Aborts the stream tasks when the watch ends.
struct Tasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// One stream: connects, forwards events, reconnects with backoff. Runs until aborted.
async fn run_stream(
    api: Api,
    client: reqwest::Client,
    items: Vec<SyncItem>,
    tx: mpsc::UnboundedSender<Msg>,
) {
    let server = api.base().to_string();
    let mut attempt: u32 = 0;
    loop {
        let err = match stream_once(&api, &client, &items, &tx, &mut attempt).await {
            Ok(()) => "the server ended the stream".to_string(),
            Err(e) => e.to_string(),
        };
        let retry = backoff(attempt);
        attempt = attempt.saturating_add(1);
        if tx
            .send(Msg::Down {
                server: server.clone(),
                error: err,
                retry,
            })
            .is_err()
        {
            return;
        }
        tokio::time::sleep(retry).await;
    }
}

async fn stream_once(
    api: &Api,
    client: &reqwest::Client,
    items: &[SyncItem],
    tx: &mpsc::UnboundedSender<Msg>,
    attempt: &mut u32,
) -> Result<()> {
    let mut resp = api
        .watch_open(
            client,
            &wire::WatchRequest {
                cards: items.to_vec(),
            },
        )
        .await?;
    let mut parser = SseParser::default();
    // Until `ready` says the heartbeat, allow the normal read timeout of silence.
    let mut silence = api::READ_TIMEOUT;
    let bad = |m: String| CoreError::Server {
        code: "bad_answer".into(),
        message: format!("{}: {m}", api.base()),
    };
    loop {
        let chunk = match tokio::time::timeout(silence, resp.chunk()).await {
            Err(_) => {
                return Err(CoreError::Offline(format!(
                    "{}: no heartbeat for {} s",
                    api.base(),
                    silence.as_secs()
                )))
            }
            Ok(Err(e)) => return Err(api.stream_error(e)),
            Ok(Ok(None)) => return Ok(()),
            Ok(Ok(Some(c))) => c,
        };
        for (name, data) in parser.feed(&chunk).map_err(bad)? {
            let ev = match Sse::parse(&name, &data) {
                Ok(Some(ev)) => ev,
                Ok(None) => continue,
                Err(e) => return Err(bad(format!("bad {name} event: {e}"))),
            };
            let msg = match ev {
                Sse::Ready(r) => {
                    *attempt = 0;
                    silence = Duration::from_secs(r.heartbeat_secs.clamp(1, 300) * 3 + 5);
                    Msg::Ready {
                        server: api.base().to_string(),
                        ids: r.ids,
                    }
                }
                Sse::Version(c) | Sse::Gone(c) => Msg::Change {
                    id: c.id,
                    version: c.version,
                },
                Sse::Resync => Msg::Resync,
            };
            if tx.send(msg).is_err() {
                return Ok(());
            }
        }
    }
}

/// (local id, version, status) of a received card.
type Held = (String, i64, String);

impl Core {
    /// Watches the live cards held here until `stop` completes, calling `on` for every change
    /// (and connection state). See the module docs. Returns an error only when the store
    /// refuses (e.g. the PIN lock locked); servers being unreachable is reported through `on`
    /// and retried.
    pub async fn watch<S, F>(&self, stop: S, mut on: F) -> Result<()>
    where
        S: Future<Output = ()>,
        F: FnMut(WatchEvent),
    {
        let mut stop = std::pin::pin!(stop);
        let client = api::new_stream_client()?;
        'restart: loop {
            let db = self.unlocked().await?;
            let plan = self.live_cards_by_server(db).await?;
            let (tx, mut rx) = mpsc::unbounded_channel();
            let mut tasks = Tasks(Vec::new());
            for (server, items) in &plan {
                let api = self.api(server)?;
                for chunk in items.chunks(wire::DEFAULT_MAX_WATCH_IDS) {
                    tasks.0.push(tokio::spawn(run_stream(
                        api.clone(),
                        client.clone(),
                        chunk.to_vec(),
                        tx.clone(),
                    )));
                }
            }
            drop(tx);
            let mut rescan = tokio::time::interval(RESCAN);
            rescan.tick().await;
            loop {
                let msg = tokio::select! {
                    _ = &mut stop => return Ok(()),
                    _ = rescan.tick() => {
                        let db = self.unlocked().await?;
                        if self.live_cards_by_server(db).await?.iter().map(|(s, i)| (s, i.iter().map(|x| &x.id).collect::<Vec<_>>())).collect::<Vec<_>>()
                            != plan.iter().map(|(s, i)| (s, i.iter().map(|x| &x.id).collect::<Vec<_>>())).collect::<Vec<_>>()
                        {
                            drop(tasks);
                            continue 'restart;
                        }
                        continue;
                    }
                    m = rx.recv() => match m {
                        Some(m) => m,
                        // No stream at all (no live cards): wait for stop or a rescan.
                        None => {
                            tokio::select! {
                                _ = &mut stop => return Ok(()),
                                _ = tokio::time::sleep(RESCAN) => { drop(tasks); continue 'restart; }
                            }
                        }
                    },
                };
                let handled = tokio::select! {
                    _ = &mut stop => return Ok(()),
                    r = self.watch_handle(msg, &mut on) => r,
                };
                handled?;
            }
        }
    }

    /// The live cards (to sync or watch) with the version held, by server; a partial copy counts
    /// as version 0 so that the full record comes.
    pub(crate) async fn live_cards_by_server(
        &self,
        db: Unlocked<'_>,
    ) -> Result<BTreeMap<String, Vec<SyncItem>>> {
        let rows = sqlx::query(
            "SELECT r.remote_id, r.remote_version, s.server_url, s.partial
             FROM received_cards r JOIN received_sync s ON s.card_id = r.id
             WHERE r.live = 1 AND r.status = 'active' AND r.remote_id IS NOT NULL
             ORDER BY s.server_url, r.remote_id",
        )
        .fetch_all(db.pool())
        .await?;
        let mut by_server: BTreeMap<String, Vec<SyncItem>> = BTreeMap::new();
        for r in &rows {
            let remote: String = r.try_get("remote_id")?;
            let Ok(id) = CardId::parse(&remote) else {
                continue;
            };
            let partial = r.try_get::<i64, _>("partial")? != 0;
            let v = r.try_get::<Option<i64>, _>("remote_version")?.unwrap_or(0);
            by_server
                .entry(r.try_get("server_url")?)
                .or_default()
                .push(SyncItem {
                    id,
                    version: if partial { 0 } else { v.max(0) as u64 },
                });
        }
        Ok(by_server)
    }

    async fn held(&self, db: Unlocked<'_>, remote: Option<&str>) -> Result<HashMap<String, Held>> {
        let rows = sqlx::query(
            "SELECT id, remote_id, remote_version, status FROM received_cards
             WHERE remote_id IS NOT NULL AND (? IS NULL OR remote_id = ?)",
        )
        .bind(remote)
        .bind(remote)
        .fetch_all(db.pool())
        .await?;
        let mut out = HashMap::new();
        for r in rows {
            out.insert(
                r.try_get::<String, _>("remote_id")?,
                (
                    r.try_get("id")?,
                    r.try_get::<Option<i64>, _>("remote_version")?.unwrap_or(0),
                    r.try_get("status")?,
                ),
            );
        }
        Ok(out)
    }

    /// Updates between two snapshots: cards held before whose version or status changed.
    async fn updates(
        &self,
        db: Unlocked<'_>,
        before: &HashMap<String, Held>,
        after: &HashMap<String, Held>,
    ) -> Result<Vec<WatchUpdate>> {
        let mut out = Vec::new();
        for (remote, (id, v, status)) in after {
            let Some((_, v0, s0)) = before.get(remote) else {
                continue;
            };
            if v <= v0 && status == s0 {
                continue;
            }
            let changed: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT field FROM card_changes WHERE card_id = ? AND version > ?
                 ORDER BY field",
            )
            .bind(id)
            .bind(v0)
            .fetch_all(db.pool())
            .await?;
            out.push(WatchUpdate {
                id: id.clone(),
                card_id: remote.clone(),
                version: (*v).max(0) as u64,
                changed,
                status: status.clone(),
            });
        }
        out.sort_by(|a, b| a.card_id.cmp(&b.card_id));
        Ok(out)
    }

    async fn watch_handle<F: FnMut(WatchEvent)>(&self, msg: Msg, on: &mut F) -> Result<()> {
        let db = self.unlocked().await?;
        match msg {
            Msg::Ready { server, ids } => {
                self.watch_sync(db, on).await?;
                on(WatchEvent::Connected { server, ids });
            }
            Msg::Resync => self.watch_sync(db, on).await?,
            Msg::Down {
                server,
                error,
                retry,
            } => on(WatchEvent::Disconnected {
                server,
                error,
                retry_ms: retry.as_millis() as u64,
            }),
            Msg::Change { id, version } => {
                let before = self.held(db, Some(id.as_str())).await?;
                let Some((local, held, status)) = before.get(id.as_str()) else {
                    return Ok(());
                };
                if *held >= version as i64 || status != "active" {
                    return Ok(());
                }
                // The same path as opening the card: conditional GET, every check of sync.
                self.refresh_or_cached(local).await?;
                let after = self.held(db, Some(id.as_str())).await?;
                for u in self.updates(db, &before, &after).await? {
                    on(WatchEvent::Update(u));
                }
            }
        }
        Ok(())
    }

    /// One batch sync, reporting the cards it changed.
    async fn watch_sync<F: FnMut(WatchEvent)>(&self, db: Unlocked<'_>, on: &mut F) -> Result<()> {
        let before = self.held(db, None).await?;
        self.sync().await?;
        let after = self.held(db, None).await?;
        for u in self.updates(db, &before, &after).await? {
            on(WatchEvent::Update(u));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_parser_reads_events_comments_and_split_chunks() {
        let mut p = SseParser::default();
        let text = "event: ready\ndata: {\"ids\":2,\"heartbeat_secs\":1}\n\n: hb\n\nevent: version\r\ndata: {\"id\":\"A\",\r\ndata: \"version\":3}\r\n\r\ndata:x\n\n";
        let mut got = Vec::new();
        // Byte by byte: events complete across chunk boundaries.
        for b in text.as_bytes() {
            got.extend(p.feed(&[*b]).unwrap());
        }
        assert_eq!(
            got,
            vec![
                (
                    "ready".to_string(),
                    "{\"ids\":2,\"heartbeat_secs\":1}".to_string()
                ),
                (
                    "version".to_string(),
                    "{\"id\":\"A\",\n\"version\":3}".to_string()
                ),
                ("message".to_string(), "x".to_string()),
            ]
        );
        // An event without data is not dispatched; the next one starts clean.
        assert!(p.feed(b"event: gone\n\n").unwrap().is_empty());
        assert_eq!(p.feed(b"data: y\n\n").unwrap()[0].0, "message");
    }

    #[test]
    fn sse_parser_refuses_huge_lines_and_bad_utf8() {
        let mut p = SseParser::default();
        assert!(p.feed(&vec![b'a'; MAX_SSE_LINE + 1]).is_err());
        let mut p = SseParser::default();
        assert!(p.feed(b"data: \xff\xfe\n").is_err());
        let mut p = SseParser::default();
        let line = format!("data: {}\n", "a".repeat(MAX_SSE_LINE - 10));
        p.feed(line.as_bytes()).unwrap();
        assert!(p.feed(line.as_bytes()).is_err());
    }

    #[test]
    fn backoff_doubles_to_a_minute_with_jitter() {
        for (attempt, full) in [
            (0, 1000),
            (1, 2000),
            (2, 4000),
            (5, 32_000),
            (6, 60_000),
            (30, 60_000),
        ] {
            for _ in 0..20 {
                let d = backoff(attempt).as_millis() as u64;
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
            }
        }
    }
}
