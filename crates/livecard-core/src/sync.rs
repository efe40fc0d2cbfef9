//! Received live cards: adding them from a share link or an offline copy, refreshing one with a
//! conditional GET, and syncing all of them in one `POST /v1/sync`.
//!
//! Every record is checked before it touches the store: the signature and id
//! ([`SealedRecord::verify`]), the public key against the first one seen for this id (pinned),
//! and the version against the one held (no rollback). A correctly signed newer record that no
//! longer decrypts with our share secret means the owner reset the link: the card is kept and
//! marked `revoked`. A signed tombstone marks it `deleted`. Refusals keep the card as it was and
//! are reported (and stored in `received_sync.last_error`).
//!
//! A sync answer is applied in ONE transaction after it has been received whole, so a server
//! or network failure mid-sync leaves the store exactly as before.
//!
//! `received_sync.synced_at` is when a card's server last answered for it — a conditional GET
//! (304 included) or a batch answer received whole that covers the card — written in the same
//! transaction that applies the answer ([`Core::synced_at`]). Offline and failed requests, a
//! refused record and "unknown" (404) leave it as it was: the copy held was not confirmed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use livecard_format::crypto::{self, ShareLink, ShareSecret};
use livecard_format::wire::{CardId, RecordError, SealedRecord, SyncItem, SyncRequest, Tombstone};
use livecard_format::{Card, Limits};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Row, SqliteConnection};

use crate::api::{Api, Fetched};
use crate::error::{CoreError, Result};
use crate::model::{AddStatus, ReceivedCard, Source, Status};
use crate::store::Unlocked;
use crate::store::{self, IndexChange};
use crate::Core;

/// One field that changed in an update of a received card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Change {
    /// The owner's version that brought the change.
    pub version: i64,
    pub field: String,
    /// The value before ("" when it was empty), lists joined with ", ".
    pub old: String,
    pub new: String,
    pub at: DateTime<Utc>,
}

/// A received card as `open` shows it: the card, its change history (newest first) and what
/// the refresh did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenedCard {
    #[serde(flatten)]
    pub card: ReceivedCard,
    pub changes: Vec<Change>,
    /// Whether the card is an offline copy still waiting for its full record.
    pub partial: bool,
    pub refresh: Refresh,
}

/// What refreshing one card did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Refresh {
    /// Static card, or a card that no longer updates (revoked/deleted): no request made.
    NotLive,
    /// The server has nothing newer.
    Unchanged,
    Updated {
        changes: usize,
    },
    Revoked,
    Deleted,
    /// The server does not know the card (an offline copy of an unpublished card).
    Unknown,
    /// The record was refused (bad signature, changed key, older version): card kept.
    Refused {
        reason: String,
    },
    /// The server could not be reached: the cached copy is what you see.
    Offline {
        message: String,
    },
    /// The server answered with an error (rate limit, outage…): the cached copy is shown.
    Failed {
        message: String,
    },
}

/// What `sync` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    /// Live cards asked about.
    pub checked: usize,
    pub updated: usize,
    pub gone: usize,
    pub revoked: usize,
    pub refused: usize,
    pub unknown: usize,
    /// Sync requests sent (one per server per 10,000 cards, plus one per truncated answer).
    pub requests: usize,
    /// Own-card writes of the outbox sent.
    pub outbox_replayed: usize,
    /// Own-card writes still waiting.
    pub outbox_pending: usize,
    /// Replies taken from the inboxes of my published cards (stored once each).
    pub inbox_received: usize,
    /// Cards added or refreshed from those replies.
    pub inbox_cards: usize,
    /// Problems that did not stop the sync ("server … not reachable", refusals).
    pub errors: Vec<String>,
}

/// What applying one record did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Applied {
    Added(String),
    Updated(String, usize),
    Unchanged(String),
    Revoked(String),
    Refused(Option<String>, String),
}

/// A record to apply with what we know about it.
pub(crate) struct Incoming<'a> {
    pub record: &'a SealedRecord,
    /// The secret to read it with; `None`: the one stored for the card.
    pub secret: Option<&'a ShareSecret>,
    /// Where the card syncs (the link's base URL); `None`: keep the stored one.
    pub server_url: Option<&'a str>,
    /// An offline copy that may lack fields.
    pub partial: bool,
    pub source: Source,
    /// The card already decrypted from this record (an offline copy whose plaintext is the
    /// compact binary form); `None`: decrypt the record with the secret.
    pub card: Option<&'a Card>,
}

