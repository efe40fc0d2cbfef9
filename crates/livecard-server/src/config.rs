//! Server configuration: [`Config`] (what `serve` needs) and [`Cli`] (flags and env vars).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use livecard_wire::{DEFAULT_MAX_CIPHERTEXT_BYTES, DEFAULT_MAX_SYNC_IDS};

/// Everything [`crate::serve`] needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Base of share links; empty = `http://<listen address>`.
    pub public_url: String,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Largest ciphertext of one record.
    pub max_ciphertext_bytes: usize,
    /// Most ids in one sync request.
    pub max_sync_ids: usize,
    /// Requests per second per client IP (sustained); 0 turns rate limiting off.
    pub rate_per_second: u32,
    /// Requests a client may make at once before the rate applies.
    pub rate_burst: u32,
    /// Longest time one request may take (including reading its body).
    pub request_timeout: Duration,
    /// Most ciphertext bytes in one sync answer; the rest waits for the next sync.
    pub sync_response_bytes: usize,
    /// App Links / Universal Links and the share page's "get the app" link.
    pub app_links: crate::share_page::AppLinks,
    /// Connection caps and timeouts of the accept loop.
    pub conn: crate::conn::ConnLimits,
    /// Most ids in the version cache of conditional GETs; 0 = no cache.
    pub version_cache_entries: usize,
    /// A cached version older than this is read from the database again.
    pub version_cache_ttl: Duration,
    /// PostgreSQL: a cached 304 waits for a read barrier (changes.rs), so another server's
    /// acknowledged write is always seen; false = answer from the cache at once (the write is
    /// seen once its notification arrived). Only for measuring the barrier's cost.
    pub version_cache_barrier: bool,
    /// Caps, heartbeat and lifetime of watch streams (`POST /v1/watch`).
    pub watch: crate::watch::WatchLimits,
    /// Lifetime and cap of inbox messages.
    pub inbox: crate::inbox::InboxLimits,
}

impl Config {
    /// Defaults for a database URL.
    pub fn new(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            public_url: String::new(),
            max_body_bytes: 1024 * 1024,
            max_ciphertext_bytes: DEFAULT_MAX_CIPHERTEXT_BYTES,
            max_sync_ids: DEFAULT_MAX_SYNC_IDS,
            rate_per_second: 20,
            rate_burst: 100,
            request_timeout: Duration::from_secs(10),
            sync_response_bytes: 8 * 1024 * 1024,
            app_links: Default::default(),
            conn: crate::conn::ConnLimits::default(),
            version_cache_entries: 100_000,
            version_cache_ttl: Duration::from_secs(30),
            version_cache_barrier: true,
            watch: crate::watch::WatchLimits::default(),
            inbox: crate::inbox::InboxLimits::default(),
        }
    }
}

