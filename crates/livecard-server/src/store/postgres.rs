//! PostgreSQL store: for several stateless servers behind a load balancer over one database.
//! The version compare-and-set is one `UPDATE … WHERE version < $n` statement, so it holds
//! across servers.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use livecard_format::wire::{CardId, SealedRecord, Tombstone};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::changes::{spawn_pg_listener, ChangeFeed};

use super::{
    classify_delete, classify_put, now_ms, Counts, DeleteOutcome, PutOutcome, Row, Store,
    StoreError, Stored, VersionInfo,
};

const COLUMNS: &str = "id, public_key, version, nonce, ciphertext, signature, deleted";

pub struct PgStore {
    pool: PgPool,
    /// Fed by the `LISTEN livecard_changes` task (changes.rs) with every server's writes.
    feed: ChangeFeed,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Connects and migrates. Tests put each run in its own schema with
    /// `?options=-c%20search_path%3DNAME` in the URL (the schema must exist).
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        PgStore::connect_with(options).await
    }

    pub async fn connect_with(options: PgConnectOptions) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let feed = ChangeFeed::new();
        let listener = spawn_pg_listener(&pool, feed.clone()).await?;
        Ok(PgStore {
            pool,
            feed,
            listener,
        })
    }

    async fn row(&self, id: &str) -> Result<Option<Row>, StoreError> {
        Ok(
            sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM cards WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

fn id_strings(ids: &[CardId]) -> Vec<String> {
    ids.iter().map(|i| i.as_str().to_string()).collect()
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
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
        let row: Option<(i64, bool, i64)> = sqlx::query_as(
            "SELECT version, deleted, length(ciphertext)::BIGINT FROM cards WHERE id = $1",
        )
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
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7) ON CONFLICT (id) DO NOTHING",
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
            return Ok(PutOutcome::Created);
        }
        let updated = sqlx::query(
            "UPDATE cards SET version = $1, nonce = $2, ciphertext = $3, signature = $4, updated_at = $5
             WHERE id = $6 AND version < $1 AND public_key = $7 AND NOT deleted",
        )
        .bind(r.version as i64)
        .bind(&r.nonce[..])
        .bind(&r.ciphertext)
        .bind(&r.signature[..])
        .bind(now)
        .bind(r.id.as_str())
        .bind(&r.public_key[..])
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 1 {
            return Ok(PutOutcome::Updated);
        }
        classify_put(self.row(r.id.as_str()).await?, &r.public_key)
    }

    async fn delete(&self, t: &Tombstone) -> Result<DeleteOutcome, StoreError> {
        let updated = sqlx::query(
            "UPDATE cards SET deleted = TRUE, version = $1, nonce = ''::bytea, ciphertext = ''::bytea,
                    signature = $2, updated_at = $3
             WHERE id = $4 AND version < $1 AND public_key = $5 AND NOT deleted",
        )
        .bind(t.version as i64)
        .bind(&t.signature[..])
        .bind(now_ms())
        .bind(t.id.as_str())
        .bind(&t.public_key[..])
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 1 {
            return Ok(DeleteOutcome::Deleted);
        }
        classify_delete(self.row(t.id.as_str()).await?, &t.public_key)
    }

    async fn versions(&self, ids: &[CardId]) -> Result<HashMap<CardId, VersionInfo>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(String, i64, bool, i64)> = sqlx::query_as(
            "SELECT id, version, deleted, length(ciphertext)::BIGINT FROM cards WHERE id = ANY($1)",
        )
        .bind(id_strings(ids))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, v, deleted, bytes)| {
                let card = CardId::parse(&id).map_err(|e| StoreError::Corrupt {
                    id: id.clone(),
                    why: e.to_string(),
                })?;
                Ok((
                    card,
                    VersionInfo {
                        version: v as u64,
                        deleted,
                        bytes: bytes as u64,
                    },
                ))
            })
            .collect()
    }

    async fn get_many(&self, ids: &[CardId]) -> Result<Vec<Stored>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM cards WHERE id = ANY($1)"))
                .bind(id_strings(ids))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(Row::into_stored).collect()
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let (live, deleted): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE NOT deleted), COUNT(*) FILTER (WHERE deleted) FROM cards",
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
