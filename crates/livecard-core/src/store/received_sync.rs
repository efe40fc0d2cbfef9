//! SQL of the `received_sync` table: where each live received card syncs, the secret that
//! reads it, whether it is a partial offline copy, when its server last answered for it
//! (`synced_at`), and the last refusal of a record for it (`last_refusal`, a code).

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::{from_ms, not_found, Unlocked};
use crate::decide::Refusal;
use crate::error::{CoreError, Result};
use crate::model::Status;

/// A received card held for a card id, with its sync row: what the sync decision reads.
#[derive(Debug)]
pub(crate) struct HeldRow {
    /// The local id.
    pub id: String,
    /// The owner's version held (0 when none was stored).
    pub version: i64,
    pub status: Status,
    pub card_json: String,
    /// The stored share secret (base32), if any.
    pub secret: Option<String>,
    pub partial: bool,
}

/// The received card held for the card id `remote_id`, if any.
pub(crate) async fn held_for_remote(
    conn: &mut SqliteConnection,
    remote_id: &str,
) -> Result<Option<HeldRow>> {
    let Some(row) = sqlx::query(
        "SELECT r.id, r.remote_version, r.status, r.card_json, s.secret, s.partial
         FROM received_cards r LEFT JOIN received_sync s ON s.card_id = r.id
         WHERE r.remote_id = ?",
    )
    .bind(remote_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let status: Status = row
        .try_get::<String, _>("status")?
        .parse()
        .map_err(|e| CoreError::corrupt(&id, e))?;
    Ok(Some(HeldRow {
        version: row
            .try_get::<Option<i64>, _>("remote_version")?
            .unwrap_or(0),
        status,
        card_json: row.try_get("card_json")?,
        secret: row.try_get("secret")?,
        partial: row.try_get::<Option<i64>, _>("partial")?.unwrap_or(0) != 0,
        id,
    }))
}

/// The sync row of a card just added from a record.
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    card_id: &str,
    server_url: &str,
    secret: &str,
    partial: bool,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO received_sync (card_id, server_url, secret, partial, last_checked_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(card_id)
    .bind(server_url)
    .bind(secret)
    .bind(i64::from(partial))
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The sync row of a card just updated from a record: secret and partial flag as given, the
/// server kept unless one is given, the last refusal cleared.
pub(crate) async fn upsert(
    conn: &mut SqliteConnection,
    card_id: &str,
    server_url: Option<&str>,
    secret: &str,
    partial: bool,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO received_sync (card_id, server_url, secret, partial, last_checked_at, last_refusal)
         VALUES (?, ?, ?, ?, ?, NULL)
         ON CONFLICT (card_id) DO UPDATE SET server_url = COALESCE(?, server_url),
           secret = excluded.secret, partial = excluded.partial,
           last_checked_at = excluded.last_checked_at, last_refusal = NULL",
    )
    .bind(card_id)
    .bind(server_url.unwrap_or(""))
    .bind(secret)
    .bind(i64::from(partial))
    .bind(at)
    .bind(server_url)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Remembers why the last record for `card_id` was refused (its code, as JSON).
pub(crate) async fn set_last_refusal(
    conn: &mut SqliteConnection,
    card_id: &str,
    refusal: &Refusal,
) -> Result<()> {
    let code = serde_json::to_string(refusal).map_err(|e| CoreError::corrupt(card_id, e))?;
    sqlx::query("UPDATE received_sync SET last_refusal = ? WHERE card_id = ?")
        .bind(code)
        .bind(card_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records that the server of the received card `card_id` answered for it at `at` (ms).
pub(crate) async fn mark_synced(conn: &mut SqliteConnection, card_id: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE received_sync SET synced_at = ? WHERE card_id = ?")
        .bind(at)
        .bind(card_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets `column` (`last_checked_at` or `synced_at`) to `at` for the cards with these card ids.
async fn set_by_remote(
    conn: &mut SqliteConnection,
    column: &str,
    remote_ids: &[&str],
    at: i64,
) -> Result<()> {
    // (A list of strings always encodes; were it not to, no card is marked.)
    let ids = serde_json::to_string(remote_ids).unwrap_or_else(|_| "[]".into());
    sqlx::query(&format!(
        "UPDATE received_sync SET {column} = ? WHERE card_id IN
         (SELECT id FROM received_cards WHERE remote_id IN (SELECT value FROM json_each(?)))"
    ))
    .bind(at)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The cards with these card ids were asked about at `at`.
pub(crate) async fn mark_checked_remote(
    conn: &mut SqliteConnection,
    remote_ids: &[&str],
    at: i64,
) -> Result<()> {
    set_by_remote(conn, "last_checked_at", remote_ids, at).await
}

/// The server's answer confirmed the cards with these card ids at `at`.
pub(crate) async fn mark_synced_remote(
    conn: &mut SqliteConnection,
    remote_ids: &[&str],
    at: i64,
) -> Result<()> {
    set_by_remote(conn, "synced_at", remote_ids, at).await
}

/// What a conditional refresh of one received card needs.
#[derive(Debug)]
pub(crate) struct RefreshTarget {
    pub live: bool,
    pub status: String,
    pub remote_id: Option<String>,
    pub server_url: Option<String>,
    pub partial: bool,
    /// The owner's version held (0 when none).
    pub version: i64,
}

impl Unlocked<'_> {
    /// Whether the received card is an offline copy waiting for its full record.
    pub(crate) async fn is_partial(&self, id: &str) -> Result<bool> {
        let p: Option<i64> =
            sqlx::query_scalar("SELECT partial FROM received_sync WHERE card_id = ?")
                .bind(id)
                .fetch_optional(&self.store.pool)
                .await?;
        Ok(p.unwrap_or(0) != 0)
    }

    /// When the server of the received card `id` last answered for it.
    pub(crate) async fn synced_at(&self, id: &str) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query(
            "SELECT s.synced_at FROM received_cards r
             LEFT JOIN received_sync s ON s.card_id = r.id WHERE r.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| not_found(id))?;
        Ok(row.try_get::<Option<i64>, _>("synced_at")?.map(from_ms))
    }

    /// Why the last record for the received card `id` was refused, if it was (cleared when a
    /// record is accepted). A value that is not a refusal's JSON (cannot happen after
    /// migration 0017) reads as [`Refusal::Other`] with its text.
    pub(crate) async fn last_refusal(&self, id: &str) -> Result<Option<Refusal>> {
        let row = sqlx::query(
            "SELECT s.last_refusal FROM received_cards r
             LEFT JOIN received_sync s ON s.card_id = r.id WHERE r.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| not_found(id))?;
        Ok(row
            .try_get::<Option<String>, _>("last_refusal")?
            .map(|s| serde_json::from_str(&s).unwrap_or(Refusal::Other { text: s })))
    }

    /// What refreshing the received card `id` needs.
    pub(crate) async fn refresh_target(&self, id: &str) -> Result<RefreshTarget> {
        let row = sqlx::query(
            "SELECT r.remote_id, r.remote_version, r.status, r.live, s.server_url, s.partial
             FROM received_cards r LEFT JOIN received_sync s ON s.card_id = r.id WHERE r.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| not_found(id))?;
        Ok(RefreshTarget {
            live: row.try_get::<i64, _>("live")? != 0,
            status: row.try_get("status")?,
            remote_id: row.try_get("remote_id")?,
            server_url: row.try_get("server_url")?,
            partial: row.try_get::<Option<i64>, _>("partial")?.unwrap_or(0) != 0,
            version: row
                .try_get::<Option<i64>, _>("remote_version")?
                .unwrap_or(0),
        })
    }
}
