//! `POST /v1/watch` (issue 16, docs/PROTOCOL.md §6): a Server-Sent Events stream of version
//! changes for a set of card ids, fed by the change feed (changes.rs).
//!
//! - The handler subscribes to the feed **before** it reads the stored versions, so a write
//!   that lands between the client's last sync and the watch is either in the catch-up events
//!   or in the feed (or both; a per-stream `id → highest version sent` drops repeats).
//! - Caps, checked before the stream starts (JSON refusals): ids per stream
//!   (`413 too_many_ids`), open streams per client address (`429 too_many_streams`) and in all
//!   (`503 too_many_streams`). Opening a stream is an ordinary request for the rate limiter.
//! - A heartbeat comment every `heartbeat` keeps the connection's idle watchdog (conn.rs)
//!   satisfied: it counts written bytes as progress, so a live stream is never cut while a
//!   client that stops reading is (its writes stop making progress). The heartbeat is clamped
//!   below the idle timeout at start-up (config.rs).
//! - A stream ends after `max_life`, when the server shuts down ([`WatchHub::close_all`]), or
//!   when the feed closes; clients reconnect and run one batch sync.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use livecard_wire::{
    CardId, ErrorCode, WatchChange, WatchEvent, WatchReady, WatchRequest, WATCH_HEARTBEAT,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::body_check;
use crate::changes::Change;
use crate::error::{ApiFailure, ApiJson};
use crate::AppState;

/// Limits of the watch endpoint.
#[derive(Debug, Clone)]
pub struct WatchLimits {
    /// Ids in one stream.
    pub max_ids: usize,
    /// Open streams from one client address.
    pub max_streams_per_ip: usize,
    /// Open streams in all.
    pub max_streams: usize,
    /// Time between heartbeat comments.
    pub heartbeat: Duration,
    /// Longest life of one stream.
    pub max_life: Duration,
}

impl Default for WatchLimits {
    fn default() -> Self {
        use livecard_wire::{
            DEFAULT_MAX_WATCH_IDS, DEFAULT_WATCH_HEARTBEAT_SECS, DEFAULT_WATCH_MAX_SECS,
        };
        WatchLimits {
            max_ids: DEFAULT_MAX_WATCH_IDS,
            max_streams_per_ip: 4,
            max_streams: 10_000,
            heartbeat: Duration::from_secs(DEFAULT_WATCH_HEARTBEAT_SECS),
            max_life: Duration::from_secs(DEFAULT_WATCH_MAX_SECS),
        }
    }
}

/// The open streams of one server: caps, shutdown, counters for /metrics.
pub struct WatchHub {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
    closing: tokio::sync::watch::Sender<bool>,
    /// Streams opened since start.
    pub opened: AtomicU64,
    /// `version` and `gone` events sent (catch-up included).
    pub events: AtomicU64,
    /// `resync` events sent.
    pub resyncs: AtomicU64,
}

impl Default for WatchHub {
    fn default() -> Self {
        WatchHub {
            open: Mutex::new((0, HashMap::new())),
            closing: tokio::sync::watch::Sender::new(false),
            opened: AtomicU64::new(0),
            events: AtomicU64::new(0),
            resyncs: AtomicU64::new(0),
        }
    }
}

/// One open stream's place in the hub; released when the stream's body is dropped.
struct StreamSlot {
    hub: Arc<WatchHub>,
    ip: IpAddr,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.hub.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_ip) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

impl WatchHub {
    fn acquire(
        self: &Arc<Self>,
        ip: IpAddr,
        limits: &WatchLimits,
    ) -> Result<StreamSlot, ApiFailure> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_ip) = &mut *open;
        let mine = per_ip.get(&ip).copied().unwrap_or(0);
        if mine >= limits.max_streams_per_ip {
            return Err(ApiFailure::new(
                ErrorCode::TooManyStreams,
                format!(
                    "this address holds {mine} watch streams; the limit is {}",
                    limits.max_streams_per_ip
                ),
            ));
        }
        if *total >= limits.max_streams {
            let mut f = ApiFailure::new(
                ErrorCode::TooManyStreams,
                "the server holds as many watch streams as it allows; retry later",
            );
            f.status = Some(StatusCode::SERVICE_UNAVAILABLE);
            f.retry_after = Some(30);
            return Err(f);
        }
        *total += 1;
        per_ip.insert(ip, mine + 1);
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(StreamSlot {
            hub: self.clone(),
            ip,
        })
    }

    /// Streams open now.
    pub fn open_streams(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    /// Ends every stream (server shutdown) and refuses none: new streams end at once.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }
}

