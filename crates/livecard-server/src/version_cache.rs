//! In-memory `id → newest version` for conditional GETs (issue 15): a `GET /v1/cards/{id}`
//! with `If-None-Match` is answered 304 from here without a database query when the cached
//! version matches.
//!
//! What keeps it true (docs/PROTOCOL.md §7 "Conditional GETs and the version cache"):
//! - Versions only grow, so every update takes the **maximum** (a tombstone wins over a record
//!   of the same version). A slow database read that finishes after a newer write was noted
//!   can therefore never put the older version back.
//! - Writes through this process ([`VersionCache::note`] in the PUT/DELETE handlers, after the
//!   commit, before the answer) are in the cache before the writer hears "stored": a cached 304
//!   never hides a version written through this process.
//! - Writes through other processes (PostgreSQL) arrive as [`Change`]s from the change feed
//!   (`changes.rs`: `LISTEN livecard_changes`). The cache drains its feed receiver at the start
//!   of every lookup and fill (no task to schedule in between). The GET handler looks up only
//!   after a read barrier (`changes::ReadBarrier`) sent after the request arrived came back
//!   through the same listener: every write committed before — so every write any server
//!   acknowledged before the request — is then on the feed and applied by the lookup. A failed
//!   barrier (listener down or reconnected, timeout) reads the database instead. `Resync` (the
//!   listener reconnected: notifications may have been missed), a lagged or closed receiver
//!   clear the cache; fills that started before a clear are dropped (an epoch counter).
//! - Entries older than `ttl` are read again from the database: a bound on staleness even if a
//!   notification were lost without the listener noticing (a half-open TCP connection).
//! - At most `max_entries` ids; when full the cache is cleared (simple, and a clear is always
//!   safe). `max_entries = 0` turns the cache off (every conditional GET reads the database).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use livecard_wire::CardId;
use tokio::sync::broadcast::{error::TryRecvError, Receiver};

use crate::changes::Change;

/// The epoch of a cache whose feed closed: nothing is cached any more.
const STOPPED: u64 = u64::MAX;

/// A cached version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cached {
    pub version: u64,
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    version: u64,
    deleted: bool,
    at: Instant,
}

struct Inner {
    map: HashMap<String, Entry>,
    /// Bumped by every clear; a fill carries the epoch it started in.
    epoch: u64,
    feed: Option<Receiver<Change>>,
}

/// See the module docs.
pub struct VersionCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    ttl: Duration,
}

/// Counts for tests and `/metrics`-style inspection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub epoch: u64,
}

impl VersionCache {
    /// A cache following `feed` (None: only this process's own writes are noted — right for a
    /// store no other process writes).
    pub fn new(feed: Option<Receiver<Change>>, max_entries: usize, ttl: Duration) -> VersionCache {
        VersionCache {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                epoch: 0,
                feed,
            }),
            max_entries,
            ttl,
        }
    }

    pub fn enabled(&self) -> bool {
        self.max_entries > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters (every update is one insert), so a poisoned lock is used as is.
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        Self::drain(&mut g);
        g
    }

    /// Applies every change the feed has delivered so far.
    fn drain(g: &mut Inner) {
        loop {
            let Some(feed) = g.feed.as_mut() else { return };
            match feed.try_recv() {
                Ok(Change::Version { id, version }) => {
                    Self::raise(&mut g.map, id.as_str(), version, false, Instant::now())
                }
                Ok(Change::Gone { id, version }) => {
                    Self::raise(&mut g.map, id.as_str(), version, true, Instant::now())
                }
                Ok(Change::Resync) | Err(TryRecvError::Lagged(_)) => Self::clear_locked(g),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Closed) => {
                    // No feed any more: nothing tells us about other processes' writes.
                    tracing::warn!("change feed closed: version cache cleared and stopped");
                    Self::clear_locked(g);
                    g.feed = None;
                    g.epoch = STOPPED;
                    return;
                }
            }
        }
    }

    fn clear_locked(g: &mut Inner) {
        g.map.clear();
        if g.epoch != STOPPED {
            g.epoch = (g.epoch + 1).min(STOPPED - 1);
        }
    }

    fn raise(map: &mut HashMap<String, Entry>, id: &str, version: u64, deleted: bool, at: Instant) {
        match map.get_mut(id) {
            Some(e) => {
                if version > e.version || (version == e.version && deleted && !e.deleted) {
                    *e = Entry {
                        version,
                        deleted,
                        at,
                    };
                } else if version == e.version && deleted == e.deleted {
                    e.at = e.at.max(at);
                }
            }
            None => {
                map.insert(
                    id.to_string(),
                    Entry {
                        version,
                        deleted,
                        at,
                    },
                );
            }
        }
    }

    /// The cached version of `id`, if fresh.
    pub fn get(&self, id: &CardId) -> Option<Cached> {
        if !self.enabled() {
            return None;
        }
        let g = self.lock();
        if g.epoch == STOPPED {
            return None;
        }
        let e = g.map.get(id.as_str())?;
        if e.at.elapsed() > self.ttl {
            return None;
        }
        Some(Cached {
            version: e.version,
            deleted: e.deleted,
        })
    }

    /// Call before reading a version from the database; hand the token to [`Self::fill`].
    pub fn fill_token(&self) -> FillToken {
        let g = self.lock();
        FillToken {
            epoch: g.epoch,
            at: Instant::now(),
        }
    }

    /// Notes a version read from the database (started at `token`). Dropped when the cache was
    /// cleared since.
    pub fn fill(&self, token: FillToken, id: &CardId, version: u64, deleted: bool) {
        if !self.enabled() {
            return;
        }
        let mut g = self.lock();
        if g.epoch != token.epoch || g.epoch == STOPPED {
            return;
        }
        self.make_room(&mut g, id);
        // The entry's age counts from before the read: the read saw the database at or after
        // that instant.
        Self::raise(&mut g.map, id.as_str(), version, deleted, token.at);
    }

    /// Notes a write committed through this process.
    pub fn note(&self, id: &CardId, version: u64, deleted: bool) {
        if !self.enabled() {
            return;
        }
        let mut g = self.lock();
        if g.epoch == STOPPED {
            return;
        }
        self.make_room(&mut g, id);
        Self::raise(&mut g.map, id.as_str(), version, deleted, Instant::now());
    }

    fn make_room(&self, g: &mut Inner, id: &CardId) {
        if g.map.len() >= self.max_entries && !g.map.contains_key(id.as_str()) {
            Self::clear_locked(g);
        }
    }

    pub fn stats(&self) -> CacheStats {
        let g = self.lock();
        CacheStats {
            entries: g.map.len(),
            epoch: g.epoch,
        }
    }
}