/// The card's fields as a JSON object of non-empty members (the compact plaintext form).
fn field_map(card: &Card) -> BTreeMap<String, Value> {
    match serde_json::from_slice::<Value>(&crypto::card_plaintext(card)) {
        // The inbox key is not a user field: a new one is not a "change" to show.
        Ok(Value::Object(m)) => m.into_iter().filter(|(k, _)| k != "inbox").collect(),
        _ => BTreeMap::new(),
    }
}

fn render(v: Option<&Value>) -> String {
    fn one(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(a) => a.iter().map(one).collect::<Vec<_>>().join(", "),
            Value::Object(o) => {
                if let (Some(Value::String(m)), Some(Value::String(d))) =
                    (o.get("mime"), o.get("data"))
                {
                    return format!("{m} image ({} bytes base64)", d.len());
                }
                o.values()
                    .map(one)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    v.map(one).unwrap_or_default()
}

/// Field-wise differences old → new: (field, old text, new text).
pub fn diff_cards(old: &Card, new: &Card) -> Vec<(String, String, String)> {
    let (a, b) = (field_map(old), field_map(new));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| (k.clone(), render(a.get(k)), render(b.get(k))))
        .collect()
}

fn refusal_text(e: &RecordError) -> String {
    match e {
        RecordError::BadSignature => "refused: bad signature / 签名无效".into(),
        RecordError::KeyMismatch { .. } | RecordError::BadPublicKey => {
            "refused: the card's key does not match its id / 密钥不符".into()
        }
        other => format!("refused: {other}"),
    }
}

/// Checks the pinned key of `id` (pins it when first seen). Err = refusal text.
async fn check_pin(
    conn: &mut SqliteConnection,
    id: &CardId,
    key: &[u8; 32],
) -> Result<Option<String>> {
    let pinned: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT public_key FROM pinned_keys WHERE remote_id = ?")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    match pinned {
        Some(p) if p.as_slice() != key.as_slice() => Ok(Some(
            "refused: the card's public key changed since first seen / 公钥已变更".into(),
        )),
        Some(_) => Ok(None),
        None => {
            sqlx::query(
                "INSERT INTO pinned_keys (remote_id, public_key, first_seen) VALUES (?, ?, ?)",
            )
            .bind(id.as_str())
            .bind(key.as_slice())
            .bind(store::ms(store::now()))
            .execute(&mut *conn)
            .await?;
            Ok(None)
        }
    }
}

