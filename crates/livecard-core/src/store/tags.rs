//! SQL of the `received_tags` table: the recipient's private tags.

use std::collections::HashMap;

use sqlx::{Row, SqliteConnection};

use super::received_cards::{ensure_received, refresh_keys};
use super::{IndexChange, Unlocked};
use crate::error::{CoreError, Result};
use crate::model::ReceivedCard;

impl Unlocked<'_> {
    /// Adds the recipient's private tags to a card (trimmed; duplicates ignored).
    pub(crate) async fn add_tags(&self, id: &str, tags: &[String]) -> Result<ReceivedCard> {
        self.change_tags(
            id,
            tags,
            "INSERT OR IGNORE INTO received_tags (card_id, tag) VALUES (?, ?)",
        )
        .await
    }

    /// Removes tags from a card (absent ones are ignored).
    pub(crate) async fn remove_tags(&self, id: &str, tags: &[String]) -> Result<ReceivedCard> {
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

pub(super) async fn tags_of(conn: &mut SqliteConnection, id: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT tag FROM received_tags WHERE card_id = ? ORDER BY tag")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

pub(super) async fn all_tags(conn: &mut SqliteConnection) -> Result<HashMap<String, Vec<String>>> {
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
