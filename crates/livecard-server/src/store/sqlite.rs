//! SQLite store: one file, WAL, `synchronous=FULL` (an acknowledged write survives a crash
//! and a power cut), `busy_timeout` — set on every pooled connection through
//! `SqliteConnectOptions`.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use livecard_format::wire::{CardId, SealedRecord, Tombstone};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::changes::{Change, ChangeFeed};

use super::{
    classify_delete, classify_put, ids_json, now_ms, Counts, DeleteOutcome, PutOutcome, Row, Store,
    StoreError, Stored, VersionInfo,
};

const COLUMNS: &str = "id, public_key, version, nonce, ciphertext, signature, deleted";

pub struct SqliteStore {
    pool: SqlitePool,
    /// One process owns the file: a committed write is published here (changes.rs).
    feed: ChangeFeed,
}

impl SqliteStore {
    /// Opens (creating the file if needed, never its directory) and migrates.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?;
        let path = options.get_filename().to_path_buf();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(StoreError::MissingDirectory(dir.display().to_string()));
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore {
            pool,
            feed: ChangeFeed::new(),
        })
    }

    async fn row(&self, id: &str) -> Result<Option<Row>, StoreError> {
        Ok(
            sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM cards WHERE id = ?"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn changes(&self) -> &ChangeFeed {
        &self.feed
    }

    async fn get(&self, id: &CardId) -> Result<Option<Stored>, StoreError> {
        self.row(id.as_str())
            .await?
            .map(Row::into_stored)
            .transpose()
    }

    async fn version(&self, id: &CardId) -> Result<Option<VersionInfo>, StoreError> {
        let row: Option<(i64, bool, i64)> =
            sqlx::query_as("SELECT version, deleted, length(ciphertext) FROM cards WHERE id = ?")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(v, deleted, bytes)| VersionInfo {
            version: v as u64,
            deleted,
            bytes: bytes as u64,
        }))
    }

    async fn put_if_newer(&self, r: &SealedRecord) -> Result<PutOutcome, StoreError> {
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO cards (id, public_key, version, nonce, ciphertext, signature, deleted, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(r.id.as_str())
        .bind(&r.public_key[..])
        .bind(r.version as i64)
        .bind(&r.nonce[..])
        .bind(&r.ciphertext)
        .bind(&r.signature[..])
        .bind(now)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            self.feed.publish(Change::Version {
                id: r.id.clone(),
                version: r.version,
            });
            return Ok(PutOutcome::Created);
        }
        let updated = sqlx::query(
            "UPDATE cards SET version = ?, nonce = ?, ciphertext = ?, signature = ?, updated_at = ?
             WHERE id = ? AND version < ? AND public_key = ? AND deleted = 0",
        )
        .bind(r.version as i64)
        .bind(&r.nonce[..])
        .bind(&r.ciphertext)
        .bind(&r.signature[..])
        .bind(now)
        .bind(r.id.as_str())
        .bind(r.version as i64)
        .bind(&r.public_key[..])
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 1 {
            self.feed.publish(Change::Version {
                id: r.id.clone(),
                version: r.version,
            });
            return Ok(PutOutcome::Updated);
        }
        classify_put(self.row(r.id.as_str()).await?, &r.public_key)
    }

    async fn delete(&self, t: &Tombstone) -> Result<DeleteOutcome, StoreError> {
        let updated = sqlx::query(
            "UPDATE cards SET deleted = 1, version = ?, nonce = x'', ciphertext = x'', signature = ?, updated_at = ?
             WHERE id = ? AND version < ? AND public_key = ? AND deleted = 0",
        )
        .bind(t.version as i64)
        .bind(&t.signature[..])
        .bind(now_ms())
        .bind(t.id.as_str())
        .bind(t.version as i64)
        .bind(&t.public_key[..])
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 1 {
            self.feed.publish(Change::Gone {
                id: t.id.clone(),
                version: t.version,
            });
            return Ok(DeleteOutcome::Deleted);
        }
        classify_delete(self.row(t.id.as_str()).await?, &t.public_key)
    }

    async fn versions(&self, ids: &[CardId]) -> Result<HashMap<CardId, VersionInfo>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        // One row for the whole answer: sqlx hands over a query's rows one at a time from its
        // SQLite worker thread, a cross-thread wake-up per row, which was most of a 1,000-id
        // sync's time in a `perf` profile; SQLite builds one JSON array instead. The covering
        // index (migrations/sqlite/0002_sync_index.sql) spares reading the table rows.
        let json: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(id, version, deleted, length(ciphertext))) \
             FROM cards INDEXED BY cards_sync WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids_json(ids))
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<(String, u64, i64, u64)> =
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                id: String::new(),
                why: format!("version list from SQLite: {e}"),
            })?;
        rows.into_iter()
            .map(|(id, version, deleted, bytes)| {
                let card = CardId::parse(&id).map_err(|e| StoreError::Corrupt {
                    id: id.clone(),
                    why: e.to_string(),
                })?;
                Ok((
                    card,
                    VersionInfo {
                        version,
                        deleted: deleted != 0,
                        bytes,
                    },
                ))
            })
            .collect()
    }

    async fn get_many(&self, ids: &[CardId]) -> Result<Vec<Stored>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM cards WHERE id IN (SELECT value FROM json_each(?))"
        ))
        .bind(ids_json(ids))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Row::into_stored).collect()
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let (live, deleted): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN deleted THEN 0 ELSE 1 END), 0),
                    COALESCE(SUM(CASE WHEN deleted THEN 1 ELSE 0 END), 0) FROM cards",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts {
            live: live as u64,
            deleted: deleted as u64,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
