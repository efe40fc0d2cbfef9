//! SQL of the `received_notes` table: the recipient's private notes.

use super::received_cards::{ensure_received, refresh_keys};
use super::{ms, now, IndexChange, Unlocked};
use crate::error::{CoreError, Result};
use crate::model::ReceivedCard;

impl Unlocked<'_> {
    /// Sets the recipient's private notes on a card (empty clears them).
    pub(crate) async fn set_notes(&self, id: &str, notes: &str) -> Result<ReceivedCard> {
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
}