/// Everything one stream needs between events.
struct Stream {
    feed: Receiver<Change>,
    /// Highest version sent (or known to the client) per watched id.
    known: HashMap<CardId, u64>,
    queue: VecDeque<Bytes>,
    heartbeat: Interval,
    end: Instant,
    closing: tokio::sync::watch::Receiver<bool>,
    hub: Arc<WatchHub>,
    _slot: StreamSlot,
}

impl Stream {
    /// Queues a version/gone event when it is newer than what the client has.
    fn offer(&mut self, id: &CardId, version: u64, gone: bool) {
        let Some(known) = self.known.get_mut(id) else {
            return;
        };
        if version <= *known {
            return;
        }
        *known = version;
        let change = WatchChange {
            id: id.clone(),
            version,
        };
        let event = if gone {
            WatchEvent::Gone(change)
        } else {
            WatchEvent::Version(change)
        };
        self.hub.events.fetch_add(1, Ordering::Relaxed);
        self.queue.push_back(Bytes::from(event.to_sse()));
    }

    fn resync(&mut self) {
        self.hub.resyncs.fetch_add(1, Ordering::Relaxed);
        self.queue
            .push_back(Bytes::from(WatchEvent::Resync.to_sse()));
    }

    /// The next piece of the body, or `None` when the stream ends.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(b) = self.queue.pop_front() {
                return Some(b);
            }
            if *self.closing.borrow() {
                return None;
            }
            tokio::select! {
                change = self.feed.recv() => match change {
                    Ok(Change::Version { id, version }) => self.offer(&id, version, false),
                    Ok(Change::Gone { id, version }) => self.offer(&id, version, true),
                    Ok(Change::Resync) | Err(RecvError::Lagged(_)) => self.resync(),
                    Err(RecvError::Closed) => return None,
                },
                _ = self.heartbeat.tick() => {
                    return Some(Bytes::from(format!("{WATCH_HEARTBEAT}\n\n")));
                }
                _ = tokio::time::sleep_until(self.end) => return None,
                _ = self.closing.changed() => return None,
            }
        }
    }
}

/// `POST /v1/watch`.
pub async fn watch(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(request): ApiJson<WatchRequest>,
) -> Result<Response, ApiFailure> {
    let limits = &state.config.watch;
    body_check::check_sync(&request, limits.max_ids)?;
    let slot = state.watch.acquire(peer.ip(), limits)?;
    // Subscribe first: a write committed after this point is in the feed.
    let feed = state.changes.subscribe();
    let mut known: HashMap<CardId, u64> = HashMap::with_capacity(request.cards.len());
    for item in request.cards {
        let v = known.entry(item.id).or_insert(0);
        *v = (*v).max(item.version);
    }
    let ids: Vec<CardId> = known.keys().cloned().collect();
    let stored = state.store.versions(&ids).await?;

    let mut heartbeat =
        tokio::time::interval_at(Instant::now() + limits.heartbeat, limits.heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut stream = Stream {
        feed,
        known,
        queue: VecDeque::new(),
        heartbeat,
        end: Instant::now() + limits.max_life,
        closing: state.watch.closing.subscribe(),
        hub: state.watch.clone(),
        _slot: slot,
    };
    stream.queue.push_back(Bytes::from(
        WatchEvent::Ready(WatchReady {
            ids: ids.len(),
            heartbeat_secs: limits.heartbeat.as_secs().max(1),
        })
        .to_sse(),
    ));
    let mut catch_up: Vec<(&CardId, u64, bool)> = stored
        .iter()
        .map(|(id, info)| (id, info.version, info.deleted))
        .collect();
    catch_up.sort();
    for (id, version, deleted) in catch_up {
        stream.offer(id, version, deleted);
    }

    let body = futures_util::stream::unfold(stream, |mut s| async move {
        let next = s.next().await?;
        Some((Ok::<Bytes, std::convert::Infallible>(next), s))
    });
    let mut resp = Body::from_stream(body).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Reverse proxies (nginx) must pass events on at once.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}