/// `livecard-server` command line. Every flag has an environment variable.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "livecard-server",
    version,
    about = "livecard sync server: stores only ciphertext"
)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "LIVECARD_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Directory of the default SQLite database (created if missing).
    #[arg(long, env = "LIVECARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: sqlite://PATH (its directory must exist) or postgres://USER@HOST/DB.
    /// Default: sqlite://<data-dir>/livecard.db.
    #[arg(long, env = "LIVECARD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Base URL of share links (default http://<listen>).
    #[arg(long, env = "LIVECARD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Requests per second per client IP; 0 = unlimited.
    #[arg(long, env = "LIVECARD_RATE_PER_SECOND", default_value_t = 20)]
    pub rate_per_second: u32,
    /// Burst of requests per client IP.
    #[arg(long, env = "LIVECARD_RATE_BURST", default_value_t = 100)]
    pub rate_burst: u32,
    /// Largest request body in bytes.
    #[arg(long, env = "LIVECARD_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest record ciphertext in bytes.
    #[arg(long, env = "LIVECARD_MAX_CIPHERTEXT_BYTES", default_value_t = DEFAULT_MAX_CIPHERTEXT_BYTES)]
    pub max_ciphertext_bytes: usize,
    /// Most ids in one sync request.
    #[arg(long, env = "LIVECARD_MAX_SYNC_IDS", default_value_t = DEFAULT_MAX_SYNC_IDS)]
    pub max_sync_ids: usize,
    /// Request timeout in seconds.
    #[arg(long, env = "LIVECARD_REQUEST_TIMEOUT_SECS", default_value_t = 10)]
    pub request_timeout_secs: u64,
    /// Most open connections in all; one more is answered 503 too_many_connections.
    #[arg(long, env = "LIVECARD_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Most open connections from one client IP address.
    #[arg(long, env = "LIVECARD_MAX_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub max_connections_per_ip: usize,
    /// Seconds a new connection has to send a complete request header.
    #[arg(long, env = "LIVECARD_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, env = "LIVECARD_IDLE_TIMEOUT_SECS", default_value_t = 30)]
    pub idle_timeout_secs: u64,
    /// Most card ids whose version the server keeps in memory for conditional GETs
    /// (about 100 bytes each); 0 = read every version from the database.
    #[arg(
        long,
        env = "LIVECARD_VERSION_CACHE_ENTRIES",
        default_value_t = 100_000
    )]
    pub version_cache_entries: usize,
    /// Seconds a cached version is trusted before it is read from the database again
    /// (other servers' writes arrive sooner, through the change feed).
    #[arg(long, env = "LIVECARD_VERSION_CACHE_TTL_SECS", default_value_t = 30)]
    pub version_cache_ttl_secs: u64,
    /// PostgreSQL: answer a cached 304 only after a read barrier came back through this
    /// server's listener, so every write acknowledged by any server is seen (PROTOCOL.md §7);
    /// `false` answers from the cache at once (other servers' writes seen once their
    /// notification arrived) — for measuring the barrier's cost.
    #[arg(
        long,
        env = "LIVECARD_VERSION_CACHE_BARRIER",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub version_cache_barrier: bool,
    /// Most card ids in one watch stream (`POST /v1/watch`).
    #[arg(long, env = "LIVECARD_WATCH_MAX_IDS", default_value_t = 1_000)]
    pub watch_max_ids: usize,
    /// Most open watch streams from one client IP address.
    #[arg(long, env = "LIVECARD_WATCH_MAX_STREAMS_PER_IP", default_value_t = 4)]
    pub watch_max_streams_per_ip: usize,
    /// Most open watch streams in all.
    #[arg(long, env = "LIVECARD_WATCH_MAX_STREAMS", default_value_t = 10_000)]
    pub watch_max_streams: usize,
    /// Seconds between heartbeat comments on a watch stream (kept below the idle timeout).
    #[arg(long, env = "LIVECARD_WATCH_HEARTBEAT_SECS", default_value_t = 20)]
    pub watch_heartbeat_secs: u64,
    /// Seconds after which the server ends a watch stream (clients reconnect).
    #[arg(long, env = "LIVECARD_WATCH_MAX_SECS", default_value_t = 3_600)]
    pub watch_max_secs: u64,
    /// Days an inbox message waits to be fetched before it is dropped.
    #[arg(long, env = "LIVECARD_INBOX_TTL_DAYS", default_value_t = 30)]
    pub inbox_ttl_days: u64,
    /// Most pending messages in one card's inbox (one more is 507 inbox_full).
    #[arg(long, env = "LIVECARD_INBOX_MAX_PENDING", default_value_t = 100)]
    pub inbox_max_pending: usize,
    #[command(flatten)]
    pub app_links: crate::share_page::AppLinksArgs,
}

/// Where the default SQLite database lives when `--data-dir` is not given.
pub fn default_data_dir() -> PathBuf {
    match dirs::data_dir() {
        Some(d) => d.join("livecard-server"),
        None => PathBuf::from("livecard-server-data"),
    }
}

impl Cli {
    /// The configuration, and the data directory to create when the database is the default
    /// SQLite file in it (an explicit `--database-url` is never created for).
    pub fn to_config(&self) -> (Config, Option<PathBuf>) {
        let (url, create_dir) = match &self.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let dir = self.data_dir.clone().unwrap_or_else(default_data_dir);
                let url = format!("sqlite://{}", dir.join("livecard.db").display());
                (url, Some(dir))
            }
        };
        let mut config = Config::new(url);
        config.public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        config.rate_per_second = self.rate_per_second;
        config.rate_burst = self.rate_burst;
        config.max_body_bytes = self.max_body_bytes;
        config.max_ciphertext_bytes = self.max_ciphertext_bytes;
        config.max_sync_ids = self.max_sync_ids;
        config.request_timeout = Duration::from_secs(self.request_timeout_secs.max(1));
        config.app_links = self.app_links.to_app_links();
        config.conn = crate::conn::ConnLimits {
            max_connections: self.max_connections.max(1),
            max_connections_per_ip: self.max_connections_per_ip.max(1),
            header_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs.max(1)),
        };
        config.version_cache_entries = self.version_cache_entries;
        config.version_cache_ttl = Duration::from_secs(self.version_cache_ttl_secs);
        config.version_cache_barrier = self.version_cache_barrier;
        config.watch = crate::watch::WatchLimits {
            max_ids: self.watch_max_ids,
            max_streams_per_ip: self.watch_max_streams_per_ip,
            max_streams: self.watch_max_streams,
            heartbeat: Duration::from_secs(self.watch_heartbeat_secs.max(1)),
            max_life: Duration::from_secs(self.watch_max_secs.max(1)),
        };
        config.inbox = crate::inbox::InboxLimits {
            ttl: Duration::from_secs(self.inbox_ttl_days.max(1) * 86_400),
            max_pending: self.inbox_max_pending.max(1),
        };
        (config, create_dir)
    }
}
