//! SQL of the `received_cards` table: cards received from other people, their derived list
//! and search columns, and reading them back with their notes and tags.

use livecard_format::{Card, Limits};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::tags::{all_tags, tags_of};
use super::{
    card_from_row, changed, from_ms, ms, new_id, not_found, now, to_json, IndexChange, Store,
    Unlocked,
};
use crate::error::{CoreError, Result};
use crate::keys::{self, SEARCH_KEY_VERSION};
use crate::model::{AddOutcome, AddStatus, CardSummary, ReceivedCard, Sort, Source, Status};
use crate::search::Entry;

/// Same person: same non-empty name, and a mobile, landline or email in common.
fn same_person(a: &Card, b: &Card) -> bool {
    let nums = |c: &Card| -> Vec<String> {
        c.mobile
            .iter()
            .chain(c.phone.iter())
            .flat_map(|n| keys::phone_digit_forms(n))
            .collect()
    };
    let (na, nb) = (nums(a), nums(b));
    if na.iter().any(|n| n.len() >= 5 && nb.contains(n)) {
        return true;
    }
    a.email.iter().any(|x| {
        b.email
            .iter()
            .any(|y| x.trim().eq_ignore_ascii_case(y.trim()))
    })
}

impl Unlocked<'_> {
    /// Adds static (non-syncing) cards, e.g. from a .vcf or MeCard, in one transaction. If we
    /// already hold a static card of the same person (same name, and a mobile, landline or
    /// email in common), that card's owner fields are replaced by the new copy instead (notes
    /// and tags kept). Every card is validated first; one invalid card adds none.
    pub(crate) async fn add_received_many(
        &self,
        cards: Vec<(Card, Vec<String>)>,
        source: Source,
    ) -> Result<Vec<AddOutcome>> {
        for (card, _) in &cards {
            card.validate(&Limits::DEFAULT)?;
        }
        let mut tx = self.begin_write().await?;
        let mut outcomes = Vec::new();
        let mut changes = Vec::new();
        for (card, warnings) in cards {
            let name_key = keys::name_key(&card);
            let mut existing = None;
            if !name_key.is_empty() {
                let rows = sqlx::query(
                    "SELECT id, card_json FROM received_cards
                     WHERE name_key = ? AND live = 0 ORDER BY added_at, id",
                )
                .bind(&name_key)
                .fetch_all(&mut *tx)
                .await?;
                for row in rows {
                    let id: String = row.try_get("id")?;
                    let old = card_from_row(&row, &id)?;
                    if same_person(&old, &card) {
                        existing = Some((id, old));
                        break;
                    }
                }
            }
            let t = ms(now());
            let (id, status) = match existing {
                Some((id, old)) if old == card => (id, AddStatus::Unchanged),
                Some((id, _)) => {
                    sqlx::query(
                        "UPDATE received_cards SET card_json = ?, updated_at = ?,
                         last_seen_at = ? WHERE id = ?",
                    )
                    .bind(to_json(&id, &card)?)
                    .bind(t)
                    .bind(t)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    (id, AddStatus::Updated)
                }
                None => {
                    let id = new_id()?;
                    sqlx::query(
                        "INSERT INTO received_cards
                         (id, card_json, source, live, status, added_at, updated_at, last_seen_at)
                         VALUES (?, ?, ?, 0, 'active', ?, ?, ?)",
                    )
                    .bind(&id)
                    .bind(to_json(&id, &card)?)
                    .bind(source.as_str())
                    .bind(t)
                    .bind(t)
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
                    (id, AddStatus::Added)
                }
            };
            if status != AddStatus::Unchanged {
                changes.push(IndexChange::Upsert(Box::new(
                    refresh_keys(&mut tx, &id).await?,
                )));
            }
            outcomes.push(AddOutcome {
                id,
                name: card.display_name(),
                status,
                warnings,
            });
        }
        self.commit_with(tx, changes).await?;
        Ok(outcomes)
    }

    /// One received card with its notes and tags.
    pub(crate) async fn get_received(&self, id: &str) -> Result<ReceivedCard> {
        let mut conn = self.store.pool.acquire().await?;
        load_received(&mut conn, id).await
    }

    /// Opens a received card: returns it (with `changed` as it was) and records that the user
    /// has now seen it, which clears the "changed" badge.
    pub(crate) async fn open_received(&self, id: &str) -> Result<ReceivedCard> {
        let mut tx = self.begin_write().await?;
        let rc = load_received(&mut tx, id).await?;
        sqlx::query("UPDATE received_cards SET last_seen_at = ? WHERE id = ?")
            .bind(ms(now()).max(ms(rc.updated_at)))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = refresh_keys(&mut tx, id).await?;
        self.commit_with(tx, vec![IndexChange::Upsert(Box::new(entry))])
            .await?;
        Ok(rc)
    }

    /// Every received card, full, in the given order.
    pub(crate) async fn list_received(&self, sort: Sort) -> Result<Vec<ReceivedCard>> {
        let order = match sort {
            Sort::Name => "r.sort_key, r.id",
            Sort::Updated => "r.updated_at DESC, r.sort_key, r.id",
            Sort::Company => "r.company_sort_key = '', r.company_sort_key, r.sort_key, r.id",
        };
        let mut tx = self.store.pool.begin().await?;
        let rows = sqlx::query(&format!(
            "SELECT r.*, n.notes, s.synced_at FROM received_cards r
             LEFT JOIN received_notes n ON n.card_id = r.id
             LEFT JOIN received_sync s ON s.card_id = r.id ORDER BY {order}"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut tags = all_tags(&mut tx).await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let t = tags.remove(&id).unwrap_or_default();
                received_from_row(row, t)
            })
            .collect()
    }

    /// Every received card as the list shows it, in the given order (from the index).
    pub(crate) async fn summaries(&self, sort: Sort) -> Result<Vec<CardSummary>> {
        self.store.with_index(|idx| idx.list(sort)).await
    }

    /// One window of the list or of a search's hits, from the index (see
    /// [`crate::search::SearchIndex::window`]).
    pub(crate) async fn window(
        &self,
        query: &str,
        sort: Sort,
        offset: usize,
        limit: usize,
    ) -> Result<crate::model::CardWindow> {
        self.store
            .with_index(|idx| idx.window(query, sort, offset, limit))
            .await
    }

    /// Instant search (see [`crate::search`]): best first, at most `limit`.
    pub(crate) async fn search(
        &self,
        query: &str,
        limit: Option<usize>,
    ) -> Result<Vec<CardSummary>> {
        self.store.with_index(|idx| idx.search(query, limit)).await
    }

    /// Deletes a received card with its notes and tags.
    pub(crate) async fn delete_received(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("DELETE FROM received_cards WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(not_found(id));
        }
        self.commit_with(tx, vec![IndexChange::Remove(id.to_string())])
            .await
    }
}

