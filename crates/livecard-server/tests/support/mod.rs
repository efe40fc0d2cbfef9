//! Shared helpers of the server's integration tests: databases (a SQLite file in a tempdir,
//! or a fresh schema in the PostgreSQL at 127.0.0.1:5432), servers on 127.0.0.1:0, records.
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use livecard_format::crypto::{seal, CardKeys, ShareSecret};
use livecard_format::wire::SealedRecord;
use livecard_format::Card;
use livecard_server::{AppState, Config};
use tokio::sync::oneshot;

pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database for one test; the tempdir (SQLite) lives as long as this value.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
}

pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("cards.db").display());
    TestDb {
        url,
        label: "sqlite",
        _dir: Some(dir),
    }
}

/// A fresh schema in the test PostgreSQL, or `None` (with a loud SKIPPED line) when no
/// PostgreSQL answers — unless `LIVECARD_REQUIRE_POSTGRES=1`, which makes that a failure.
pub async fn postgres_db(test: &str) -> Option<TestDb> {
    static N: AtomicU64 = AtomicU64::new(0);
    let options = match sqlx::postgres::PgConnectOptions::from_str(PG_URL) {
        Ok(o) => o,
        Err(e) => panic!("bad PG_URL: {e}"),
    };
    let conn = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect_with(options)
        .await;
    let pool = match conn {
        Ok(p) => p,
        Err(e) => {
            livecard_testkit::skip_postgres(
                &format!("{test} on PostgreSQL"),
                &format!("no PostgreSQL at {PG_URL} ({e})"),
            );
            return None;
        }
    };
    let schema = format!(
        "lc_{}_{}_{}",
        test.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
    .to_ascii_lowercase();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&pool)
        .await
        .expect("drop schema");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .expect("create schema");
    pool.close().await;
    Some(TestDb {
        url: format!("{PG_URL}?options=-c%20search_path%3D{schema}"),
        label: "postgres",
        _dir: None,
    })
}

/// A config for tests: rate limiting off unless a test turns it on.
pub fn config(db: &TestDb) -> Config {
    let mut c = Config::new(db.url.clone());
    c.rate_per_second = 0;
    c
}

/// A server on 127.0.0.1:0, stopped (gracefully) when dropped.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(config: Config) -> TestServer {
        let store = livecard_server::connect(&config.database_url)
            .await
            .expect("store opens");
        TestServer::start_state(AppState::new(store, config).expect("state")).await
    }

    pub async fn start_state(state: AppState) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            livecard_server::serve_state(state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops the server and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("server task");
        }
    }

    /// Asserts the server still answers.
    pub async fn assert_alive(&self) {
        let r = self
            .client
            .get(self.url("/healthz"))
            .send()
            .await
            .expect("healthz answers");
        assert_eq!(r.status(), 200, "server no longer healthy");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A card owner: key, secret, card.
pub struct Owner {
    pub keys: CardKeys,
    pub secret: ShareSecret,
    pub card: Card,
}

impl Owner {
    pub fn new(name: &str) -> Owner {
        let card = Card {
            name: name.to_string(),
            mobile: vec!["+8613800138000".to_string()],
            ..Card::default()
        };
        Owner {
            keys: CardKeys::generate(),
            secret: ShareSecret::generate(),
            card,
        }
    }

    pub fn record(&self, version: u64) -> SealedRecord {
        seal(&self.card, &self.keys, &self.secret, version).expect("seal")
    }
}
