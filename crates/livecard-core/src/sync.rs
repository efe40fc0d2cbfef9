//! Received live cards: adding them from a share link or an offline copy, refreshing one with a
//! conditional GET, and syncing all of them in one `POST /v1/sync`.
//!
//! Every record is checked before it touches the store, in three steps: `gather` the facts
//! (the held copy, the pinned key, the record verified and read), decide
//! ([`crate::decide::decide`], a pure function: signature and id, the pinned key, no rollback, a
//! newer record that no longer decrypts = the owner reset the link → `revoked`; a signed
//! tombstone → `deleted`), then `apply` the decision (the only writer of received cards from
//! records). Refusals keep the card as it was and are reported (and remembered as a code in
//! `received_sync.last_refusal`, [`Core::last_refusal`]).
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
use livecard_format::wire::{CardId, SealedRecord, SyncItem, SyncRequest, Tombstone};
use livecard_format::Card;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::SqliteConnection;

use crate::api::{Api, Fetched};
use crate::decide::{self, Decision, Held, HeldCard, Refusal, Secret, Tomb};
use crate::error::{CoreError, Result};
use crate::model::{AddStatus, ReceivedCard, Source, Status};
use crate::store::received_sync::{self, HeldRow};
use crate::store::{self, card_changes, pinned_keys, received_cards, IndexChange, Unlocked};
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
    /// `reason` is the message as always; `refusal` its code (words: `Refusal::text`).
    Refused {
        reason: String,
        refusal: Refusal,
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
    Refused(Option<String>, Refusal),
}

/// A record to apply with what we know about it.
pub(crate) struct Arrival<'a> {
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

/// The facts about one record, gathered from the store and the record before deciding.
struct Gathered {
    /// The received card held for the record's id, with its sync row.
    row: Option<HeldRow>,
    held: Held,
    incoming: decide::Incoming,
    /// The secret that reads the record (the given one, else the stored one).
    secret: Option<ShareSecret>,
}

fn held_card(h: &HeldRow) -> HeldCard {
    HeldCard {
        version: h.version,
        partial: h.partial,
        status: h.status,
    }
}

/// Gathers what the decision needs: the held copy, the pinned key, the secret, and the record
/// verified and read (only when it verifies and a secret exists).
async fn gather(conn: &mut SqliteConnection, arr: &Arrival<'_>) -> Result<Gathered> {
    let rec = arr.record;
    let row = received_sync::held_for_remote(conn, rec.id.as_str()).await?;
    let pinned_key = pinned_keys::pinned_key(conn, rec.id.as_str()).await?;
    let stored: Option<ShareSecret> = row
        .as_ref()
        .and_then(|h| h.secret.as_deref())
        .and_then(|s| ShareSecret::from_base32(s).ok());
    let secret_fact = match (arr.secret, &stored) {
        (Some(given), stored) => Secret::Given {
            new: Some(given) != stored.as_ref(),
        },
        (None, Some(_)) => Secret::Stored,
        (None, None) => Secret::Missing,
    };
    let secret = arr.secret.cloned().or(stored);
    let verified = rec.verify();
    let opened = match (&secret, arr.card) {
        (None, _) => None,
        _ if verified.is_err() => None,
        (Some(_), Some(card)) => Some(Ok(card.clone())),
        (Some(s), None) => Some(crypto::open(rec, s)),
    };
    Ok(Gathered {
        held: Held {
            pinned_key,
            card: row.as_ref().map(held_card),
        },
        incoming: decide::Incoming {
            version: rec.version,
            public_key: rec.public_key,
            verified,
            secret: secret_fact,
            partial: arr.partial,
            server_known: arr.server_url.is_some(),
            opened,
        },
        row,
        secret,
    })
}

/// Applies one record inside `tx`: gathers the facts, decides ([`decide::decide`]), writes
/// (`apply`). Index changes are pushed to `changes`.
pub(crate) async fn apply_record(
    conn: &mut SqliteConnection,
    arr: Arrival<'_>,
    changes: &mut Vec<IndexChange>,
) -> Result<Applied> {
    let g = gather(conn, &arr).await?;
    let decision = decide::decide(&g.held, &g.incoming);
    apply(conn, decision, g, &arr, changes).await
}

/// The decision and the facts it was made from do not fit together (a bug, not bad input).
fn mismatch(rid: &str, d: &Decision) -> CoreError {
    CoreError::corrupt(
        rid,
        format!("sync decision {d:?} does not fit the card held"),
    )
}

