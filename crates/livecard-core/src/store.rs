//! The local SQLite store: own cards, received cards with the recipient's notes and tags, and
//! the in-memory search index kept in step with them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use livecard_format::{Card, Limits};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection};

use crate::error::{CoreError, Result};
use crate::keys::{self, SEARCH_KEY_VERSION};
use crate::model::{
    AddOutcome, AddStatus, CardSummary, OwnCard, ReceivedCard, Sort, Source, Status,
};
use crate::search::{Entry, SearchIndex};

/// The database file inside the data directory.
pub const DB_FILE: &str = "livecard.sqlite";

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The store. Cheap to share behind an `Arc`; all methods take `&self`.
#[derive(Debug)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    index: Mutex<IndexState>,
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
pub fn new_id() -> Result<String> {
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

fn own_from_row(row: &SqliteRow) -> Result<OwnCard> {
    let id: String = row.try_get("id")?;
    let card = card_from_row(row, &id)?;
    Ok(OwnCard {
        version: row.try_get("version")?,
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        created_at: from_ms(row.try_get("created_at")?),
        updated_at: from_ms(row.try_get("updated_at")?),
        card,
        id,
    })
}

/// Same person: same non-empty name, and a mobile, landline or email in common.
fn same_person(a: &Card, b: &Card) -> bool {
    let nums = |c: &Card| -> Vec<String> {
        c.mobile
            .iter()
            .chain(c.phone.iter())
            .flat_map(|n| keys::phone_digit_forms(n))
            .collect()
    };
    let (na, nb) = (nums(a), nums(b));
    if na.iter().any(|n| n.len() >= 5 && nb.contains(n)) {
        return true;
    }
    a.email.iter().any(|x| {
        b.email
            .iter()
            .any(|y| x.trim().eq_ignore_ascii_case(y.trim()))
    })
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`: the directory, `livecard.sqlite`,
    /// WAL, foreign keys, a busy timeout on every connection, and the migrations.
    pub async fn open(data_dir: impl AsRef<Path>) -> Result<Store> {
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
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Store {
            pool,
            path,
            index: Mutex::new(IndexState::default()),
        };
        store.upgrade_search_keys().await?;
        Ok(store)
    }

    /// The connection pool, for later parts of the core (sync) that add their own tables.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    // ---------------------------------------------------------------- own cards

    /// All own cards, the default first, then oldest first.
    pub async fn list_own(&self) -> Result<Vec<OwnCard>> {
        let rows = sqlx::query("SELECT * FROM own_cards ORDER BY is_default DESC, created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(own_from_row).collect()
    }

    pub async fn get_own(&self, id: &str) -> Result<OwnCard> {
        let row = sqlx::query("SELECT * FROM own_cards WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| CoreError::NotFound {
                what: "own card",
                id: id.to_string(),
            })?;
        own_from_row(&row)
    }

    /// The default own card ("me"), if any own card exists.
    pub async fn default_own(&self) -> Result<Option<OwnCard>> {
        let row = sqlx::query("SELECT * FROM own_cards WHERE is_default = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(own_from_row).transpose()
    }

    /// Creates an own card (validated first); the first one becomes the default.
    pub async fn create_own(&self, card: Card) -> Result<OwnCard> {
        card.validate(&Limits::DEFAULT)?;
        let id = new_id()?;
        let t = now();
        let mut tx = self.begin_write().await?;
        let has_default: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM own_cards WHERE is_default = 1")
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO own_cards (id, card_json, version, is_default, created_at, updated_at)
             VALUES (?, ?, 1, ?, ?, ?)",
        )
        .bind(&id)
        .bind(to_json(&id, &card)?)
        .bind(i64::from(has_default.is_none()))
        .bind(ms(t))
        .bind(ms(t))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get_own(&id).await
    }

    /// Replaces the fields of an own card (validated first). The version goes up by one when
    /// anything changed.
    pub async fn update_own(&self, id: &str, card: Card) -> Result<OwnCard> {
        card.validate(&Limits::DEFAULT)?;
        let current = self.get_own(id).await?;
        if current.card == card {
            return Ok(current);
        }
        let res = sqlx::query(
            "UPDATE own_cards SET card_json = ?, version = version + 1, updated_at = ?
             WHERE id = ?",
        )
        .bind(to_json(id, &card)?)
        .bind(ms(now()))
        .bind(id)
        .execute(&self.pool)
        .await?;
        if res.rows_affected() == 0 {
            return Err(CoreError::NotFound {
                what: "own card",
                id: id.to_string(),
            });
        }
        self.get_own(id).await
    }

    /// Makes `id` the default own card.
    pub async fn set_default_own(&self, id: &str) -> Result<OwnCard> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM own_cards WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(CoreError::NotFound {
                what: "own card",
                id: id.to_string(),
            });
        }
        sqlx::query("UPDATE own_cards SET is_default = 0 WHERE is_default = 1")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE own_cards SET is_default = 1 WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.get_own(id).await
    }

    /// Deletes an own card; if it was the default, the oldest remaining one becomes default.
    pub async fn delete_own(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("DELETE FROM own_cards WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(CoreError::NotFound {
                what: "own card",
                id: id.to_string(),
            });
        }
        sqlx::query(
            "UPDATE own_cards SET is_default = 1
             WHERE id = (SELECT id FROM own_cards ORDER BY created_at, id LIMIT 1)
               AND NOT EXISTS (SELECT 1 FROM own_cards WHERE is_default = 1)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Patent claim 2: a new own card seeded from a received card (company, address, website,
    /// fax, industry; nothing personal).
    pub async fn seed_own_from(&self, received_id: &str) -> Result<OwnCard> {
        let received = self.get_received(received_id).await?;
        self.create_own(Card::seed_from(&received.card)).await
    }

    // ---------------------------------------------------------------- received cards

    /// Adds a static (non-syncing) card, e.g. from a .vcf or MeCard. If we already hold a
    /// static card of the same person (same name, and a mobile, landline or email in common),
    /// that card's owner fields are replaced by this copy instead (notes and tags kept).
    pub async fn add_received(&self, card: Card, source: Source) -> Result<AddOutcome> {
        let mut out = self
            .add_received_many(vec![(card, Vec::new())], source)
            .await?;
        out.pop()
            .ok_or_else(|| CoreError::ImportFailed("no card to add".into()))
    }

    /// Adds several static cards in one transaction (see [`Store::add_received`]). Every card
    /// is validated first; one invalid card adds none.
    pub async fn add_received_many(
        &self,
        cards: Vec<(Card, Vec<String>)>,
        source: Source,
    ) -> Result<Vec<AddOutcome>> {
        for (card, _) in &cards {
            card.validate(&Limits::DEFAULT)?;
        }
        let mut tx = self.begin_write().await?;
        let mut outcomes = Vec::new();
        let mut changes = Vec::new();
        for (card, warnings) in cards {
            let name_key = keys::name_key(&card);
            let mut existing = None;
            if !name_key.is_empty() {
                let rows = sqlx::query(
                    "SELECT id, card_json FROM received_cards
                     WHERE name_key = ? AND live = 0 ORDER BY added_at, id",
                )
                .bind(&name_key)
                .fetch_all(&mut *tx)
                .await?;
                for row in rows {
                    let id: String = row.try_get("id")?;
                    let old = card_from_row(&row, &id)?;
                    if same_person(&old, &card) {
                        existing = Some((id, old));
                        break;
                    }
                }
            }
            let t = ms(now());
            let (id, status) = match existing {
                Some((id, old)) if old == card => (id, AddStatus::Unchanged),
                Some((id, _)) => {
                    sqlx::query(
                        "UPDATE received_cards SET card_json = ?, updated_at = ?,
                         last_seen_at = ? WHERE id = ?",
                    )
                    .bind(to_json(&id, &card)?)
                    .bind(t)
                    .bind(t)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    (id, AddStatus::Updated)
                }
                None => {
                    let id = new_id()?;
                    sqlx::query(
                        "INSERT INTO received_cards
                         (id, card_json, source, live, status, added_at, updated_at, last_seen_at)
                         VALUES (?, ?, ?, 0, 'active', ?, ?, ?)",
                    )
                    .bind(&id)
                    .bind(to_json(&id, &card)?)
                    .bind(source.as_str())
                    .bind(t)
                    .bind(t)
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
                    (id, AddStatus::Added)
                }
            };
            if status != AddStatus::Unchanged {
                changes.push(IndexChange::Upsert(Box::new(
                    refresh_keys(&mut tx, &id).await?,
                )));
            }
            outcomes.push(AddOutcome {
                id,
                name: card.display_name(),
                status,
                warnings,
            });
        }
        self.commit_with(tx, changes).await?;
        Ok(outcomes)
    }

    /// Replaces the owner's fields of a received card (what sync does on an update). Notes,
    /// tags and the rest of the record are kept; `updated_at` moves, so the card shows as
    /// changed until opened.
    pub async fn replace_received_card(&self, id: &str, card: Card) -> Result<ReceivedCard> {
        card.validate(&Limits::DEFAULT)?;
        let mut tx = self.begin_write().await?;
        let res =
            sqlx::query("UPDATE received_cards SET card_json = ?, updated_at = ? WHERE id = ?")
                .bind(to_json(id, &card)?)
                .bind(ms(now()))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if res.rows_affected() == 0 {
            return Err(not_found(id));
        }
        let entry = refresh_keys(&mut tx, id).await?;
        self.commit_with(tx, vec![IndexChange::Upsert(Box::new(entry))])
            .await?;
        self.get_received(id).await
    }

    /// Sets whether the owner still publishes the card (sync).
    pub async fn set_received_status(&self, id: &str, status: Status) -> Result<ReceivedCard> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("UPDATE received_cards SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(not_found(id));
        }
        let entry = refresh_keys(&mut tx, id).await?;
        self.commit_with(tx, vec![IndexChange::Upsert(Box::new(entry))])
            .await?;
        self.get_received(id).await
    }

    /// One received card with its notes and tags.
    pub async fn get_received(&self, id: &str) -> Result<ReceivedCard> {
        let mut conn = self.pool.acquire().await?;
        load_received(&mut conn, id).await
    }

    /// Opens a received card: returns it (with `changed` as it was) and records that the user
    /// has now seen it, which clears the "changed" badge.
    pub async fn open_received(&self, id: &str) -> Result<ReceivedCard> {
        let mut tx = self.begin_write().await?;
        let rc = load_received(&mut tx, id).await?;
        sqlx::query("UPDATE received_cards SET last_seen_at = ? WHERE id = ?")
            .bind(ms(now()).max(ms(rc.updated_at)))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = refresh_keys(&mut tx, id).await?;
        self.commit_with(tx, vec![IndexChange::Upsert(Box::new(entry))])
            .await?;
        Ok(rc)
    }

    /// Every received card, full, in the given order.
    pub async fn list_received(&self, sort: Sort) -> Result<Vec<ReceivedCard>> {
        let order = match sort {
            Sort::Name => "r.sort_key, r.id",
            Sort::Updated => "r.updated_at DESC, r.sort_key, r.id",
            Sort::Company => "r.company_sort_key = '', r.company_sort_key, r.sort_key, r.id",
        };
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(&format!(
            "SELECT r.*, n.notes, s.synced_at FROM received_cards r
             LEFT JOIN received_notes n ON n.card_id = r.id
             LEFT JOIN received_sync s ON s.card_id = r.id ORDER BY {order}"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut tags = all_tags(&mut tx).await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let t = tags.remove(&id).unwrap_or_default();
                received_from_row(row, t)
            })
            .collect()
    }

    /// Every received card as the list shows it, in the given order (from the index).
    pub async fn summaries(&self, sort: Sort) -> Result<Vec<CardSummary>> {
        self.with_index(|idx| idx.list(sort)).await
    }

    /// Instant search (see [`crate::search`]): best first, at most `limit`.
    pub async fn search(&self, query: &str, limit: Option<usize>) -> Result<Vec<CardSummary>> {
        self.with_index(|idx| idx.search(query, limit)).await
    }

    /// Deletes a received card with its notes and tags.
    pub async fn delete_received(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("DELETE FROM received_cards WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(not_found(id));
        }
        self.commit_with(tx, vec![IndexChange::Remove(id.to_string())])
            .await
    }

    /// Deletes every received card with its notes, tags, sync state and change history, in
    /// one transaction (wipe-after-N). Returns how many cards were deleted.
    pub async fn delete_all_received(&self) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM received_cards")
            .fetch_all(&mut *tx)
            .await?;
        let res = sqlx::query("DELETE FROM received_cards")
            .execute(&mut *tx)
            .await?;
        self.commit_with(tx, ids.into_iter().map(IndexChange::Remove).collect())
            .await?;
        Ok(res.rows_affected())
    }

    /// The non-secret "a PIN is set" flag (`meta.pin_set`). The PIN state itself is in the
    /// keystore; the flag only tells the core that it must look there (and must refuse card
    /// data if the state is gone) — see docs/THREAT_MODEL.md.
    pub async fn pin_set_flag(&self) -> Result<bool> {
        let v: Option<i64> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'pin_set'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.unwrap_or(0) != 0)
    }

    /// Sets or clears the `meta.pin_set` flag.
    pub async fn set_pin_set_flag(&self, set: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('pin_set', ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(i64::from(set))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets the recipient's private notes on a card (empty clears them).
    pub async fn set_notes(&self, id: &str, notes: &str) -> Result<ReceivedCard> {
        let n = notes.chars().count();
        if n > 10_000 {
            return Err(CoreError::InvalidInput(format!(
                "notes: too long: {n} characters, at most 10000"
            )));
        }
        let mut tx = self.begin_write().await?;
        ensure_received(&mut tx, id).await?;
        if notes.trim().is_empty() {
            sqlx::query("DELETE FROM received_notes WHERE card_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO received_notes (card_id, notes, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (card_id) DO UPDATE SET notes = excluded.notes,
                 updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(notes)
            .bind(ms(now()))
            .execute(&mut *tx)
            .await?;
        }
        let entry = refresh_keys(&mut tx, id).await?;
        self.commit_with(tx, vec![IndexChange::Upsert(Box::new(entry))])
            .await?;
        self.get_received(id).await
    }

    /// Adds the recipient's private tags to a card (trimmed; duplicates ignored).
    pub async fn add_tags(&self, id: &str, tags: &[String]) -> Result<ReceivedCard> {
        self.change_tags(
            id,
            tags,
            "INSERT OR IGNORE INTO received_tags (card_id, tag) VALUES (?, ?)",
        )
        .await
    }

    /// Removes tags from a card (absent ones are ignored).
    pub async fn remove_tags(&self, id: &str, tags: &[String]) -> Result<ReceivedCard> {
        self.change_tags(
            id,
            tags,
            "DELETE FROM received_tags WHERE card_id = ? AND tag = ?",
        )
        .await
    }

    /// Runs `sql` (binding the card id, then the tag) once per cleaned tag in one
    /// transaction, then refreshes the card's search keys.
    async fn change_tags(
        &self,
        id: &str,
        tags: &[String],
        sql: &'static str,
    ) -> Result<ReceivedCard> {
        let tags = clean_tags(tags)?;
        let mut tx = self.begin_write().await?;
        ensure_received(&mut tx, id).await?;
        for t in &tags {
            sqlx::query(sql).bind(id).bind(t).execute(&mut *tx).await?;
        }
        let entry = refresh_keys(&mut tx, id).await?;
        self.commit_with(tx, vec![IndexChange::Upsert(Box::new(entry))])
            .await?;
        self.get_received(id).await
    }

    // ---------------------------------------------------------------- index upkeep

    /// Commits `tx` after bumping the write generation, then applies `changes` to the
    /// in-memory index if it was current (otherwise it is reloaded when next needed).
    pub(crate) async fn commit_with(
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
        let (idx, gen) = self.load_index().await?;
        let out = f(&idx);
        let mut st = self.lock_index();
        st.index = Some(idx);
        st.gen = gen;
        Ok(out)
    }

    /// Loads the whole index from the stored keys (one read transaction, so the generation
    /// and the rows agree).
    async fn load_index(&self) -> Result<(SearchIndex, i64)> {
        let mut tx = self.pool.begin().await?;
        let gen: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'received_gen'")
            .fetch_one(&mut *tx)
            .await?;
        let rows = sqlx::query(
            "SELECT id, source, live, status, added_at, updated_at, last_seen_at, display_name,
                    company, title, sort_key, company_sort_key, search_key
             FROM received_cards",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut tags = all_tags(&mut tx).await?;
        tx.commit().await?;
        let mut idx = SearchIndex::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let key_json: String = row.try_get("search_key")?;
            let key = serde_json::from_str(&key_json).map_err(|e| CoreError::corrupt(&id, e))?;
            let t = tags.remove(&id).unwrap_or_default();
            let summary = summary_from_row(&row, t)?;
            idx.upsert(Entry {
                summary,
                key,
                sort_key: row.try_get("sort_key")?,
                company_sort_key: row.try_get("company_sort_key")?,
            });
        }
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

fn clean_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() {
            return Err(CoreError::InvalidInput("tag: empty tag".into()));
        }
        if t.chars().count() > 64 || t.contains(['\n', '\r']) {
            return Err(CoreError::InvalidInput(format!(
                "tag: {t:?} must be one line of at most 64 characters"
            )));
        }
        if !out.iter().any(|x: &String| x == t) {
            out.push(t.to_string());
        }
    }
    if out.is_empty() {
        return Err(CoreError::InvalidInput("tag: no tag given".into()));
    }
    Ok(out)
}

async fn ensure_received(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM received_cards WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    exists.map(|_| ()).ok_or_else(|| not_found(id))
}

async fn tags_of(conn: &mut SqliteConnection, id: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT tag FROM received_tags WHERE card_id = ? ORDER BY tag")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

async fn all_tags(conn: &mut SqliteConnection) -> Result<HashMap<String, Vec<String>>> {
    let rows = sqlx::query("SELECT card_id, tag FROM received_tags ORDER BY card_id, tag")
        .fetch_all(&mut *conn)
        .await?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        map.entry(r.try_get("card_id")?)
            .or_default()
            .push(r.try_get("tag")?);
    }
    Ok(map)
}

fn changed(updated_at: i64, last_seen_at: Option<i64>) -> bool {
    last_seen_at.is_some_and(|s| updated_at > s)
}

fn summary_from_row(row: &SqliteRow, tags: Vec<String>) -> Result<CardSummary> {
    let id: String = row.try_get("id")?;
    let updated: i64 = row.try_get("updated_at")?;
    let seen: Option<i64> = row.try_get("last_seen_at")?;
    Ok(CardSummary {
        name: row.try_get("display_name")?,
        company: row.try_get("company")?,
        title: row.try_get("title")?,
        source: row
            .try_get::<String, _>("source")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        live: row.try_get::<i64, _>("live")? != 0,
        status: row
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        changed: changed(updated, seen),
        added_at: from_ms(row.try_get("added_at")?),
        updated_at: from_ms(updated),
        tags,
        id,
    })
}

fn received_from_row(row: &SqliteRow, tags: Vec<String>) -> Result<ReceivedCard> {
    let id: String = row.try_get("id")?;
    let card = card_from_row(row, &id)?;
    let updated: i64 = row.try_get("updated_at")?;
    let seen: Option<i64> = row.try_get("last_seen_at")?;
    Ok(ReceivedCard {
        name: card.display_name(),
        source: row
            .try_get::<String, _>("source")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        live: row.try_get::<i64, _>("live")? != 0,
        status: row
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        remote_id: row.try_get("remote_id")?,
        remote_version: row.try_get("remote_version")?,
        added_at: from_ms(row.try_get("added_at")?),
        updated_at: from_ms(updated),
        last_seen_at: seen.map(from_ms),
        synced_at: row.try_get::<Option<i64>, _>("synced_at")?.map(from_ms),
        changed: changed(updated, seen),
        notes: row
            .try_get::<Option<String>, _>("notes")?
            .unwrap_or_default(),
        tags,
        card,
        id,
    })
}

async fn load_received(conn: &mut SqliteConnection, id: &str) -> Result<ReceivedCard> {
    let row = sqlx::query(
        "SELECT r.*, n.notes, s.synced_at FROM received_cards r
         LEFT JOIN received_notes n ON n.card_id = r.id
         LEFT JOIN received_sync s ON s.card_id = r.id WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| not_found(id))?;
    let tags = tags_of(conn, id).await?;
    received_from_row(&row, tags)
}

/// Recomputes and stores the derived columns of one received card; returns its index entry.
pub(crate) async fn refresh_keys(conn: &mut SqliteConnection, id: &str) -> Result<Entry> {
    let rc = load_received(conn, id).await?;
    let key = keys::search_key(&rc.card, &rc.tags, &rc.notes);
    let name = rc.card.display_name();
    let sort_key = keys::sort_key(&name, true);
    let company_sort_key = if rc.card.company.trim().is_empty() {
        String::new()
    } else {
        keys::sort_key(&rc.card.company, false)
    };
    let key_json = serde_json::to_string(&key).map_err(|e| CoreError::corrupt(id, e))?;
    sqlx::query(
        "UPDATE received_cards SET name_key = ?, display_name = ?, company = ?, title = ?,
         sort_key = ?, company_sort_key = ?, search_key = ?, search_key_version = ?
         WHERE id = ?",
    )
    .bind(keys::name_key(&rc.card))
    .bind(&name)
    .bind(&rc.card.company)
    .bind(&rc.card.title)
    .bind(&sort_key)
    .bind(&company_sort_key)
    .bind(&key_json)
    .bind(SEARCH_KEY_VERSION)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(Entry {
        summary: CardSummary {
            id: rc.id,
            name,
            company: rc.card.company.clone(),
            title: rc.card.title.clone(),
            source: rc.source,
            live: rc.live,
            status: rc.status,
            changed: rc.changed,
            added_at: rc.added_at,
            updated_at: rc.updated_at,
            tags: rc.tags,
        },
        key,
        sort_key,
        company_sort_key,
    })
}
