//! The change feed (issue 16): every stored version, as it is stored, for the watch streams
//! (`POST /v1/watch`) and the version cache.
//!
//! - SQLite (one process): the store publishes a [`Change`] right after a write committed.
//! - PostgreSQL (several processes over one database): a trigger (migration
//!   `postgres/0002_changes.sql`) runs `pg_notify('livecard_changes', '<ID> <version> <v|g>')`
//!   inside every write's transaction, so PostgreSQL delivers it at commit, to every process.
//!   Each process holds one [`sqlx::postgres::PgListener`] ([`spawn_pg_listener`]) and
//!   publishes what arrives — its own writes too, so there is one path for all of them. When the
//!   listener's connection is lost it is opened again (backoff up to 5 s) and, once it listens
//!   again, [`Change::Resync`] is published: notifications sent in between are lost, so every
//!   subscriber must assume it missed something.
//!
//! The feed is a `tokio::sync::broadcast` channel: a subscriber that falls more than
//! [`FEED_CAPACITY`] changes behind gets `RecvError::Lagged` and must treat it as a resync.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use livecard_wire::CardId;
use tokio::sync::broadcast;

/// The PostgreSQL notification channel.
pub const PG_CHANNEL: &str = "livecard_changes";
/// Changes a subscriber may fall behind before it lags (and must resync).
pub const FEED_CAPACITY: usize = 4096;

/// One change of the stored versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A newer record was stored for `id`.
    Version { id: CardId, version: u64 },
    /// `id` was deleted (its tombstone has `version`).
    Gone { id: CardId, version: u64 },
    /// Changes may have been missed (the PostgreSQL listener reconnected): resync.
    Resync,
}

impl Change {
    /// The PostgreSQL notification payload: `<ID> <version> <v|g>`.
    pub fn to_payload(&self) -> Option<String> {
        match self {
            Change::Version { id, version } => Some(format!("{id} {version} v")),
            Change::Gone { id, version } => Some(format!("{id} {version} g")),
            Change::Resync => None,
        }
    }

    /// Parses a notification payload; `None` for anything else.
    pub fn from_payload(payload: &str) -> Option<Change> {
        let mut parts = payload.split(' ');
        let id = CardId::parse(parts.next()?).ok()?;
        let version: u64 = parts.next()?.parse().ok()?;
        let kind = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        match kind {
            "v" => Some(Change::Version { id, version }),
            "g" => Some(Change::Gone { id, version }),
            _ => None,
        }
    }

    /// The card the change is about (`None` for a resync).
    pub fn id(&self) -> Option<&CardId> {
        match self {
            Change::Version { id, .. } | Change::Gone { id, .. } => Some(id),
            Change::Resync => None,
        }
    }
}

struct Inner {
    tx: broadcast::Sender<Change>,
    published: AtomicU64,
    resyncs: AtomicU64,
}

/// The feed of one server process; cheap to clone (all clones are one feed).
#[derive(Clone)]
pub struct ChangeFeed {
    inner: Arc<Inner>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        ChangeFeed::new()
    }
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed")
            .field("subscribers", &self.subscribers())
            .field("published", &self.published())
            .finish()
    }
}

impl ChangeFeed {
    pub fn new() -> ChangeFeed {
        let (tx, _) = broadcast::channel(FEED_CAPACITY);
        ChangeFeed {
            inner: Arc::new(Inner {
                tx,
                published: AtomicU64::new(0),
                resyncs: AtomicU64::new(0),
            }),
        }
    }

    /// Every change published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.tx.subscribe()
    }

    /// Hands `change` to every subscriber (none listening is fine).
    pub fn publish(&self, change: Change) {
        if change == Change::Resync {
            self.inner.resyncs.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.published.fetch_add(1, Ordering::Relaxed);
        let _ = self.inner.tx.send(change);
    }

    /// Receivers alive now.
    pub fn subscribers(&self) -> usize {
        self.inner.tx.receiver_count()
    }

    /// Changes published since start (resyncs included).
    pub fn published(&self) -> u64 {
        self.inner.published.load(Ordering::Relaxed)
    }

    /// Resyncs published since start (PostgreSQL listener reconnects).
    pub fn resyncs(&self) -> u64 {
        self.inner.resyncs.load(Ordering::Relaxed)
    }
}

/// Opens a listener on `pool`'s database, `LISTEN`s on [`PG_CHANNEL`] and returns when it is
/// live; a task then publishes every notification to `feed` until the returned handle is
/// aborted (the store does that when dropped).
#[cfg(feature = "postgres")]
pub async fn spawn_pg_listener(
    pool: &sqlx::PgPool,
    feed: ChangeFeed,
) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
    let listener = pg_listen(pool).await?;
    let pool = pool.clone();
    Ok(tokio::spawn(pg_listen_loop(pool, feed, listener)))
}

#[cfg(feature = "postgres")]
async fn pg_listen(pool: &sqlx::PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(PG_CHANNEL).await?;
    Ok(listener)
}

#[cfg(feature = "postgres")]
async fn pg_listen_loop(
    pool: sqlx::PgPool,
    feed: ChangeFeed,
    mut listener: sqlx::postgres::PgListener,
) {
    use std::time::Duration;
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => match Change::from_payload(n.payload()) {
                Some(change) => feed.publish(change),
                None => tracing::warn!(payload = %n.payload(), "ignored a malformed change"),
            },
            Ok(None) | Err(_) => {
                tracing::warn!("change listener lost its PostgreSQL connection; reconnecting");
                drop(listener);
                let mut backoff = Duration::from_millis(100);
                listener = loop {
                    match pg_listen(&pool).await {
                        Ok(l) => break l,
                        Err(e) => {
                            tracing::warn!(error = %e, "change listener cannot reconnect yet");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(5));
                        }
                    }
                };
                tracing::info!("change listener listens again; asking watchers to resync");
                feed.publish(Change::Resync);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_strictness() {
        let id = CardId::from_public_key(&[3u8; 32]);
        for c in [
            Change::Version {
                id: id.clone(),
                version: 7,
            },
            Change::Gone {
                id: id.clone(),
                version: 9,
            },
        ] {
            let p = c.to_payload().unwrap();
            assert_eq!(Change::from_payload(&p), Some(c));
        }
        for bad in [
            "",
            "x 1 v",
            &format!("{id} 1"),
            &format!("{id} -1 v"),
            &format!("{id} 1 x"),
            &format!("{id} 1 v extra"),
        ] {
            assert_eq!(Change::from_payload(bad), None, "{bad:?}");
        }
        assert_eq!(Change::Resync.to_payload(), None);
    }

    #[tokio::test]
    async fn subscribers_see_what_is_published_after_they_subscribed() {
        let feed = ChangeFeed::new();
        let id = CardId::from_public_key(&[4u8; 32]);
        feed.publish(Change::Version {
            id: id.clone(),
            version: 1,
        });
        let mut rx = feed.clone().subscribe();
        assert_eq!(feed.subscribers(), 1);
        feed.publish(Change::Resync);
        assert_eq!(rx.recv().await.unwrap(), Change::Resync);
        assert_eq!((feed.published(), feed.resyncs()), (2, 1));
    }
}