/// Writes the decision about one record inside `tx`: the one place sync writes received
/// cards (batch sync, refresh, watch and adding from a link or an offline copy all come here).
async fn apply(
    conn: &mut SqliteConnection,
    decision: Decision,
    g: Gathered,
    arr: &Arrival<'_>,
    changes: &mut Vec<IndexChange>,
) -> Result<Applied> {
    let rec = arr.record;
    let rid = rec.id.as_str();
    if decide::pins_key(&g.held, &g.incoming.verified) {
        pinned_keys::pin_key(conn, rid, &rec.public_key).await?;
    }
    let t = store::ms(store::now());
    // Verified, so the version fits an i64 (1..=2^53-1).
    let v = rec.version as i64;
    let (card, secret) = match (g.incoming.opened, g.secret) {
        (Some(Ok(card)), Some(secret)) => (Some(card), Some(secret)),
        (_, secret) => (None, secret),
    };
    match (decision, g.row) {
        (Decision::Refuse(r), row) => {
            let id = row.map(|h| h.id);
            if let (Some(id), true) = (&id, r.remembered()) {
                received_sync::set_last_refusal(conn, id, &r).await?;
            }
            Ok(Applied::Refused(id, r))
        }
        (Decision::Unchanged, Some(h)) => Ok(Applied::Unchanged(h.id)),
        (Decision::Add, None) => {
            let (Some(card), Some(secret), Some(server_url)) = (card, secret, arr.server_url)
            else {
                return Err(mismatch(rid, &Decision::Add));
            };
            let id = received_cards::insert_live(conn, &card, arr.source, rid, v, t).await?;
            received_sync::insert(conn, &id, server_url, &secret.to_base32(), arr.partial, t)
                .await?;
            changes.push(IndexChange::Upsert(Box::new(
                store::refresh_keys(conn, &id).await?,
            )));
            Ok(Applied::Added(id))
        }
        (Decision::Revoke, Some(h)) => {
            received_cards::set_status(conn, &h.id, Status::Revoked).await?;
            changes.push(IndexChange::Upsert(Box::new(
                store::refresh_keys(conn, &h.id).await?,
            )));
            Ok(Applied::Revoked(h.id))
        }
        (d @ Decision::Update { record_changes }, Some(h)) => {
            let (Some(card), Some(secret)) = (card, secret) else {
                return Err(mismatch(rid, &d));
            };
            let old: Card =
                serde_json::from_str(&h.card_json).map_err(|e| CoreError::corrupt(&h.id, e))?;
            let diffs = diff_cards(&old, &card);
            if record_changes {
                card_changes::add_changes(conn, &h.id, v, &diffs, t).await?;
            }
            received_cards::update_from_record(conn, &h.id, &card, v, !diffs.is_empty(), t).await?;
            received_sync::upsert(
                conn,
                &h.id,
                arr.server_url,
                &secret.to_base32(),
                arr.partial,
                t,
            )
            .await?;
            changes.push(IndexChange::Upsert(Box::new(
                store::refresh_keys(conn, &h.id).await?,
            )));
            Ok(Applied::Updated(h.id, diffs.len()))
        }
        (d, _) => Err(mismatch(rid, &d)),
    }
}

