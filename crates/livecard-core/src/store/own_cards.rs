//! SQL of the `own_cards` table: the user's own cards.

use livecard_format::{Card, Limits};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{card_from_row, from_ms, ms, new_id, now, to_json, Unlocked};
use crate::error::{CoreError, Result};
use crate::model::OwnCard;

fn own_from_row(row: &SqliteRow) -> Result<OwnCard> {
    let id: String = row.try_get("id")?;
    let card = card_from_row(row, &id)?;
    Ok(OwnCard {
        version: row.try_get("version")?,
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        created_at: from_ms(row.try_get("created_at")?),
        updated_at: from_ms(row.try_get("updated_at")?),
        card,
        display: Default::default(),
        id,
    })
}

impl Unlocked<'_> {
    /// All own cards, the default first, then oldest first.
    pub(crate) async fn list_own(&self) -> Result<Vec<OwnCard>> {
        let rows = sqlx::query("SELECT * FROM own_cards ORDER BY is_default DESC, created_at, id")
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(own_from_row).collect()
    }

    pub(crate) async fn get_own(&self, id: &str) -> Result<OwnCard> {
        let row = sqlx::query("SELECT * FROM own_cards WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or_else(|| CoreError::NotFound {
                what: "own card",
                id: id.to_string(),
            })?;
        own_from_row(&row)
    }

    /// The default own card ("me"), if any own card exists.
    pub(crate) async fn default_own(&self) -> Result<Option<OwnCard>> {
        let row = sqlx::query("SELECT * FROM own_cards WHERE is_default = 1")
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(own_from_row).transpose()
    }

    /// Creates an own card (validated first); the first one becomes the default.
    pub(crate) async fn create_own(&self, card: Card) -> Result<OwnCard> {
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
    pub(crate) async fn update_own(&self, id: &str, card: Card) -> Result<OwnCard> {
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
        .execute(&self.store.pool)
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
    pub(crate) async fn set_default_own(&self, id: &str) -> Result<OwnCard> {
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
    pub(crate) async fn delete_own(&self, id: &str) -> Result<()> {
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
    pub(crate) async fn seed_own_from(&self, received_id: &str) -> Result<OwnCard> {
        let received = self.get_received(received_id).await?;
        self.create_own(Card::seed_from(&received.card)).await
    }
}