/// See [`VersionCache::fill_token`].
#[derive(Debug, Clone, Copy)]
pub struct FillToken {
    epoch: u64,
    at: Instant,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::broadcast;

    fn id(n: u8) -> CardId {
        CardId::from_public_key(&[n; 32])
    }

    #[test]
    fn a_slow_read_never_lowers_a_noted_write() {
        let c = VersionCache::new(None, 10, Duration::from_secs(60));
        let t = c.fill_token();
        c.note(&id(1), 2, false);
        c.fill(t, &id(1), 1, false);
        assert_eq!(c.get(&id(1)).map(|e| e.version), Some(2));
    }

    #[test]
    fn feed_changes_apply_on_the_next_lookup_and_resync_drops_fills_in_flight() {
        let (tx, rx) = broadcast::channel(16);
        let c = VersionCache::new(Some(rx), 10, Duration::from_secs(60));
        let t = c.fill_token();
        c.fill(t, &id(1), 1, false);
        tx.send(Change::Version {
            id: id(1),
            version: 3,
        })
        .unwrap();
        assert_eq!(c.get(&id(1)).map(|e| e.version), Some(3));
        tx.send(Change::Gone {
            id: id(1),
            version: 4,
        })
        .unwrap();
        assert_eq!(
            c.get(&id(1)),
            Some(Cached {
                version: 4,
                deleted: true
            })
        );
        let t = c.fill_token();
        tx.send(Change::Resync).unwrap();
        assert_eq!(c.get(&id(1)), None);
        c.fill(t, &id(2), 1, false);
        assert_eq!(
            c.get(&id(2)),
            None,
            "a fill from before the resync is dropped"
        );
    }

    #[test]
    fn lag_clears_and_closed_feed_stops_caching() {
        let (tx, rx) = broadcast::channel(2);
        let c = VersionCache::new(Some(rx), 10, Duration::from_secs(60));
        c.note(&id(1), 1, false);
        for v in 2..10 {
            tx.send(Change::Version {
                id: id(2),
                version: v,
            })
            .unwrap();
        }
        assert_eq!(c.get(&id(1)), None, "lagged: cleared");
        drop(tx);
        c.note(&id(1), 5, false);
        let t = c.fill_token();
        c.fill(t, &id(3), 1, false);
        assert_eq!(c.get(&id(3)), None, "closed feed: no fills trusted");
        assert_eq!(
            c.get(&id(1)),
            None,
            "closed feed: nothing answered from the cache"
        );
    }

    #[test]
    fn full_cache_clears_and_zero_entries_is_off() {
        let c = VersionCache::new(None, 2, Duration::from_secs(60));
        c.note(&id(1), 1, false);
        c.note(&id(2), 1, false);
        c.note(&id(3), 1, false);
        assert_eq!(c.stats().entries, 1);
        let off = VersionCache::new(None, 0, Duration::from_secs(60));
        off.note(&id(1), 1, false);
        assert_eq!(off.get(&id(1)), None);
    }

    #[test]
    fn old_entries_are_read_again() {
        let c = VersionCache::new(None, 10, Duration::ZERO);
        c.note(&id(1), 1, false);
        std::thread::yield_now();
        // ttl zero: anything measurable as elapsed is stale; an entry read in the same
        // instant may still count, so only assert on one that is surely older.
        let t = FillToken {
            epoch: c.stats().epoch,
            at: Instant::now() - Duration::from_secs(1),
        };
        c.fill(t, &id(2), 1, false);
        assert_eq!(c.get(&id(2)), None);
    }
}