impl Store {
    /// Deletes every received card with its notes, tags, sync state and change history, in
    /// one transaction (wipe-after-N). Returns how many cards were deleted.
    pub(crate) async fn delete_all_received(&self) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM received_cards")
            .fetch_all(&mut *tx)
            .await?;
        let res = sqlx::query("DELETE FROM received_cards")
            .execute(&mut *tx)
            .await?;
        self.commit_with(tx, ids.into_iter().map(IndexChange::Remove).collect())
            .await?;
        Ok(res.rows_affected())
    }
}

pub(super) async fn ensure_received(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM received_cards WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    exists.map(|_| ()).ok_or_else(|| not_found(id))
}

pub(super) fn summary_from_row(row: &SqliteRow, tags: Vec<String>) -> Result<CardSummary> {
    let id: String = row.try_get("id")?;
    let updated: i64 = row.try_get("updated_at")?;
    let seen: Option<i64> = row.try_get("last_seen_at")?;
    Ok(CardSummary {
        name: row.try_get("display_name")?,
        company: row.try_get("company")?,
        title: row.try_get("title")?,
        source: row
            .try_get::<String, _>("source")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        live: row.try_get::<i64, _>("live")? != 0,
        status: row
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        changed: changed(updated, seen),
        added_at: from_ms(row.try_get("added_at")?),
        updated_at: from_ms(updated),
        tags,
        id,
    })
}

