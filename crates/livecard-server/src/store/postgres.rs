//! PostgreSQL store: for several stateless servers behind a load balancer over one database.
//! The version compare-and-set is one `UPDATE … WHERE version < $n` statement, so it holds
//! across servers.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use livecard_wire::{CardId, InboxKeyId, SealedRecord, Tombstone};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Row as _;

use crate::changes::{spawn_pg_listener, ChangeFeed};

use super::{
    classify_delete, classify_put, now_ms, stored_from, Counts, DeleteOutcome, MessageRow,
    NewMessage, PendingMessage, PutOutcome, RegisterOutcome, Row, SendOutcome, Store, StoreError,
    Stored, VersionInfo,
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

fn id_strs(ids: &[CardId]) -> Vec<&str> {
    ids.iter().map(|i| i.as_str()).collect()
}

/// An id asked for twice gets the answer of its first place at every place (PostgreSQL
/// answers `= ANY` once per id).
fn fill_repeats<T: Clone>(ids: &[CardId], at: &HashMap<&str, usize>, out: &mut [Option<T>]) {
    if at.len() == ids.len() {
        return;
    }
    for (i, id) in ids.iter().enumerate() {
        match at.get(id.as_str()) {
            Some(&first) if first != i => out[i] = out[first].clone(),
            _ => {}
        }
    }
}

/// Where each id is in `ids` (the first place when it is there twice).
fn positions(ids: &[CardId]) -> HashMap<&str, usize> {
    let mut at = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        at.entry(id.as_str()).or_insert(i);
    }
    at
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

    async fn versions_each(&self, ids: &[CardId]) -> Result<Vec<Option<VersionInfo>>, StoreError> {
        let mut out = vec![None; ids.len()];
        if ids.is_empty() {
            return Ok(out);
        }
        // Not a prepared statement (`persistent(false)`): PostgreSQL then plans with the real
        // array, which it cannot with a prepared statement's generic plan (it guesses 10
        // elements): for 1,000 ids the query ran in 0.5 ms instead of 2.8 ms (EXPLAIN ANALYZE,
        // docs/PERFORMANCE.md "Full download"). Columns are read by index, ids are matched to
        // their position by text, never parsed back.
        let rows = sqlx::query(
            "SELECT id, version, deleted, length(ciphertext)::BIGINT FROM cards WHERE id = ANY($1)",
        )
        .bind(id_strs(ids))
        .persistent(false)
        .fetch_all(&self.pool)
        .await?;
        let at = positions(ids);
        for row in &rows {
            let id: &str = row.try_get(0)?;
            let slot = at.get(id).and_then(|&i| out.get_mut(i));
            let slot = slot.ok_or_else(|| super::corrupt(id, "not asked for"))?;
            *slot = Some(VersionInfo {
                version: row.try_get::<i64, _>(1)? as u64,
                deleted: row.try_get(2)?,
                bytes: row.try_get::<i64, _>(3)? as u64,
            });
        }
        fill_repeats(ids, &at, &mut out);
        Ok(out)
    }

    async fn get_each(&self, ids: &[CardId]) -> Result<Vec<Option<Stored>>, StoreError> {
        let mut out: Vec<Option<Stored>> = Vec::with_capacity(ids.len());
        out.resize_with(ids.len(), || None);
        if ids.is_empty() {
            return Ok(out);
        }
        // As `versions_each`: planned with the real array, columns by index.
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM cards WHERE id = ANY($1)"))
            .bind(id_strs(ids))
            .persistent(false)
            .fetch_all(&self.pool)
            .await?;
        let at = positions(ids);
        for row in rows {
            let id: &str = row.try_get(0)?;
            let i = *at
                .get(id)
                .ok_or_else(|| super::corrupt(id, "not asked for"))?;
            out[i] = Some(stored_from(
                ids[i].clone(),
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(6)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
            )?);
        }
        fill_repeats(ids, &at, &mut out);
        Ok(out)
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

    async fn inbox_register(
        &self,
        id: &CardId,
        epoch: u64,
        key_id: &InboxKeyId,
    ) -> Result<RegisterOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO inboxes (id, epoch, key_id, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, key_id = excluded.key_id,
                 updated_at = excluded.updated_at
             WHERE inboxes.epoch < excluded.epoch",
        )
        .bind(id.as_str())
        .bind(epoch as i64)
        .bind(&key_id.0[..])
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let current: i64 = sqlx::query_scalar("SELECT epoch FROM inboxes WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Ok(RegisterOutcome::Stale {
                current: current as u64,
            });
        }
        sqlx::query("DELETE FROM inbox_messages WHERE card_id = $1 AND key_id <> $2")
            .bind(id.as_str())
            .bind(&key_id.0[..])
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(RegisterOutcome::Registered)
    }

    async fn inbox_key(&self, id: &CardId) -> Result<Option<(u64, InboxKeyId)>, StoreError> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT epoch, key_id FROM inboxes WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(epoch, key)| {
            let key: [u8; 16] = key
                .as_slice()
                .try_into()
                .map_err(|_| super::corrupt(id.as_str(), "inbox key id length"))?;
            Ok((epoch as u64, InboxKeyId(key)))
        })
        .transpose()
    }

    async fn inbox_send(
        &self,
        id: &CardId,
        m: NewMessage<'_>,
        max_pending: usize,
    ) -> Result<SendOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The inbox row's lock serialises senders of one card: the cap holds exactly.
        let key: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT key_id FROM inboxes WHERE id = $1 FOR UPDATE")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let Some(key) = key else {
            return Ok(SendOutcome::NoInbox);
        };
        if key.as_slice() != &m.key_id.0[..] {
            return Ok(SendOutcome::KeyRotated);
        }
        sqlx::query("DELETE FROM inbox_messages WHERE card_id = $1 AND expires <= $2")
            .bind(id.as_str())
            .bind(m.received as i64)
            .execute(&mut *tx)
            .await?;
        let seen: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM inbox_messages WHERE card_id = $1 AND msg_id = $2")
                .bind(id.as_str())
                .bind(m.msg_id)
                .fetch_optional(&mut *tx)
                .await?;
        if seen.is_some() {
            return Ok(SendOutcome::Duplicate);
        }
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbox_messages WHERE card_id = $1 AND NOT taken",
        )
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if pending as u64 >= max_pending as u64 {
            return Ok(SendOutcome::Full);
        }
        sqlx::query(
            "INSERT INTO inbox_messages (card_id, msg_id, key_id, sealed, taken, received, expires)
             VALUES ($1, $2, $3, $4, FALSE, $5, $6)",
        )
        .bind(id.as_str())
        .bind(m.msg_id)
        .bind(&m.key_id.0[..])
        .bind(m.sealed)
        .bind(m.received as i64)
        .bind(m.expires as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SendOutcome::Accepted)
    }

    async fn inbox_take(
        &self,
        id: &CardId,
        ack: &[String],
        limit: usize,
        now: u64,
    ) -> Result<(Vec<PendingMessage>, bool), StoreError> {
        sqlx::query("DELETE FROM inbox_messages WHERE card_id = $1 AND expires <= $2")
            .bind(id.as_str())
            .bind(now as i64)
            .execute(&self.pool)
            .await?;
        if !ack.is_empty() {
            sqlx::query(
                "UPDATE inbox_messages SET taken = TRUE, sealed = ''::bytea
                 WHERE card_id = $1 AND msg_id = ANY($2)",
            )
            .bind(id.as_str())
            .bind(ack)
            .execute(&self.pool)
            .await?;
        }
        let rows: Vec<MessageRow> = sqlx::query_as(
            "SELECT msg_id, received, key_id, sealed FROM inbox_messages
             WHERE card_id = $1 AND NOT taken ORDER BY received, msg_id LIMIT $2",
        )
        .bind(id.as_str())
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let truncated = rows.len() > limit;
        let messages = rows
            .into_iter()
            .take(limit)
            .map(MessageRow::into_pending)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((messages, truncated))
    }

    async fn inbox_expire(&self, now: u64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM inbox_messages WHERE expires <= $1")
            .bind(now as i64)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn inbox_pending(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox_messages WHERE NOT taken")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
