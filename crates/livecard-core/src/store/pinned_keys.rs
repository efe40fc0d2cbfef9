//! SQL of the `pinned_keys` table: the public key first seen for each card id (kept when the
//! card is deleted here), against which every later record and tombstone is checked.

use sqlx::SqliteConnection;

use super::{ms, now};
use crate::error::Result;

/// The key pinned for the card id `remote_id`, as stored.
pub(crate) async fn pinned_key(
    conn: &mut SqliteConnection,
    remote_id: &str,
) -> Result<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT public_key FROM pinned_keys WHERE remote_id = ?")
            .bind(remote_id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Pins `key` as the first one seen for `remote_id`.
pub(crate) async fn pin_key(
    conn: &mut SqliteConnection,
    remote_id: &str,
    key: &[u8],
) -> Result<()> {
    sqlx::query("INSERT INTO pinned_keys (remote_id, public_key, first_seen) VALUES (?, ?, ?)")
        .bind(remote_id)
        .bind(key)
        .bind(ms(now()))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