fn received_from_row(row: &SqliteRow, tags: Vec<String>) -> Result<ReceivedCard> {
    let id: String = row.try_get("id")?;
    let card = card_from_row(row, &id)?;
    let updated: i64 = row.try_get("updated_at")?;
    let seen: Option<i64> = row.try_get("last_seen_at")?;
    Ok(ReceivedCard {
        name: card.display_name(),
        source: row
            .try_get::<String, _>("source")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        live: row.try_get::<i64, _>("live")? != 0,
        status: row
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| CoreError::corrupt(&id, e))?,
        remote_id: row.try_get("remote_id")?,
        remote_version: row.try_get("remote_version")?,
        added_at: from_ms(row.try_get("added_at")?),
        updated_at: from_ms(updated),
        last_seen_at: seen.map(from_ms),
        synced_at: row.try_get::<Option<i64>, _>("synced_at")?.map(from_ms),
        changed: changed(updated, seen),
        notes: row
            .try_get::<Option<String>, _>("notes")?
            .unwrap_or_default(),
        tags,
        card,
        display: Default::default(),
        id,
    })
}

pub(super) async fn load_received(conn: &mut SqliteConnection, id: &str) -> Result<ReceivedCard> {
    let row = sqlx::query(
        "SELECT r.*, n.notes, s.synced_at FROM received_cards r
         LEFT JOIN received_notes n ON n.card_id = r.id
         LEFT JOIN received_sync s ON s.card_id = r.id WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| not_found(id))?;
    let tags = tags_of(conn, id).await?;
    received_from_row(&row, tags)
}

/// Recomputes and stores the derived columns of one received card; returns its index entry.
pub(crate) async fn refresh_keys(conn: &mut SqliteConnection, id: &str) -> Result<Entry> {
    let rc = load_received(conn, id).await?;
    let key = keys::search_key(&rc.card, &rc.tags, &rc.notes);
    let name = rc.card.display_name();
    let sort_key = keys::sort_key(&name, true);
    let company_sort_key = if rc.card.company.trim().is_empty() {
        String::new()
    } else {
        keys::sort_key(&rc.card.company, false)
    };
    let key_json = serde_json::to_string(&key).map_err(|e| CoreError::corrupt(id, e))?;
    sqlx::query(
        "UPDATE received_cards SET name_key = ?, display_name = ?, company = ?, title = ?,
         sort_key = ?, company_sort_key = ?, search_key = ?, search_key_version = ?
         WHERE id = ?",
    )
    .bind(keys::name_key(&rc.card))
    .bind(&name)
    .bind(&rc.card.company)
    .bind(&rc.card.title)
    .bind(&sort_key)
    .bind(&company_sort_key)
    .bind(&key_json)
    .bind(SEARCH_KEY_VERSION)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(Entry {
        summary: CardSummary {
            id: rc.id,
            name,
            company: rc.card.company.clone(),
            title: rc.card.title.clone(),
            source: rc.source,
            live: rc.live,
            status: rc.status,
            changed: rc.changed,
            added_at: rc.added_at,
            updated_at: rc.updated_at,
            tags: rc.tags,
        },
        key,
        sort_key,
        company_sort_key,
    })
}

/// Stores a live card just received from a record (status active); returns its local id.
pub(crate) async fn insert_live(
    conn: &mut SqliteConnection,
    card: &Card,
    source: Source,
    remote_id: &str,
    version: i64,
    at: i64,
) -> Result<String> {
    let id = new_id()?;
    sqlx::query(
        "INSERT INTO received_cards
         (id, card_json, source, live, remote_id, remote_version, status, added_at, updated_at, last_seen_at)
         VALUES (?, ?, ?, 1, ?, ?, 'active', ?, ?, ?)",
    )
    .bind(&id)
    .bind(to_json(&id, card)?)
    .bind(source.as_str())
    .bind(remote_id)
    .bind(version)
    .bind(at)
    .bind(at)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Replaces a live card's owner fields with a newer record's (active again); `updated_at`
/// moves to `at` only when `fields_changed`.
pub(crate) async fn update_from_record(
    conn: &mut SqliteConnection,
    id: &str,
    card: &Card,
    version: i64,
    fields_changed: bool,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE received_cards SET card_json = ?, remote_version = ?, status = 'active', live = 1,
         updated_at = CASE WHEN ? THEN ? ELSE updated_at END WHERE id = ?",
    )
    .bind(to_json(id, card)?)
    .bind(version)
    .bind(fields_changed)
    .bind(at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets a received card's status (revoked, deleted).
pub(crate) async fn set_status(
    conn: &mut SqliteConnection,
    id: &str,
    status: Status,
) -> Result<()> {
    sqlx::query("UPDATE received_cards SET status = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
