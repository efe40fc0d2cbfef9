//! `/metrics` in Prometheus/OpenMetrics text, with the `prometheus-client` crate (the
//! Prometheus project's Rust client): its registry is a value owned by each app instance rather
//! than a process-wide recorder, so several servers in one test process keep separate counts.

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::error::ApiFailure;
use crate::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: &'static str,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub records: Family<StateLabels, Gauge>,
    pub sync_ids: Counter,
    pub sync_changed: Counter,
    /// Conditional GETs answered from the version cache / read from the database.
    pub version_cache_hits: Counter,
    pub version_cache_misses: Counter,
    /// Watch streams (issue 16) by `state`: open, opened, events, resyncs.
    pub watch: Family<StateLabels, Gauge>,
    /// Inbox messages (issue 16) by `state`: pending, accepted, refused, acked, registered.
    pub inbox: Family<StateLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let records = Family::<StateLabels, Gauge>::default();
        let sync_ids = Counter::default();
        let sync_changed = Counter::default();
        registry.register(
            "livecard_http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        registry.register(
            "livecard_records",
            "Stored card records (live) and tombstones (deleted)",
            records.clone(),
        );
        registry.register(
            "livecard_sync_ids",
            "Card ids received in batch sync requests",
            sync_ids.clone(),
        );
        registry.register(
            "livecard_sync_changed",
            "Changed records sent in batch sync answers",
            sync_changed.clone(),
        );
        let version_cache_hits = Counter::default();
        let version_cache_misses = Counter::default();
        registry.register(
            "livecard_version_cache_hits",
            "Conditional GETs whose version came from the in-memory version cache",
            version_cache_hits.clone(),
        );
        registry.register(
            "livecard_version_cache_misses",
            "Conditional GETs whose version was read from the database",
            version_cache_misses.clone(),
        );
        let watch = Family::<StateLabels, Gauge>::default();
        let inbox = Family::<StateLabels, Gauge>::default();
        registry.register(
            "livecard_watch",
            "Watch streams: open now, opened since start, version/gone events and resyncs sent",
            watch.clone(),
        );
        registry.register(
            "livecard_inbox",
            "Inbox messages: pending now; accepted, refused, acked, keys registered since start",
            inbox.clone(),
        );
        Metrics {
            watch,
            inbox,
            registry,
            requests,
            records,
            sync_ids,
            sync_changed,
            version_cache_hits,
            version_cache_misses,
        }
    }
}

impl Metrics {
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Middleware: counts every request by its route pattern (not the raw path, so ids do not
/// explode the label set) and final status.
pub async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().as_str().to_string();
    let resp = next.run(req).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: resp.status().as_u16(),
        })
        .inc();
    resp
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiFailure> {
    let counts = state.store.counts().await?;
    state
        .metrics
        .records
        .get_or_create(&StateLabels { state: "live" })
        .set(counts.live as i64);
    state
        .metrics
        .records
        .get_or_create(&StateLabels { state: "deleted" })
        .set(counts.deleted as i64);
    let hub = &state.watch;
    let load =
        |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed) as i64;
    for (label, value) in [
        ("open", hub.open_streams() as i64),
        ("opened", load(&hub.opened)),
        ("events", load(&hub.events)),
        ("resyncs", load(&hub.resyncs)),
    ] {
        state
            .metrics
            .watch
            .get_or_create(&StateLabels { state: label })
            .set(value);
    }
    let stats = &state.inbox_stats;
    for (label, value) in [
        ("pending", state.store.inbox_pending().await? as i64),
        ("accepted", load(&stats.accepted)),
        ("refused", load(&stats.refused)),
        ("acked", load(&stats.taken)),
        ("registered", load(&stats.registered)),
    ] {
        state
            .metrics
            .inbox
            .get_or_create(&StateLabels { state: label })
            .set(value);
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response())
}
