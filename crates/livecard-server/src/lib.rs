//! livecard sync server: stores sealed card records (ciphertext + signature) and hands out the
//! newest version, one at a time or in one batch. It cannot read a card: it depends on
//! `livecard-format` without the `secret` feature (docs/PROTOCOL.md §4).
//!
//! - [`app`] builds the axum `Router` from an [`AppState`]; [`serve`] runs it on a listener
//!   until a shutdown future completes (tests use `127.0.0.1:0` and a oneshot channel).
//! - Storage: [`store::Store`] with SQLite and PostgreSQL implementations.
//! - Limits: body size (axum `DefaultBodyLimit` + tower-http `RequestBodyLimitLayer`), record
//!   size and ids per sync (checked in the handlers), requests per client IP (tower_governor),
//!   request time (tower-http `TimeoutLayer`), open connections per address and in all,
//!   header and idle timeouts ([`conn`]: the accept loop). Every refusal is JSON with a
//!   stable code.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use governor::middleware::NoOpMiddleware;
use livecard_wire::ErrorCode;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::PeerIpKeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub mod api;
pub mod body_check;
pub mod changes;
pub mod config;
pub mod conn;
pub mod error;
pub mod inbox;
pub mod metrics;
pub mod share;
pub mod share_page;
pub mod store;
pub mod version_cache;
pub mod watch;

pub use config::{Cli, Config};
pub use error::ApiFailure;
pub use store::{connect, Store, StoreError};

type Limiter = GovernorConfig<PeerIpKeyExtractor, NoOpMiddleware>;

/// Shared state of every handler: one `Arc`, because axum clones the state for every request
/// (and each layer that holds it) — one reference count instead of one per field (cloning and
/// dropping eight `Arc`s was ~5 % of the server's CPU answering 304s, docs/PERFORMANCE.md).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The fields of [`AppState`] (reached through `Deref`: `state.store`, `state.config`, …).
pub struct Shared {
    pub store: Arc<dyn Store>,
    /// The store's change feed (changes.rs): watch streams and the version cache subscribe.
    pub changes: changes::ChangeFeed,
    pub config: Arc<Config>,
    pub metrics: Arc<metrics::Metrics>,
    /// Open watch streams (watch.rs): caps and shutdown.
    pub watch: Arc<watch::WatchHub>,
    /// Inbox counters (inbox.rs) for /metrics.
    pub inbox_stats: Arc<inbox::InboxStats>,
    /// `id → version` for conditional GETs (version_cache.rs), kept true by the change feed.
    pub versions: Arc<version_cache::VersionCache>,
    limiter: Option<Arc<Limiter>>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid rate limit: {0}")]
    RateLimit(String),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, mut config: Config) -> Result<AppState, ServeError> {
        // A heartbeat is what keeps a quiet stream's connection from the idle timeout (conn.rs).
        let idle = config.conn.idle_timeout;
        if config.watch.heartbeat >= idle {
            config.watch.heartbeat = (idle / 2).max(Duration::from_millis(100));
        }
        let limiter = if config.rate_per_second == 0 {
            None
        } else {
            let period = Duration::from_nanos(1_000_000_000 / u64::from(config.rate_per_second));
            let built = GovernorConfigBuilder::default()
                .period(period)
                .burst_size(config.rate_burst.max(1))
                .finish()
                .ok_or_else(|| ServeError::RateLimit("rate and burst must be positive".into()))?;
            Some(Arc::new(built))
        };
        let versions = Arc::new(version_cache::VersionCache::new(
            Some(store.changes().subscribe()),
            config.version_cache_entries,
            config.version_cache_ttl,
        ));
        Ok(AppState(Arc::new(Shared {
            versions,
            changes: store.changes().clone(),
            store,
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
            watch: Arc::new(watch::WatchHub::default()),
            inbox_stats: Arc::new(inbox::InboxStats::default()),
            limiter,
        })))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

fn rate_limited(e: GovernorError) -> Response<Body> {
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => {
            let mut f = ApiFailure::new(
                ErrorCode::RateLimited,
                format!(
                    "too many requests from this address; retry in {} s",
                    wait_time.max(1)
                ),
            );
            f.retry_after = Some(wait_time.max(1));
            f.into_response()
        }
        other => {
            tracing::error!(error = %other, "rate limiter failed");
            ApiFailure::new(ErrorCode::Internal, "internal error").into_response()
        }
    }
}

async fn no_route() -> ApiFailure {
    ApiFailure::new(ErrorCode::NoSuchRoute, "no such endpoint")
}

/// The whole HTTP application. Serve it with connect info (`SocketAddr`), as [`serve`] does:
/// the rate limiter keys on the peer address.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let mut router = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/v1/info", get(api::info))
        .route(
            "/v1/cards/{id}",
            get(api::get_card)
                .put(api::put_card)
                .delete(api::delete_card),
        )
        .route("/v1/sync", post(api::sync))
        .route("/v1/watch", post(watch::watch))
        .route(
            "/v1/cards/{id}/inbox",
            axum::routing::put(inbox::register).post(inbox::send),
        )
        .route("/v1/cards/{id}/inbox/take", post(inbox::take))
        .merge(share::routes())
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ));
    if let Some(limiter) = &state.limiter {
        router = router.layer(GovernorLayer::new(limiter.clone()).error_handler(rate_limited));
    }
    router
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Connects to `config.database_url`, migrates, and serves on `listener` until `shutdown`
/// completes; then finishes the requests in flight and returns.
pub async fn serve(
    mut config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let store = store::connect(&config.database_url).await?;
    if config.public_url.is_empty() {
        config.public_url = format!("http://{}", listener.local_addr()?);
    }
    let state = AppState::new(store, config)?;
    serve_state(state, listener, shutdown).await
}

/// [`serve`] with a ready [`AppState`] (e.g. a store the caller opened).
pub async fn serve_state(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    // The rate limiter remembers every client address; forget idle ones once a minute.
    if let Some(limiter) = state.limiter.clone() {
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        limiter.limiter().retain_recent();
                        limiter.limiter().shrink_to_fit();
                    }
                    _ = stop.changed() => break,
                }
            }
        });
    }
    // Expired inbox messages are dropped on access and every ten minutes.
    tokio::spawn(inbox::expire_loop(
        state.store.clone(),
        Duration::from_secs(600),
        stop_rx.clone(),
    ));
    let limits = state.config.conn.clone();
    let streams = state.watch.clone();
    let router = app(state);
    let result = conn::run(listener, router, limits, async move {
        shutdown.await;
        // Watch streams would hold the graceful shutdown open for up to an hour: end them.
        streams.close_all();
        tracing::info!("shutting down: finishing requests in flight");
    })
    .await;
    let _ = stop_tx.send(true);
    let _ = stop_rx.changed().await;
    result.map_err(ServeError::Io)
}

/// Completes on Ctrl-C or SIGTERM.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    // Register the handlers now, not at the first poll: a SIGTERM that arrives between the
    // "listening" line and the server's first poll must stop it gracefully, not kill it.
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        )
    };
    async move {
        #[cfg(unix)]
        {
            match signals {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = int.recv() => {},
                    }
                }
                (term, int) => {
                    for e in [term.err(), int.err()].into_iter().flatten() {
                        tracing::error!(error = %e, "cannot listen for SIGTERM/SIGINT");
                    }
                    std::future::pending::<()>().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}
