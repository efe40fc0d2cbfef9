//! SQLite store: one file, WAL, `synchronous=FULL` (an acknowledged write survives a crash
//! and a power cut), `busy_timeout` — set on every pooled connection through
//! `SqliteConnectOptions`.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use livecard_wire::{CardId, InboxKeyId, SealedRecord, Tombstone};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::changes::{Change, ChangeFeed};

use super::{
    classify_delete, classify_put, ids_json, now_ms, stored_from, Counts, DeleteOutcome,
    MessageRow, NewMessage, PendingMessage, PutOutcome, RegisterOutcome, Row, SendOutcome, Store,
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

    async fn versions_each(&self, ids: &[CardId]) -> Result<Vec<Option<VersionInfo>>, StoreError> {
        let mut out = vec![None; ids.len()];
        if ids.is_empty() {
            return Ok(out);
        }
        // One row for the whole answer: sqlx hands over a query's rows one at a time from its
        // SQLite worker thread, a cross-thread wake-up per row, which was most of a 1,000-id
        // sync's time in a `perf` profile; SQLite builds one JSON array instead. Each entry
        // names its id by position in the request (`j.key`), so no id is parsed back. The
        // covering index (migrations/sqlite/0002_sync_index.sql) spares reading the table rows;
        // CROSS JOIN keeps the ids as the outer loop (one index search per id).
        let json: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(j.key, c.version, c.deleted, length(c.ciphertext))) \
             FROM json_each(?) AS j CROSS JOIN cards AS c INDEXED BY cards_sync ON c.id = j.value",
        )
        .bind(ids_json(ids))
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<(usize, u64, i64, u64)> =
            serde_json::from_str(&json).map_err(|e| list_corrupt("version list", &e))?;
        for (at, version, deleted, bytes) in rows {
            let slot = out
                .get_mut(at)
                .ok_or_else(|| list_corrupt("version list", &"position out of range"))?;
            *slot = Some(VersionInfo {
                version,
                deleted: deleted != 0,
                bytes,
            });
        }
        Ok(out)
    }

    async fn get_each(&self, ids: &[CardId]) -> Result<Vec<Option<Stored>>, StoreError> {
        let mut out: Vec<Option<Stored>> = Vec::with_capacity(ids.len());
        out.resize_with(ids.len(), || None);
        if ids.is_empty() {
            return Ok(out);
        }
        // One row, as in `versions_each` (a row per card was ~35 % of a full download's
        // instructions: sqlx copies every column value and hands each row over): the numbers
        // as a JSON array, and every card's bytes (key, nonce, ciphertext, signature)
        // concatenated into one BLOB, in the same row order — both aggregates step over the
        // same rows. `||` and `group_concat` join the bytes as text, which in a UTF-8 database
        // (ours: created by `connect`) is the bytes unchanged; `CAST(… AS BLOB)` hands them
        // back as they are. The lengths are checked against the BLOB below.
        let (json, bytes): (String, Option<Vec<u8>>) = sqlx::query_as(
            "SELECT json_group_array(json_array(j.key, c.version, c.deleted, length(c.public_key), \
                 length(c.nonce), length(c.ciphertext), length(c.signature))), \
             CAST(group_concat(c.public_key || c.nonce || c.ciphertext || c.signature, '') AS BLOB) \
             FROM json_each(?) AS j CROSS JOIN cards AS c ON c.id = j.value",
        )
        .bind(ids_json(ids))
        .fetch_one(&self.pool)
        .await?;
        type Entry = (usize, i64, i64, usize, usize, usize, usize);
        let rows: Vec<Entry> =
            serde_json::from_str(&json).map_err(|e| list_corrupt("record list", &e))?;
        let bytes = bytes.unwrap_or_default();
        let mut rest = bytes.as_slice();
        let mut take = |n: usize| {
            let (head, tail) = rest.split_at_checked(n)?;
            rest = tail;
            Some(head)
        };
        for (at, version, deleted, key, nonce, ciphertext, signature) in rows {
            let id = ids
                .get(at)
                .ok_or_else(|| list_corrupt("record list", &"position out of range"))?;
            let short = || list_corrupt("record bytes", &"shorter than their lengths");
            let key = take(key).ok_or_else(short)?;
            let nonce = take(nonce).ok_or_else(short)?;
            let ciphertext = take(ciphertext).ok_or_else(short)?.to_vec();
            let signature = take(signature).ok_or_else(short)?;
            out[at] = Some(stored_from(
                id.clone(),
                key,
                version,
                deleted != 0,
                nonce,
                ciphertext,
                signature,
            )?);
        }
        if !rest.is_empty() {
            return Err(list_corrupt("record bytes", &"longer than their lengths"));
        }
        Ok(out)
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

    async fn inbox_register(
        &self,
        id: &CardId,
        epoch: u64,
        key_id: &InboxKeyId,
    ) -> Result<RegisterOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO inboxes (id, epoch, key_id, updated_at) VALUES (?, ?, ?, ?)
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
            let current: i64 = sqlx::query_scalar("SELECT epoch FROM inboxes WHERE id = ?")
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Ok(RegisterOutcome::Stale {
                current: current as u64,
            });
        }
        sqlx::query("DELETE FROM inbox_messages WHERE card_id = ? AND key_id <> ?")
            .bind(id.as_str())
            .bind(&key_id.0[..])
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(RegisterOutcome::Registered)
    }

    async fn inbox_key(&self, id: &CardId) -> Result<Option<(u64, InboxKeyId)>, StoreError> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT epoch, key_id FROM inboxes WHERE id = ?")
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
        sqlx::query("DELETE FROM inbox_messages WHERE card_id = ? AND expires <= ?")
            .bind(id.as_str())
            .bind(m.received as i64)
            .execute(&self.pool)
            .await?;
        // One statement: SQLite runs it under its write lock, so the key check, the cap and
        // the duplicate check (primary key) hold against concurrent senders.
        let done = sqlx::query(
            "INSERT INTO inbox_messages (card_id, msg_id, key_id, sealed, taken, received, expires)
             SELECT ?1, ?2, ?3, ?4, 0, ?5, ?6
             WHERE EXISTS (SELECT 1 FROM inboxes WHERE id = ?1 AND key_id = ?3)
               AND (SELECT COUNT(*) FROM inbox_messages WHERE card_id = ?1 AND taken = 0) < ?7
             ON CONFLICT (card_id, msg_id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(m.msg_id)
        .bind(&m.key_id.0[..])
        .bind(m.sealed)
        .bind(m.received as i64)
        .bind(m.expires as i64)
        .bind(max_pending as i64)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(SendOutcome::Accepted);
        }
        match self.inbox_key(id).await? {
            None => return Ok(SendOutcome::NoInbox),
            Some((_, k)) if &k != m.key_id => return Ok(SendOutcome::KeyRotated),
            Some(_) => {}
        }
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM inbox_messages WHERE card_id = ? AND msg_id = ?")
                .bind(id.as_str())
                .bind(m.msg_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(if seen.is_some() {
            SendOutcome::Duplicate
        } else {
            SendOutcome::Full
        })
    }

    async fn inbox_take(
        &self,
        id: &CardId,
        ack: &[String],
        limit: usize,
        now: u64,
    ) -> Result<(Vec<PendingMessage>, bool), StoreError> {
        sqlx::query("DELETE FROM inbox_messages WHERE card_id = ? AND expires <= ?")
            .bind(id.as_str())
            .bind(now as i64)
            .execute(&self.pool)
            .await?;
        if !ack.is_empty() {
            sqlx::query(
                "UPDATE inbox_messages SET taken = 1, sealed = x''
                 WHERE card_id = ? AND msg_id IN (SELECT value FROM json_each(?))",
            )
            .bind(id.as_str())
            .bind(serde_json::to_string(ack).unwrap_or_default())
            .execute(&self.pool)
            .await?;
        }
        let rows: Vec<MessageRow> = sqlx::query_as(
            "SELECT msg_id, received, key_id, sealed FROM inbox_messages
             WHERE card_id = ? AND taken = 0 ORDER BY received, msg_id LIMIT ?",
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
        let done = sqlx::query("DELETE FROM inbox_messages WHERE expires <= ?")
            .bind(now as i64)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn inbox_pending(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox_messages WHERE taken = 0")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

fn list_corrupt(what: &str, e: &dyn std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: String::new(),
        why: format!("{what} from SQLite: {e}"),
    }
}