/// Records that the server of the received card `card_id` (local id) answered for it at `at`.
async fn mark_synced(conn: &mut SqliteConnection, card_id: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE received_sync SET synced_at = ? WHERE card_id = ?")
        .bind(at)
        .bind(card_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The local id of a card whose record the server's answer confirmed (not a refusal).
fn confirmed(a: &Applied) -> Option<&str> {
    match a {
        Applied::Added(id)
        | Applied::Updated(id, _)
        | Applied::Unchanged(id)
        | Applied::Revoked(id) => Some(id),
        Applied::Refused(..) => None,
    }
}

async fn set_last_error(
    conn: &mut SqliteConnection,
    card_id: &str,
    err: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE received_sync SET last_error = ? WHERE card_id = ?")
        .bind(err)
        .bind(card_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Applies one record inside `tx`. Index changes are pushed to `changes`.
pub(crate) async fn apply_record(
    conn: &mut SqliteConnection,
    inc: Incoming<'_>,
    changes: &mut Vec<IndexChange>,
) -> Result<Applied> {
    let rec = inc.record;
    let rid = rec.id.as_str();
    let existing = sqlx::query(
        "SELECT r.id, r.remote_version, r.status, r.card_json, s.secret, s.partial
         FROM received_cards r LEFT JOIN received_sync s ON s.card_id = r.id
         WHERE r.remote_id = ?",
    )
    .bind(rid)
    .fetch_optional(&mut *conn)
    .await?;
    let local_id: Option<String> = existing.as_ref().map(|r| r.try_get("id")).transpose()?;
    let refuse = |why: String| Applied::Refused(local_id.clone(), why);
    if let Err(e) = rec.verify() {
        let why = refusal_text(&e);
        if let Some(id) = &local_id {
            set_last_error(conn, id, Some(&why)).await?;
        }
        return Ok(refuse(why));
    }
    if let Some(why) = check_pin(conn, &rec.id, &rec.public_key).await? {
        if let Some(id) = &local_id {
            set_last_error(conn, id, Some(&why)).await?;
        }
        return Ok(refuse(why));
    }
    let stored_secret: Option<ShareSecret> = match &existing {
        Some(row) => row
            .try_get::<Option<String>, _>("secret")?
            .and_then(|s| ShareSecret::from_base32(&s).ok()),
        None => None,
    };
    let secret = match inc.secret.cloned().or(stored_secret.clone()) {
        Some(s) => s,
        None => return Ok(refuse("no share secret for this card".into())),
    };
    let t = store::ms(store::now());
    let Some(row) = existing else {
        // A new card.
        let opened = match inc.card {
            Some(c) => Ok(c.clone()),
            None => crypto::open(rec, &secret),
        };
        let card = match opened {
            Ok(c) => c,
            Err(RecordError::DecryptFailed) => {
                return Ok(refuse(
                    "cannot read the card: the link's secret is wrong or was reset by its owner / 链接已失效".into(),
                ))
            }
            Err(e) => return Ok(refuse(refusal_text(&e))),
        };
        if let Err(e) = card.validate(&Limits::DEFAULT) {
            return Ok(refuse(format!("refused: card breaks the limits: {e}")));
        }
        let Some(server_url) = inc.server_url else {
            return Ok(refuse("no server known for this card".into()));
        };
        let id = store::new_id()?;
        sqlx::query(
            "INSERT INTO received_cards
             (id, card_json, source, live, remote_id, remote_version, status, added_at, updated_at, last_seen_at)
             VALUES (?, ?, ?, 1, ?, ?, 'active', ?, ?, ?)",
        )
        .bind(&id)
        .bind(store::to_json(&id, &card)?)
        .bind(inc.source.as_str())
        .bind(rid)
        .bind(rec.version as i64)
        .bind(t)
        .bind(t)
        .bind(t)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO received_sync (card_id, server_url, secret, partial, last_checked_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(server_url)
        .bind(secret.to_base32())
        .bind(i64::from(inc.partial))
        .bind(t)
        .execute(&mut *conn)
        .await?;
        changes.push(IndexChange::Upsert(Box::new(
            store::refresh_keys(conn, &id).await?,
        )));
        return Ok(Applied::Added(id));
    };
    // A card we hold.
    let id: String = row.try_get("id")?;
    let held: i64 = row
        .try_get::<Option<i64>, _>("remote_version")?
        .unwrap_or(0);
    let held_partial = row.try_get::<Option<i64>, _>("partial")?.unwrap_or(0) != 0;
    let status: Status = row
        .try_get::<String, _>("status")?
        .parse()
        .map_err(|e| CoreError::corrupt(&id, e))?;
    let v = rec.version as i64;
    if v < held {
        let why = format!(
            "refused: version {v} is older than the version {held} held here (rollback) / 拒绝旧版本"
        );
        set_last_error(conn, &id, Some(&why)).await?;
        return Ok(Applied::Refused(Some(id), why));
    }
    let new_secret = inc
        .secret
        .is_some_and(|s| Some(s) != stored_secret.as_ref());
    let upgrades_partial = held_partial && !inc.partial;
    if v == held && !upgrades_partial && !(new_secret && status != Status::Active) {
        return Ok(Applied::Unchanged(id));
    }
    if status == Status::Deleted {
        return Ok(Applied::Refused(
            Some(id),
            "the owner deleted this card; it no longer updates / 名片已删除".into(),
        ));
    }
    let opened = match inc.card {
        Some(c) => Ok(c.clone()),
        None => crypto::open(rec, &secret),
    };
    let card = match opened {
        Ok(c) => c,
        Err(RecordError::DecryptFailed) => {
            if status == Status::Active && v > held {
                sqlx::query("UPDATE received_cards SET status = 'revoked' WHERE id = ?")
                    .bind(&id)
                    .execute(&mut *conn)
                    .await?;
                changes.push(IndexChange::Upsert(Box::new(
                    store::refresh_keys(conn, &id).await?,
                )));
                return Ok(Applied::Revoked(id));
            }
            return Ok(Applied::Refused(
                Some(id),
                "the link's secret no longer reads this card: the owner reset the link / 链接已失效"
                    .into(),
            ));
        }
        Err(e) => {
            let why = refusal_text(&e);
            set_last_error(conn, &id, Some(&why)).await?;
            return Ok(Applied::Refused(Some(id), why));
        }
    };
    if let Err(e) = card.validate(&Limits::DEFAULT) {
        let why = format!("refused: card breaks the limits: {e}");
        set_last_error(conn, &id, Some(&why)).await?;
        return Ok(Applied::Refused(Some(id), why));
    }
    let old_json: String = row.try_get("card_json")?;
    let old: Card = serde_json::from_str(&old_json).map_err(|e| CoreError::corrupt(&id, e))?;
    let diffs = diff_cards(&old, &card);
    // Fields arriving with the full record after an offline copy are not "changes".
    let recorded: &[(String, String, String)] = if held_partial { &[] } else { &diffs };
    for (field, o, n) in recorded {
        sqlx::query(
            "INSERT INTO card_changes (card_id, version, field, old_value, new_value, at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(v)
        .bind(field)
        .bind(o)
        .bind(n)
        .bind(t)
        .execute(&mut *conn)
        .await?;
    }
    let updated_at_sql = if diffs.is_empty() { "updated_at" } else { "?" };
    let q = format!(
        "UPDATE received_cards SET card_json = ?, remote_version = ?, status = 'active', live = 1,
         updated_at = {updated_at_sql} WHERE id = ?"
    );
    let mut query = sqlx::query(&q).bind(store::to_json(&id, &card)?).bind(v);
    if !diffs.is_empty() {
        query = query.bind(t);
    }
    query.bind(&id).execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO received_sync (card_id, server_url, secret, partial, last_checked_at, last_error)
         VALUES (?, ?, ?, ?, ?, NULL)
         ON CONFLICT (card_id) DO UPDATE SET server_url = COALESCE(?, server_url),
           secret = excluded.secret, partial = excluded.partial,
           last_checked_at = excluded.last_checked_at, last_error = NULL",
    )
    .bind(&id)
    .bind(inc.server_url.unwrap_or(""))
    .bind(secret.to_base32())
    .bind(i64::from(inc.partial))
    .bind(t)
    .bind(inc.server_url)
    .execute(&mut *conn)
    .await?;
    changes.push(IndexChange::Upsert(Box::new(
        store::refresh_keys(conn, &id).await?,
    )));
    Ok(Applied::Updated(id, diffs.len()))
}

/// Applies a tombstone inside `tx`: marks the card deleted. Returns the local id when a card
/// changed status.
pub(crate) async fn apply_tombstone(
    conn: &mut SqliteConnection,
    t: &Tombstone,
    changes: &mut Vec<IndexChange>,
) -> Result<std::result::Result<Option<String>, String>> {
    if let Err(e) = t.verify() {
        return Ok(Err(format!(
            "refused tombstone for {}: {}",
            t.id,
            refusal_text(&e)
        )));
    }
    if let Some(why) = check_pin(conn, &t.id, &t.public_key).await? {
        return Ok(Err(why));
    }
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM received_cards WHERE remote_id = ? AND status != 'deleted'",
    )
    .bind(t.id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = &id {
        sqlx::query("UPDATE received_cards SET status = 'deleted' WHERE id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        changes.push(IndexChange::Upsert(Box::new(
            store::refresh_keys(conn, id).await?,
        )));
    }
    Ok(Ok(id))
}

fn add_outcome(applied: Applied, name: String) -> Result<crate::AddOutcome> {
    let (id, status) = match applied {
        Applied::Added(id) => (id, AddStatus::Added),
        Applied::Updated(id, _) => (id, AddStatus::Updated),
        Applied::Unchanged(id) => (id, AddStatus::Unchanged),
        Applied::Revoked(_) => return Err(CoreError::Refused(
            "the link's secret no longer reads this card: the owner reset the link / 链接已失效"
                .into(),
        )),
        Applied::Refused(_, why) => return Err(CoreError::Refused(why)),
    };
    Ok(crate::AddOutcome {
        id,
        name,
        status,
        warnings: Vec::new(),
    })
}

impl Core {
    /// Applies records in one transaction (all checks as in sync).
    pub(crate) async fn apply_many(
        &self,
        db: Unlocked<'_>,
        items: Vec<Incoming<'_>>,
    ) -> Result<Vec<Applied>> {
        self.apply_many_from(db, items, false).await
    }

    /// [`Core::apply_many`]; `from_server`: the records are the server's answer just received,
    /// so every card they confirm gets `synced_at` = now in the same transaction.
    pub(crate) async fn apply_many_from(
        &self,
        db: Unlocked<'_>,
        items: Vec<Incoming<'_>>,
        from_server: bool,
    ) -> Result<Vec<Applied>> {
        let mut tx = db.begin_write().await?;
        let mut changes = Vec::new();
        let mut out = Vec::with_capacity(items.len());
        let now = store::ms(store::now());
        for inc in items {
            let applied = apply_record(&mut tx, inc, &mut changes).await?;
            if let (true, Some(id)) = (from_server, confirmed(&applied)) {
                mark_synced(&mut tx, id, now).await?;
            }
            out.push(applied);
        }
        db.commit_with(tx, changes).await?;
        Ok(out)
    }

    /// Adds (or updates) the card of a share link: fetches the record from the link's server,
    /// verifies and decrypts it, and stores it as a live card. Adding the same card twice
    /// keeps one card. Server unreachable: nothing is added (error `offline`).
    pub async fn add_link(&self, text: &str) -> Result<crate::AddOutcome> {
        self.unlocked().await?;
        self.add_link_from(text, Source::Link).await
    }

    /// [`Core::add_link`] with the source to record (a link read from a QR code, NFC tag…).
    pub async fn add_link_from(&self, text: &str, source: Source) -> Result<crate::AddOutcome> {
        self.unlocked().await?;
        let link = ShareLink::parse(text).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let api = self.api(&link.base_url)?;
        let rec = match api.get(&link.id, None).await {
            Ok(Fetched::Record(r)) => r,
            Ok(Fetched::NotFound) => {
                return Err(CoreError::NotFound {
                    what: "published card on the server",
                    id: link.id.to_string(),
                })
            }
            Ok(Fetched::Gone(_)) => {
                return Err(CoreError::Refused(
                    "the owner deleted this card / 名片已被删除".into(),
                ))
            }
            Ok(Fetched::NotModified) => {
                return Err(CoreError::Server {
                    code: "bad_answer".into(),
                    message: "304 to an unconditional request".into(),
                })
            }
            Err(CoreError::Offline(m)) => {
                return Err(CoreError::Offline(format!(
                    "{m}; nothing added / 无法连接服务器，未添加"
                )))
            }
            Err(e) => return Err(e),
        };
        self.add_record_from(&link, &rec, false, source, true).await
    }

    /// Adds a card from a record already in hand (an offline copy from NFC or an offline QR,
    /// `partial` when fields may have been dropped). Saved at once as a live card; the next
    /// sync fetches the full record.
    pub async fn add_record(
        &self,
        link: &ShareLink,
        record: &SealedRecord,
        partial: bool,
        source: Source,
    ) -> Result<crate::AddOutcome> {
        self.add_record_from(link, record, partial, source, false)
            .await
    }

    /// [`Core::add_record`]; `from_server`: the record is the server's answer just received.
    async fn add_record_from(
        &self,
        link: &ShareLink,
        record: &SealedRecord,
        partial: bool,
        source: Source,
        from_server: bool,
    ) -> Result<crate::AddOutcome> {
        let db = self.unlocked().await?;
        if record.id != link.id {
            return Err(CoreError::InvalidInput(format!(
                "the offline copy is of card {} but the link is of card {}",
                record.id, link.id
            )));
        }
        let applied = self
            .apply_many_from(
                db,
                vec![Incoming {
                    record,
                    secret: Some(&link.secret),
                    server_url: Some(&link.base_url),
                    partial,
                    source,
                    card: None,
                }],
                from_server,
            )
            .await?
            .pop()
            .ok_or_else(|| CoreError::InvalidInput("nothing to add".into()))?;
        self.outcome(db, applied).await
    }

    /// The add result of one applied record (refusals become errors).
    pub(crate) async fn outcome(
        &self,
        db: Unlocked<'_>,
        applied: Applied,
    ) -> Result<crate::AddOutcome> {
        let name = match &applied {
            Applied::Added(id) | Applied::Updated(id, _) | Applied::Unchanged(id) => {
                db.get_received(id).await?.name
            }
            _ => String::new(),
        };
        add_outcome(applied, name)
    }

    /// Adds many live cards in ONE transaction (bulk restore, tests seeding 10,000 cards).
    /// Returns one result per item, in order.
    pub async fn add_records(
        &self,
        items: &[(ShareLink, SealedRecord)],
        source: Source,
    ) -> Result<Vec<Result<crate::AddOutcome>>> {
        let db = self.unlocked().await?;
        let applied = self
            .apply_many(
                db,
                items
                    .iter()
                    .map(|(l, r)| Incoming {
                        record: r,
                        secret: Some(&l.secret),
                        server_url: Some(&l.base_url),
                        partial: false,
                        source,
                        card: None,
                    })
                    .collect(),
            )
            .await?;
        Ok(applied
            .into_iter()
            .map(|a| add_outcome(a, String::new()))
            .collect())
    }

    /// The change history of a received card, newest first.
    pub async fn changes(&self, id: &str) -> Result<Vec<Change>> {
        let db = self.unlocked().await?;
        let rows = sqlx::query(
            "SELECT version, field, old_value, new_value, at FROM card_changes
             WHERE card_id = ? ORDER BY seq DESC",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    version: r.try_get("version")?,
                    field: r.try_get("field")?,
                    old: r.try_get("old_value")?,
                    new: r.try_get("new_value")?,
                    at: store::from_ms(r.try_get("at")?),
                })
            })
            .collect()
    }

    /// Whether the received card is an offline copy waiting for its full record.
    pub async fn is_partial(&self, id: &str) -> Result<bool> {
        let db = self.unlocked().await?;
        let p: Option<i64> =
            sqlx::query_scalar("SELECT partial FROM received_sync WHERE card_id = ?")
                .bind(id)
                .fetch_optional(db.pool())
                .await?;
        Ok(p.unwrap_or(0) != 0)
    }

    /// When the server of the received card `id` last answered for it (a refresh that
    /// reached it, 304 included, or a batch sync answer covering it); `None` for static cards
    /// and live cards never synced since. Persisted: survives a restart.
    pub async fn synced_at(&self, id: &str) -> Result<Option<DateTime<Utc>>> {
        let db = self.unlocked().await?;
        let row = sqlx::query(
            "SELECT s.synced_at FROM received_cards r
             LEFT JOIN received_sync s ON s.card_id = r.id WHERE r.id = ?",
        )
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound {
            what: "received card",
            id: id.to_string(),
        })?;
        Ok(row
            .try_get::<Option<i64>, _>("synced_at")?
            .map(store::from_ms))
    }

    /// The cached copy of a received card, at once (marks it seen). Follow with
    /// [`Core::refresh`] to update it from the server.
    pub async fn open_cached(&self, id: &str) -> Result<ReceivedCard> {
        let db = self.unlocked().await?;
        Ok(db.open_received(id).await?.shown_in(self.region))
    }

    /// Refreshes one received card with a conditional GET (If-None-Match: its version; an
    /// offline copy asks for the full record). Offline is not an error: it is reported.
    pub async fn refresh(&self, id: &str) -> Result<Refresh> {
        let db = self.unlocked().await?;
        let row = sqlx::query(
            "SELECT r.remote_id, r.remote_version, r.status, r.live, s.server_url, s.partial
             FROM received_cards r LEFT JOIN received_sync s ON s.card_id = r.id WHERE r.id = ?",
        )
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound {
            what: "received card",
            id: id.to_string(),
        })?;
        let live = row.try_get::<i64, _>("live")? != 0;
        let status: String = row.try_get("status")?;
        let remote: Option<String> = row.try_get("remote_id")?;
        let server: Option<String> = row.try_get("server_url")?;
        let (Some(remote), Some(server), true, "active") = (remote, server, live, status.as_str())
        else {
            return Ok(Refresh::NotLive);
        };
        let partial = row.try_get::<Option<i64>, _>("partial")?.unwrap_or(0) != 0;
        let have = row
            .try_get::<Option<i64>, _>("remote_version")?
            .unwrap_or(0);
        let cid = CardId::parse(&remote).map_err(|e| CoreError::corrupt(id, e))?;
        let api = self.api(&server)?;
        let fetched = match api
            .get(&cid, if partial { None } else { Some(have as u64) })
            .await
        {
            Ok(f) => f,
            Err(CoreError::Offline(message)) => return Ok(Refresh::Offline { message }),
            Err(e) => return Err(e),
        };
        match fetched {
            Fetched::NotModified => {
                let mut tx = db.begin_write().await?;
                mark_synced(&mut tx, id, store::ms(store::now())).await?;
                tx.commit().await?;
                Ok(Refresh::Unchanged)
            }
            Fetched::NotFound => Ok(Refresh::Unknown),
            Fetched::Gone(t) => {
                let mut tx = db.begin_write().await?;
                let mut ch = Vec::new();
                let r = apply_tombstone(&mut tx, &t, &mut ch).await?;
                if r.is_ok() {
                    mark_synced(&mut tx, id, store::ms(store::now())).await?;
                }
                db.commit_with(tx, ch).await?;
                Ok(match r {
                    Ok(_) => Refresh::Deleted,
                    Err(reason) => Refresh::Refused { reason },
                })
            }
            Fetched::Record(rec) => {
                let applied = self
                    .apply_many_from(
                        db,
                        vec![Incoming {
                            record: &rec,
                            secret: None,
                            server_url: None,
                            partial: false,
                            source: Source::Link,
                            card: None,
                        }],
                        true,
                    )
                    .await?;
                Ok(match applied.into_iter().next() {
                    Some(Applied::Updated(_, n)) => Refresh::Updated { changes: n },
                    Some(Applied::Revoked(_)) => Refresh::Revoked,
                    Some(Applied::Refused(_, reason)) => Refresh::Refused { reason },
                    _ => Refresh::Unchanged,
                })
            }
        }
    }

    /// Opens a received card: refreshes it from the server when it answers (offline: the
    /// cached copy), marks it seen, and returns it with its change history.
    pub async fn open_with_changes(&self, id: &str) -> Result<OpenedCard> {
        let db = self.unlocked().await?;
        let refresh = self.refresh_or_cached(id).await?;
        let card = db.open_received(id).await?.shown_in(self.region);
        Ok(OpenedCard {
            changes: self.changes(id).await?,
            partial: self.is_partial(id).await?,
            card,
            refresh,
        })
    }

    /// [`Core::refresh`], with a server error reported instead of failing (the cached copy
    /// is still worth showing).
    pub async fn refresh_or_cached(&self, id: &str) -> Result<Refresh> {
        self.unlocked().await?;
        match self.refresh(id).await {
            Err(e @ CoreError::Server { .. }) => Ok(Refresh::Failed {
                message: e.to_string(),
            }),
            other => other,
        }
    }

    /// Syncs everything: replays the own-card outbox, then refreshes ALL live received cards
    /// with one `POST /v1/sync` per server (per 10,000 cards), applying each answer in one
    /// transaction.
    pub async fn sync(&self) -> Result<SyncReport> {
        let db = self.unlocked().await?;
        let mut report = SyncReport::default();
        self.replay_outbox(db, &mut report).await?;
        let by_server = self.live_cards_by_server(db).await?;
        for (server, items) in by_server {
            report.checked += items.len();
            let api = match self.api(&server) {
                Ok(a) => a,
                Err(e) => {
                    report.errors.push(e.to_string());
                    continue;
                }
            };
            for chunk in items.chunks(livecard_format::wire::DEFAULT_MAX_SYNC_IDS) {
                if let Err(e) = self.sync_chunk(db, &api, chunk.to_vec(), &mut report).await {
                    match e {
                        CoreError::Offline(m) => {
                            report.errors.push(m);
                            break;
                        }
                        e => report.errors.push(e.to_string()),
                    }
                }
            }
        }
        // Replies to my cards ("send mine back", src/inbox.rs).
        self.sync_inboxes(db, &mut report).await?;
        Ok(report)
    }

    async fn sync_chunk(
        &self,
        db: Unlocked<'_>,
        api: &Api,
        mut items: Vec<SyncItem>,
        report: &mut SyncReport,
    ) -> Result<()> {
        // Truncated answers: apply and ask again with the new versions (bounded).
        for _ in 0..64 {
            let resp = api
                .sync(&SyncRequest {
                    cards: items.clone(),
                })
                .await?;
            report.requests += 1;
            let mut tx = db.begin_write().await?;
            let mut ch = Vec::new();
            // Remote ids whose copy this answer does not confirm: refused records and
            // tombstones, ids the server does not know.
            let mut unconfirmed: BTreeSet<&str> = resp.unknown.iter().map(|i| i.as_str()).collect();
            for rec in &resp.changed {
                let a = apply_record(
                    &mut tx,
                    Incoming {
                        record: rec,
                        secret: None,
                        server_url: None,
                        partial: false,
                        source: Source::Link,
                        card: None,
                    },
                    &mut ch,
                )
                .await?;
                match a {
                    Applied::Updated(..) | Applied::Added(_) => report.updated += 1,
                    Applied::Revoked(_) => report.revoked += 1,
                    Applied::Refused(_, why) => {
                        report.refused += 1;
                        report.errors.push(format!("{}: {why}", rec.id));
                        unconfirmed.insert(rec.id.as_str());
                    }
                    Applied::Unchanged(_) => {}
                }
            }
            for t in &resp.gone {
                match apply_tombstone(&mut tx, t, &mut ch).await? {
                    Ok(Some(_)) => report.gone += 1,
                    Ok(None) => {}
                    Err(why) => {
                        report.refused += 1;
                        report.errors.push(why);
                        unconfirmed.insert(t.id.as_str());
                    }
                }
            }
            report.unknown += resp.unknown.len();
            let now = store::ms(store::now());
            sqlx::query(
                "UPDATE received_sync SET last_checked_at = ? WHERE card_id IN
                 (SELECT id FROM received_cards WHERE remote_id IN (SELECT value FROM json_each(?)))",
            )
            .bind(now)
            .bind(serde_json::to_string(&items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>()).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
            // A whole answer confirms every card asked about; a truncated one only the records
            // and tombstones it holds (the rest may be newer on the server).
            let covered: Vec<&str> = if resp.truncated {
                resp.changed
                    .iter()
                    .map(|r| r.id.as_str())
                    .chain(resp.gone.iter().map(|t| t.id.as_str()))
                    .collect()
            } else {
                items.iter().map(|i| i.id.as_str()).collect()
            };
            let covered: Vec<&str> = covered
                .into_iter()
                .filter(|id| !unconfirmed.contains(id))
                .collect();
            // (A list of strings always encodes; were it not to, no card is marked.)
            let covered = serde_json::to_string(&covered).unwrap_or_else(|_| "[]".into());
            sqlx::query(
                "UPDATE received_sync SET synced_at = ? WHERE card_id IN
                 (SELECT id FROM received_cards WHERE remote_id IN (SELECT value FROM json_each(?)))",
            )
            .bind(now)
            .bind(covered)
            .execute(&mut *tx)
            .await?;
            db.commit_with(tx, ch).await?;
            if !resp.truncated {
                return Ok(());
            }
            let got: BTreeMap<&str, u64> = resp
                .changed
                .iter()
                .map(|r| (r.id.as_str(), r.version))
                .collect();
            let gone: Vec<&str> = resp.gone.iter().map(|t| t.id.as_str()).collect();
            items = items
                .into_iter()
                .filter(|i| !gone.contains(&i.id.as_str()))
                .map(|mut i| {
                    if let Some(v) = got.get(i.id.as_str()) {
                        i.version = *v;
                    }
                    i
                })
                .collect();
        }
        Ok(())
    }
}
