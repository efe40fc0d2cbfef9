//! The local SQLite store: own cards, received cards with the recipient's notes and tags, and
//! the in-memory search index kept in step with them. Crate-private: the rest of the core
//! reaches card data only through an [`Unlocked`], which only [`crate::Core::unlocked`] makes
//! (after the PIN lock said it is open). The raw [`Store`] offers only what must work while
//! locked: opening, the `meta.pin_set` flag, and erasing every received card (wipe-after-N,
//! start over).
//!
//! The SQL lives here, one module per table: `own_cards`, `received_cards`, `notes`
//! (`received_notes`), `tags` (`received_tags`), `meta`, and sync's `received_sync`,
//! `pinned_keys`, `card_changes` (their writes are functions over the caller's transaction,
//! so one sync answer is applied in one transaction).

pub(crate) mod card_changes;
mod meta;
mod notes;
mod own_cards;
pub(crate) mod pinned_keys;
pub(crate) mod received_cards;
pub(crate) mod received_sync;
mod tags;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use livecard_format::Card;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Connection, Row};

use crate::error::{CoreError, Result};
use crate::keys::SEARCH_KEY_VERSION;
use crate::search::{Entry, SearchIndex};
pub(crate) use received_cards::refresh_keys;
use received_cards::summary_from_row;
use tags::all_tags;

/// The database file inside the data directory.
pub const DB_FILE: &str = "livecard.sqlite";

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Rows per query when the search index is loaded (see `Store::load_index`).
const INDEX_PAGE: i64 = 500;

/// The store. All methods take `&self`. Card data is reached through [`Unlocked`].
#[derive(Debug)]
pub(crate) struct Store {
    pool: SqlitePool,
    index: Mutex<IndexState>,
    /// Held while the index loads: a second caller waits for that load and uses it instead
    /// of loading its own copy (the app's launch prefetch and its first list request).
    loading: tokio::sync::Mutex<()>,
}

/// The search index and the write generation it reflects. `index` is `None` until first
/// needed (a CLI run that only edits the own card never loads it) and after a write this
/// process could not apply in order.
#[derive(Debug, Default)]
struct IndexState {
    index: Option<SearchIndex>,
    gen: i64,
}

pub(crate) enum IndexChange {
    Upsert(Box<Entry>),
    Remove(String),
}

/// Now, at the millisecond precision the store keeps.
pub(crate) fn now() -> DateTime<Utc> {
    from_ms(Utc::now().timestamp_millis())
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// A new short, URL-safe, case-insensitive id: 60 random bits as 12 lowercase base32 chars.
pub(crate) fn new_id() -> Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| CoreError::Io {
        context: "reading OS randomness for a new id".into(),
        error: std::io::Error::other(e.to_string()),
    })?;
    let s = data_encoding::BASE32_NOPAD.encode(&b).to_ascii_lowercase();
    Ok(s[..12].to_string())
}

pub(crate) fn to_json(id: &str, card: &Card) -> Result<String> {
    serde_json::to_string(card).map_err(|e| CoreError::corrupt(id, e))
}

