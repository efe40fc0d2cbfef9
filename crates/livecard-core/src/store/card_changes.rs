//! SQL of the `card_changes` table: what each update of a received card changed, per field.

use sqlx::{Row, SqliteConnection};

use super::{from_ms, Unlocked};
use crate::error::Result;
use crate::sync::Change;

/// Records the field changes `(field, old, new)` that version `version` of card `card_id`
/// brought, at `at` (ms).
pub(crate) async fn add_changes(
    conn: &mut SqliteConnection,
    card_id: &str,
    version: i64,
    diffs: &[(String, String, String)],
    at: i64,
) -> Result<()> {
    for (field, old, new) in diffs {
        sqlx::query(
            "INSERT INTO card_changes (card_id, version, field, old_value, new_value, at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(card_id)
        .bind(version)
        .bind(field)
        .bind(old)
        .bind(new)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Unlocked<'_> {
    /// The change history of a received card, newest first.
    pub(crate) async fn changes(&self, card_id: &str) -> Result<Vec<Change>> {
        let rows = sqlx::query(
            "SELECT version, field, old_value, new_value, at FROM card_changes
             WHERE card_id = ? ORDER BY seq DESC",
        )
        .bind(card_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    version: r.try_get("version")?,
                    field: r.try_get("field")?,
                    old: r.try_get("old_value")?,
                    new: r.try_get("new_value")?,
                    at: from_ms(r.try_get("at")?),
                })
            })
            .collect()
    }
}