/// Applies a tombstone inside `tx`: a valid one marks the card deleted. Returns the local id
/// when a card changed status, or the refusal.
pub(crate) async fn apply_tombstone(
    conn: &mut SqliteConnection,
    t: &Tombstone,
    changes: &mut Vec<IndexChange>,
) -> Result<std::result::Result<Option<String>, Refusal>> {
    let rid = t.id.as_str();
    let row = received_sync::held_for_remote(conn, rid).await?;
    let held = Held {
        pinned_key: pinned_keys::pinned_key(conn, rid).await?,
        card: row.as_ref().map(held_card),
    };
    let tomb = Tomb {
        public_key: t.public_key,
        verified: t.verify(),
    };
    let decision = decide::decide_gone(&held, &tomb);
    if decide::pins_key(&held, &tomb.verified) {
        pinned_keys::pin_key(conn, rid, &t.public_key).await?;
    }
    match (decision, row) {
        (Decision::Refuse(r), _) => Ok(Err(r)),
        (Decision::Gone, Some(h)) => {
            received_cards::set_status(conn, &h.id, Status::Deleted).await?;
            changes.push(IndexChange::Upsert(Box::new(
                store::refresh_keys(conn, &h.id).await?,
            )));
            Ok(Ok(Some(h.id)))
        }
        _ => Ok(Ok(None)),
    }
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

/// How a refused tombstone has always been reported.
fn tombstone_refusal_text(id: &CardId, r: &Refusal) -> String {
    match r {
        Refusal::KeyChanged => r.to_string(),
        _ => format!("refused tombstone for {id}: {r}"),
    }
}

fn add_outcome(applied: Applied, name: String) -> Result<crate::AddOutcome> {
    let (id, status) = match applied {
        Applied::Added(id) => (id, AddStatus::Added),
        Applied::Updated(id, _) => (id, AddStatus::Updated),
        Applied::Unchanged(id) => (id, AddStatus::Unchanged),
        Applied::Revoked(_) => return Err(CoreError::Refused(Refusal::LinkReset)),
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
        items: Vec<Arrival<'_>>,
    ) -> Result<Vec<Applied>> {
        self.apply_many_from(db, items, false).await
    }

    /// [`Core::apply_many`]; `from_server`: the records are the server's answer just received,
    /// so every card they confirm gets `synced_at` = now in the same transaction.
    pub(crate) async fn apply_many_from(
        &self,
        db: Unlocked<'_>,
        items: Vec<Arrival<'_>>,
        from_server: bool,
    ) -> Result<Vec<Applied>> {
        let mut tx = db.begin_write().await?;
        let mut changes = Vec::new();
        let mut out = Vec::with_capacity(items.len());
        let now = store::ms(store::now());
        for inc in items {
            let applied = apply_record(&mut tx, inc, &mut changes).await?;
            if let (true, Some(id)) = (from_server, confirmed(&applied)) {
                received_sync::mark_synced(&mut tx, id, now).await?;
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
            Ok(Fetched::Gone(_)) => return Err(CoreError::Refused(Refusal::Gone)),
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
                vec![Arrival {
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
                    .map(|(l, r)| Arrival {
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
        self.unlocked().await?.changes(id).await
    }

    /// Whether the received card is an offline copy waiting for its full record.
    pub async fn is_partial(&self, id: &str) -> Result<bool> {
        self.unlocked().await?.is_partial(id).await
    }

    /// When the server of the received card `id` last answered for it (a refresh that
    /// reached it, 304 included, or a batch sync answer covering it); `None` for static cards
    /// and live cards never synced since. Persisted: survives a restart.
    pub async fn synced_at(&self, id: &str) -> Result<Option<DateTime<Utc>>> {
        self.unlocked().await?.synced_at(id).await
    }

    /// Why the last record for the received card `id` was refused (a bad signature, a changed
    /// key, an older version, a card over the limits), as a code whose words
    /// [`Refusal::text`] renders in the user's language; `None` once a record is accepted.
    pub async fn last_refusal(&self, id: &str) -> Result<Option<Refusal>> {
        self.unlocked().await?.last_refusal(id).await
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
        let target = db.refresh_target(id).await?;
        let (Some(remote), Some(server), true, "active") = (
            target.remote_id,
            target.server_url,
            target.live,
            target.status.as_str(),
        ) else {
            return Ok(Refresh::NotLive);
        };
        let (partial, have) = (target.partial, target.version);
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
                received_sync::mark_synced(&mut tx, id, store::ms(store::now())).await?;
                tx.commit().await?;
                Ok(Refresh::Unchanged)
            }
            Fetched::NotFound => Ok(Refresh::Unknown),
            Fetched::Gone(t) => {
                let mut tx = db.begin_write().await?;
                let mut ch = Vec::new();
                let r = apply_tombstone(&mut tx, &t, &mut ch).await?;
                if r.is_ok() {
                    received_sync::mark_synced(&mut tx, id, store::ms(store::now())).await?;
                }
                db.commit_with(tx, ch).await?;
                Ok(match r {
                    Ok(_) => Refresh::Deleted,
                    Err(refusal) => Refresh::Refused {
                        reason: tombstone_refusal_text(&t.id, &refusal),
                        refusal,
                    },
                })
            }
            Fetched::Record(rec) => {
                let applied = self
                    .apply_many_from(
                        db,
                        vec![Arrival {
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
                    Some(Applied::Refused(_, refusal)) => Refresh::Refused {
                        reason: refusal.to_string(),
                        refusal,
                    },
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
                    Arrival {
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
                        report.errors.push(tombstone_refusal_text(&t.id, &why));
                        unconfirmed.insert(t.id.as_str());
                    }
                }
            }
            report.unknown += resp.unknown.len();
            let now = store::ms(store::now());
            let asked: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
            received_sync::mark_checked_remote(&mut tx, &asked, now).await?;
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
            received_sync::mark_synced_remote(&mut tx, &covered, now).await?;
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