fn card_from_row(row: &SqliteRow, id: &str) -> Result<Card> {
    let json: String = row.try_get("card_json")?;
    serde_json::from_str(&json).map_err(|e| CoreError::corrupt(id, e))
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`: the directory, `livecard.sqlite`,
    /// WAL, foreign keys, a busy timeout on every connection, and the migrations.
    pub(crate) async fn open(data_dir: impl AsRef<Path>) -> Result<Store> {
        let dir = data_dir.as_ref();
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|error| CoreError::Io {
                context: format!("creating data directory {}", dir.display()),
                error,
            })?;
        let path = dir.join(DB_FILE);
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // SQLite's page cache per connection: 512 KiB instead of its default 2 MiB. The
            // list and search read the in-memory index, a card is a few pages, and a 10,000
            // card import took as long (examples/mem_core.rs; docs/PERFORMANCE.md): up to
            // 4 × 1.5 MiB less in a long-running app.
            .pragma("cache_size", "-512");
        // 4 connections: 2 measured at most ~1.5 MiB less and would make a reader wait
        // behind a sync's write and the watch's read.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Store {
            pool,
            index: Mutex::new(IndexState::default()),
            loading: tokio::sync::Mutex::new(()),
        };
        store.upgrade_search_keys().await?;
        Ok(store)
    }

    /// Closes the pool (waits for connections to finish).
    pub(crate) async fn close(&self) {
        // Checkpoint the WAL into the database file and truncate it first. A process that
        // ends without this (or is killed) leaves its WAL: the CLI's import of 10,000 cards
        // left 8 MB of it, which the next open (the app's launch) read to rebuild the WAL
        // index. Best effort: a reader elsewhere can keep part of the WAL; nothing is lost.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    // ---------------------------------------------------------------- index upkeep

    /// Commits `tx` after bumping the write generation, then applies `changes` to the
    /// in-memory index if it was current (otherwise it is reloaded when next needed).
    async fn commit_with(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Sqlite>,
        changes: Vec<IndexChange>,
    ) -> Result<()> {
        let gen: i64 = sqlx::query_scalar(
            "UPDATE meta SET value = value + 1 WHERE key = 'received_gen' RETURNING value",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut guard = self.lock_index();
        let st = &mut *guard;
        match st.index.as_mut() {
            Some(idx) if st.gen + 1 == gen => {
                for c in changes {
                    match c {
                        IndexChange::Upsert(e) => idx.upsert(*e),
                        IndexChange::Remove(id) => idx.remove(&id),
                    }
                }
                st.gen = gen;
            }
            _ => st.index = None,
        }
        Ok(())
    }

    fn lock_index(&self) -> std::sync::MutexGuard<'_, IndexState> {
        // A panic while holding the lock cannot leave the index half-written in a way that
        // matters: at worst it is stale, and the generation check reloads it.
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on an index that reflects the database as of now.
    async fn with_index<T>(&self, f: impl FnOnce(&SearchIndex) -> T) -> Result<T> {
        let gen: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'received_gen'")
            .fetch_one(&self.pool)
            .await?;
        {
            let st = self.lock_index();
            if let Some(idx) = st.index.as_ref().filter(|_| st.gen == gen) {
                return Ok(f(idx));
            }
        }
        let _loading = self.loading.lock().await;
        {
            // A load that finished while this call waited is as new as this call.
            let st = self.lock_index();
            if let Some(idx) = st.index.as_ref().filter(|_| st.gen >= gen) {
                return Ok(f(idx));
            }
        }
        let (idx, gen) = self.load_index().await?;
        let out = f(&idx);
        let mut st = self.lock_index();
        st.index = Some(idx);
        st.gen = gen;
        Ok(out)
    }

    /// Loads the whole index from the stored keys (one read transaction, so the generation
    /// and the rows agree), `INDEX_PAGE` rows per query: a copy of every row at once besides
    /// the index would double what loading costs (docs/PERFORMANCE.md, "App with 10,000 cards").
    async fn load_index(&self) -> Result<(SearchIndex, i64)> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        let gen: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'received_gen'")
            .fetch_one(&mut *tx)
            .await?;
        let mut tags = all_tags(&mut tx).await?;
        let mut idx = SearchIndex::new();
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT id, source, live, status, added_at, updated_at, last_seen_at, display_name,
                        company, title, sort_key, company_sort_key, search_key
                 FROM received_cards WHERE id > ? ORDER BY id LIMIT ?",
            )
            .bind(&after)
            .bind(INDEX_PAGE)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for row in rows {
                let id: String = row.try_get("id")?;
                let key_json: &str = row.try_get("search_key")?;
                let key = serde_json::from_str(key_json).map_err(|e| CoreError::corrupt(&id, e))?;
                let t = tags.remove(&id).unwrap_or_default();
                let summary = summary_from_row(&row, t)?;
                idx.upsert(Entry {
                    summary,
                    key,
                    sort_key: row.try_get("sort_key")?,
                    company_sort_key: row.try_get("company_sort_key")?,
                });
            }
        }
        tx.commit().await?;
        idx.shrink_to_fit();
        // The load read every page of the table through this connection's page cache; give
        // that back (SQLite), then the freed row copies and JSON (glibc keeps freed memory
        // otherwise; `memory::trim` does nothing on other allocators).
        sqlx::query("PRAGMA shrink_memory")
            .execute(&mut *conn)
            .await?;
        drop(conn);
        crate::memory::trim();
        Ok((idx, gen))
    }

    /// Recomputes stored search keys written by an older version of the key code.
    async fn upgrade_search_keys(&self) -> Result<()> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM received_cards WHERE search_key_version != ?")
                .bind(SEARCH_KEY_VERSION)
                .fetch_all(&self.pool)
                .await?;
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for id in &ids {
            refresh_keys(&mut tx, id).await?;
        }
        self.commit_with(tx, Vec::new()).await
    }
}

fn not_found(id: &str) -> CoreError {
    CoreError::NotFound {
        what: "received card",
        id: id.to_string(),
    }
}

fn changed(updated_at: i64, last_seen_at: Option<i64>) -> bool {
    last_seen_at.is_some_and(|s| updated_at > s)
}

/// Proof that the PIN lock was open when it was made, and the only way to card data: every
/// method that reads or writes cards is a method of this type (in the table modules). Made
/// only by [`crate::Core::unlocked`] (through [`Store::unlocked`], which needs the lock's
/// [`crate::lock::LockOpen`] token).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unlocked<'a> {
    store: &'a Store,
}

impl Store {
    /// Card data, given the lock's word that it is open.
    pub(crate) fn unlocked(&self, _open: crate::lock::LockOpen) -> Unlocked<'_> {
        Unlocked { store: self }
    }
}

impl<'a> Unlocked<'a> {
    /// A write transaction (`BEGIN IMMEDIATE`) for a change spanning several tables (sync).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.store.begin_write().await
    }

    /// Commits `tx` and applies `changes` to the search index (see [`Store::commit_with`]).
    pub(crate) async fn commit_with(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Sqlite>,
        changes: Vec<IndexChange>,
    ) -> Result<()> {
        self.store.commit_with(tx, changes).await
    }

    /// Loads the search index now unless it is current (`Core::prefetch_list`).
    pub(crate) async fn prefetch_index(&self) -> Result<()> {
        self.store.with_index(|_| ()).await
    }

    /// The pool, for reads of the sync and publishing tables (still in `sync`/`owner`).
    pub(crate) fn pool(&self) -> &'a SqlitePool {
        &self.store.pool
    }
}
