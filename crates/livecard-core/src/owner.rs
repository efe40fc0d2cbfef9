//! The owner's side: publishing own cards, the outbox of writes made offline, the merge after
//! a 409 (another device of the owner wrote first), reset link and delete.
//!
//! Versions: an own card's published version is `max(local version, last published + 1)`;
//! after a successful PUT the local version equals it. Each device keeps the card as it last
//! published it (`published_json`), the base of a three-way, field-wise merge: on
//! `stale_version` the client fetches the server's record, keeps every field it changed since
//! its last publish, takes the server's value for every other field, and publishes the result
//! at the server's version + 1. Neither side's edit is lost (when both changed the same field,
//! this device's value wins: it is the later write).

use livecard_format::crypto::{self, CardKeys, ShareLink, ShareSecret};
use livecard_format::wire::{CardId, SealedRecord};
use livecard_format::Card;
use serde::Serialize;
use sqlx::Row;

use crate::api::{Api, Fetched, WriteError};
use crate::error::{CoreError, Refusal, Result};
use crate::keystore::{secret_name, seed_name};
use crate::model::OwnCard;
use crate::store;
use crate::store::Unlocked;
use crate::sync::SyncReport;
use crate::Core;

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    /// The own card (local id).
    pub own_id: String,
    /// The server's card id.
    pub card_id: String,
    /// The share link `https://HOST/c/ID#SECRET` (holds the secret: show it to people, not logs).
    pub link: String,
    pub version: u64,
    /// True when a 409 was resolved by merging with another device's version.
    pub merged: bool,
}

/// Sync columns of an own card.
#[derive(Debug, Clone)]
pub(crate) struct OwnSync {
    pub remote_id: Option<String>,
    pub server_url: Option<String>,
    pub public_url: Option<String>,
    pub published_version: i64,
    pub published_json: Option<String>,
}

/// What the owner needs to hand a card over: its link, keys, secret and the card as published.
#[derive(Debug, Clone)]
pub struct OwnShare {
    pub link: ShareLink,
    pub keys: CardKeys,
    pub secret: ShareSecret,
    /// The card at `version`, as the server holds it.
    pub card: Card,
    pub version: u64,
}

impl OwnShare {
    /// The full record sealed at the published version (fresh nonce), e.g. for an offline copy.
    pub fn seal(&self) -> Result<SealedRecord> {
        crypto::seal(&self.card, &self.keys, &self.secret, self.version)
            .map_err(|e| CoreError::InvalidInput(e.to_string()))
    }
}

/// Three-way, field-wise merge: fields `local` changed since `base` win, the rest come from
/// `server`.
pub fn merge_cards(base: &Card, local: &Card, server: &Card) -> Result<Card> {
    let obj = |c: &Card| -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_slice(&crypto::card_plaintext(c)) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        }
    };
    let (b, l, s) = (obj(base), obj(local), obj(server));
    let mut keys: Vec<&String> = b.keys().chain(l.keys()).chain(s.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = serde_json::Map::new();
    for k in keys {
        let pick = if l.get(k) != b.get(k) {
            l.get(k)
        } else {
            s.get(k)
        };
        if let Some(v) = pick {
            out.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(serde_json::Value::Object(out))
        .map_err(|e| CoreError::InvalidInput(format!("merge produced an invalid card: {e}")))
}

fn card_json(c: &Card) -> Result<String> {
    serde_json::to_string(c).map_err(|e| CoreError::corrupt("card", e))
}

impl Core {
    pub(crate) async fn own_sync(&self, db: Unlocked<'_>, own_id: &str) -> Result<OwnSync> {
        let row = sqlx::query(
            "SELECT remote_id, server_url, public_url, published_version, published_json
             FROM own_cards WHERE id = ?",
        )
        .bind(own_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound {
            what: "own card",
            id: own_id.to_string(),
        })?;
        Ok(OwnSync {
            remote_id: row.try_get("remote_id")?,
            server_url: row.try_get("server_url")?,
            public_url: row.try_get("public_url")?,
            published_version: row.try_get("published_version")?,
            published_json: row.try_get("published_json")?,
        })
    }

    fn server_for(&self, sync: &OwnSync) -> Result<String> {
        self.server
            .clone()
            .or_else(|| sync.server_url.clone())
            .ok_or(CoreError::NoServer)
    }

    /// The keys of a published card from the keystore.
    pub(crate) fn load_keys(&self, remote_id: &str) -> Result<(CardKeys, ShareSecret)> {
        let missing = || {
            CoreError::Keystore(format!(
                "the keys of card {remote_id} are not in this device's keystore ({}): \
                 restore them from your key backup (app: Settings → Backup; \
                 CLI: `livecard keys import FILE`) / 本机没有这张名片的密钥：请恢复密钥备份",
                self.secrets.describe()
            ))
        };
        let seed = self
            .secrets
            .get(&seed_name(remote_id))?
            .ok_or_else(missing)?;
        let secret = self
            .secrets
            .get(&secret_name(remote_id))?
            .ok_or_else(missing)?;
        let seed: [u8; 32] = seed.as_slice().try_into().map_err(|_| missing())?;
        let secret: [u8; 16] = secret.as_slice().try_into().map_err(|_| missing())?;
        let keys = CardKeys::from_seed(&seed);
        if keys.id().as_str() != remote_id {
            return Err(CoreError::Keystore(format!(
                "the key stored for card {remote_id} belongs to another card"
            )));
        }
        Ok((keys, ShareSecret::from_bytes(secret)))
    }

    /// Queues a write of an own card for the next sync. When the card's latest pending entry
    /// is of the same kind, that entry is raised to `version` instead of adding another: the
    /// replay of a 'publish' sends the card's current fields, so one pending 'publish' per card
    /// covers every edit made offline (and the offline `publish` the app runs after saving an
    /// edit). A 'publish' queued after a pending 'delete' is a new entry, so order is kept.
    pub(crate) async fn enqueue(
        &self,
        db: Unlocked<'_>,
        own_id: &str,
        kind: &str,
        version: i64,
    ) -> Result<()> {
        let mut tx = db.begin_write().await?;
        let last =
            sqlx::query("SELECT seq, kind FROM outbox WHERE own_id = ? ORDER BY seq DESC LIMIT 1")
                .bind(own_id)
                .fetch_optional(&mut *tx)
                .await?;
        let same: Option<i64> = match last {
            Some(r) if r.try_get::<String, _>("kind")? == kind => Some(r.try_get("seq")?),
            _ => None,
        };
        match same {
            Some(seq) => {
                sqlx::query("UPDATE outbox SET version = MAX(version, ?) WHERE seq = ?")
                    .bind(version)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO outbox (own_id, kind, version, created_at) VALUES (?, ?, ?, ?)",
                )
                .bind(own_id)
                .bind(kind)
                .bind(version)
                .bind(store::ms(store::now()))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// After an edit of an own card: a published card gets its pending outbox 'publish' (one
    /// per card, see [`Core::enqueue`]; sent by the next `publish` or `sync`).
    pub(crate) async fn after_own_edit(
        &self,
        db: Unlocked<'_>,
        before: Option<i64>,
        own: &OwnCard,
    ) -> Result<()> {
        if before == Some(own.version) {
            return Ok(());
        }
        let sync = self.own_sync(db, &own.id).await?;
        if sync.remote_id.is_some() && own.version > sync.published_version {
            self.enqueue(db, &own.id, "publish", own.version).await?;
        }
        Ok(())
    }

    /// Own-card writes waiting in the outbox: at most one 'publish' per card (however many
    /// edits it waits with), plus pending deletions.
    pub async fn outbox_len(&self) -> Result<usize> {
        let db = self.unlocked().await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(db.pool())
            .await?;
        Ok(n as usize)
    }

    /// Publishes the own card `own_id` (or the default): on first publish generates its key
    /// and share secret (into the keystore), then uploads the current version. Returns the
    /// share link. Offline: error `offline`; the write waits in the outbox for `sync`.
    pub async fn publish(&self, own_id: Option<&str>) -> Result<Published> {
        let db = self.unlocked().await?;
        let own = self.own_card(own_id).await?;
        let sync = self.own_sync(db, &own.id).await?;
        let server = self.server_for(&sync)?;
        let api = self.api(&server)?;
        let remote_id = match &sync.remote_id {
            Some(r) => r.clone(),
            None => {
                let keys = CardKeys::generate();
                let secret = ShareSecret::generate();
                let rid = keys.id().to_string();
                // Keystore first: a card id in the database always has its keys.
                self.secrets.set(&seed_name(&rid), keys.seed().as_slice())?;
                self.secrets.set(&secret_name(&rid), secret.as_bytes())?;
                sqlx::query("UPDATE own_cards SET remote_id = ?, server_url = ? WHERE id = ?")
                    .bind(&rid)
                    .bind(&server)
                    .bind(&own.id)
                    .execute(db.pool())
                    .await?;
                rid
            }
        };
        sqlx::query("UPDATE own_cards SET server_url = ? WHERE id = ?")
            .bind(&server)
            .bind(&own.id)
            .execute(db.pool())
            .await?;
        match self.push(db, &api, &own.id).await {
            Ok(p) => Ok(p),
            Err(CoreError::Offline(m)) => {
                self.enqueue(db, &own.id, "publish", own.version).await?;
                Err(CoreError::Offline(format!(
                    "{m}; card {remote_id} waits in the outbox until `sync` / 已加入待发送队列"
                )))
            }
            Err(e) => Err(e),
        }
    }

    /// Uploads the current fields of a published own card, merging after a 409.
    async fn push(&self, db: Unlocked<'_>, api: &Api, own_id: &str) -> Result<Published> {
        let sync = self.own_sync(db, own_id).await?;
        let remote_id = sync.remote_id.clone().ok_or(CoreError::NotPublished)?;
        let (keys, secret) = self.load_keys(&remote_id)?;
        let public_url = match &sync.public_url {
            Some(u) => u.clone(),
            None => {
                let info = api.info().await?;
                // A server started with `--listen …:0` and no --public-url may report port 0:
                // links then use the address we reach it at.
                let public = if info.public_url.trim().is_empty()
                    || info.public_url.trim_end_matches('/').ends_with(":0")
                {
                    api.base().to_string()
                } else {
                    info.public_url
                };
                sqlx::query("UPDATE own_cards SET public_url = ? WHERE id = ?")
                    .bind(&public)
                    .bind(own_id)
                    .execute(db.pool())
                    .await?;
                public
            }
        };
        let mut merged = false;
        for _ in 0..8 {
            let own = db.get_own(own_id).await?;
            let sync = self.own_sync(db, own_id).await?;
            let v = (own.version.max(sync.published_version + 1)).max(1) as u64;
            // The sealed card carries this card's inbox key (src/inbox.rs; created on first
            // publish), so whoever holds it can send theirs back.
            let sealed_card = self.with_inbox(&remote_id, &own.card)?;
            let rec = crypto::seal(&sealed_card, &keys, &secret, v)
                .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
            match api.put(&rec).await {
                Ok(_) => {
                    let json = card_json(&sealed_card)?;
                    let mut tx = db.pool().begin().await?;
                    sqlx::query(
                        "UPDATE own_cards SET version = ?, published_version = ?, published_json = ?
                         WHERE id = ?",
                    )
                    .bind(v as i64)
                    .bind(v as i64)
                    .bind(&json)
                    .bind(own_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "DELETE FROM outbox WHERE own_id = ? AND kind = 'publish' AND version <= ?",
                    )
                    .bind(own_id)
                    .bind(v as i64)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    // Tell the server the inbox key when it changed. The card is published
                    // either way; a failure here is retried (and reported) by the next sync.
                    let _ = self.register_inbox(db, api, &keys).await;
                    return Ok(Published {
                        own_id: own_id.to_string(),
                        card_id: remote_id.clone(),
                        link: ShareLink::new(&public_url, keys.id(), secret.clone()).to_string(),
                        version: v,
                        merged,
                    });
                }
                Err(WriteError::Stale { current }) => {
                    merged = true;
                    self.merge_from_server(db, api, own_id, &keys.id(), &secret, current)
                        .await?;
                }
                Err(WriteError::Gone(_)) => {
                    return Err(CoreError::Refused(Refusal::PublishedDeleted {
                        id: remote_id.to_string(),
                    }))
                }
                Err(WriteError::Other(e)) => return Err(e),
            }
        }
        Err(CoreError::Server {
            code: "stale_version".into(),
            message: "the server kept answering stale_version; try again".into(),
        })
    }

    /// After a 409: fetch the server's version, merge field-wise into the own card, and make
    /// the server's version the new base.
    async fn merge_from_server(
        &self,
        db: Unlocked<'_>,
        api: &Api,
        own_id: &str,
        id: &CardId,
        secret: &ShareSecret,
        current: u64,
    ) -> Result<()> {
        let rec = match api.get(id, None).await? {
            Fetched::Record(r) => r,
            other => {
                return Err(CoreError::Server {
                    code: "stale_version".into(),
                    message: format!("after a 409 the server answered {other:?}"),
                })
            }
        };
        let server_card = crypto::open(&rec, secret).map_err(|e| {
            CoreError::Refused(Refusal::NewerUnreadable {
                detail: e.to_string(),
            })
        })?;
        let own = db.get_own(own_id).await?;
        let sync = self.own_sync(db, own_id).await?;
        let base: Card = match &sync.published_json {
            Some(j) => serde_json::from_str(j).map_err(|e| CoreError::corrupt(own_id, e))?,
            None => Card::default(),
        };
        let merged = merge_cards(&base, &own.card, &server_card)?;
        let server_v = rec.version.max(current) as i64;
        sqlx::query(
            "UPDATE own_cards SET card_json = ?, version = MAX(version, ?), published_version = ?,
             published_json = ?, updated_at = ? WHERE id = ?",
        )
        .bind(card_json(&merged)?)
        .bind(server_v)
        .bind(server_v)
        .bind(card_json(&server_card)?)
        .bind(store::ms(store::now()))
        .bind(own_id)
        .execute(db.pool())
        .await?;
        Ok(())
    }

    /// Sends the outbox in order (part of [`Core::sync`]). Stops at the first unreachable
    /// server; what is left stays queued.
    pub(crate) async fn replay_outbox(
        &self,
        db: Unlocked<'_>,
        report: &mut SyncReport,
    ) -> Result<()> {
        let rows = sqlx::query("SELECT seq, own_id, kind, version FROM outbox ORDER BY seq")
            .fetch_all(db.pool())
            .await?;
        for r in rows {
            let seq: i64 = r.try_get("seq")?;
            let own_id: String = r.try_get("own_id")?;
            let kind: String = r.try_get("kind")?;
            let version: i64 = r.try_get("version")?;
            let still: Option<i64> = sqlx::query_scalar("SELECT seq FROM outbox WHERE seq = ?")
                .bind(seq)
                .fetch_optional(db.pool())
                .await?;
            if still.is_none() {
                continue; // sent together with an earlier entry
            }
            let sync = match self.own_sync(db, &own_id).await {
                Ok(s) => s,
                Err(CoreError::NotFound { .. }) => {
                    self.drop_outbox(db, seq).await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if kind == "publish" && (sync.published_version >= version || sync.remote_id.is_none())
            {
                self.drop_outbox(db, seq).await?;
                continue;
            }
            let api = match self.server_for(&sync).and_then(|s| self.api(&s)) {
                Ok(a) => a,
                Err(e) => {
                    report.errors.push(format!("outbox: {e}"));
                    break;
                }
            };
            let res = if kind == "delete" {
                self.send_delete(db, &api, &own_id, version as u64)
                    .await
                    .map(|_| ())
            } else {
                self.push(db, &api, &own_id).await.map(|_| ())
            };
            match res {
                Ok(()) => {
                    self.drop_outbox(db, seq).await?;
                    report.outbox_replayed += 1;
                }
                Err(CoreError::Offline(m)) => {
                    report.errors.push(format!("outbox: {m}"));
                    break;
                }
                Err(e) => {
                    // A refusal that retrying will not fix: report it and drop the entry.
                    report.errors.push(format!("outbox: {e}"));
                    self.drop_outbox(db, seq).await?;
                }
            }
        }
        report.outbox_pending = self.outbox_len().await?;
        Ok(())
    }

    async fn drop_outbox(&self, db: Unlocked<'_>, seq: i64) -> Result<()> {
        sqlx::query("DELETE FROM outbox WHERE seq = ?")
            .bind(seq)
            .execute(db.pool())
            .await?;
        Ok(())
    }

    /// The share link of a published own card (from the keystore; works offline).
    pub async fn share_link(&self, own_id: Option<&str>) -> Result<ShareLink> {
        self.unlocked().await?;
        Ok(self.own_share(own_id).await?.link)
    }

    /// Link, keys, secret and the card as last published, for QR codes and NFC tags.
    pub async fn own_share(&self, own_id: Option<&str>) -> Result<OwnShare> {
        let db = self.unlocked().await?;
        let own = self.own_card(own_id).await?;
        let sync = self.own_sync(db, &own.id).await?;
        let (Some(remote_id), Some(public_url), Some(json)) =
            (sync.remote_id, sync.public_url, sync.published_json)
        else {
            return Err(CoreError::NotPublished);
        };
        let (keys, secret) = self.load_keys(&remote_id)?;
        let card: Card = serde_json::from_str(&json).map_err(|e| CoreError::corrupt(&own.id, e))?;
        Ok(OwnShare {
            link: ShareLink::new(&public_url, keys.id(), secret.clone()),
            keys,
            secret,
            card,
            version: sync.published_version.max(1) as u64,
        })
    }

    /// Reset link: a new share secret, and the next version published under it. Holders of the
    /// old link keep their last copy (marked revoked at their next sync). Returns the new link.
    pub async fn reset_link(&self, own_id: Option<&str>) -> Result<Published> {
        let db = self.unlocked().await?;
        let own = self.own_card(own_id).await?;
        let sync = self.own_sync(db, &own.id).await?;
        let remote_id = sync.remote_id.clone().ok_or(CoreError::NotPublished)?;
        self.load_keys(&remote_id)?;
        let secret = ShareSecret::generate();
        self.secrets
            .set(&secret_name(&remote_id), secret.as_bytes())?;
        // A new version under the new secret, even with no field changed.
        sqlx::query(
            "UPDATE own_cards SET version = MAX(version, published_version + 1) WHERE id = ?",
        )
        .bind(&own.id)
        .execute(db.pool())
        .await?;
        self.publish(Some(&own.id)).await
    }

    async fn send_delete(
        &self,
        db: Unlocked<'_>,
        api: &Api,
        own_id: &str,
        at_least: u64,
    ) -> Result<u64> {
        let sync = self.own_sync(db, own_id).await?;
        let remote_id = sync.remote_id.clone().ok_or(CoreError::NotPublished)?;
        let (keys, _) = self.load_keys(&remote_id)?;
        let mut v = at_least.max(sync.published_version as u64 + 1);
        for _ in 0..4 {
            let t = crypto::sign_delete(&keys, v)
                .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
            match api.delete(&t).await {
                Ok(()) | Err(WriteError::Gone(_)) => {
                    let mut tx = db.pool().begin().await?;
                    sqlx::query(
                        "UPDATE own_cards SET remote_id = NULL, public_url = NULL, published_version = 0,
                         published_json = NULL WHERE id = ?",
                    )
                    .bind(own_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM outbox WHERE own_id = ? AND kind = 'publish'")
                        .bind(own_id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    self.secrets.delete(&seed_name(&remote_id))?;
                    self.secrets.delete(&secret_name(&remote_id))?;
                    return Ok(v);
                }
                Err(WriteError::Stale { current }) => v = current + 1,
                Err(WriteError::Other(CoreError::Server { code, .. })) if code == "not_found" => {
                    return Err(CoreError::NotFound {
                        what: "published card on the server",
                        id: remote_id,
                    })
                }
                Err(WriteError::Other(e)) => return Err(e),
            }
        }
        Err(CoreError::Server {
            code: "stale_version".into(),
            message: "the server kept answering stale_version; try again".into(),
        })
    }

    /// Deletes the published copy of an own card (a signed tombstone: final on the server;
    /// recipients keep their last copy marked deleted). The local own card stays, unpublished;
    /// its keys are removed from the keystore. Returns the tombstone's version.
    pub async fn delete_own_published(&self, own_id: Option<&str>) -> Result<u64> {
        let db = self.unlocked().await?;
        let own = self.own_card(own_id).await?;
        let sync = self.own_sync(db, &own.id).await?;
        if sync.remote_id.is_none() {
            return Err(CoreError::NotPublished);
        }
        let api = self.api(&self.server_for(&sync)?)?;
        match self.send_delete(db, &api, &own.id, 0).await {
            Err(CoreError::Offline(m)) => {
                self.enqueue(db, &own.id, "delete", sync.published_version + 1)
                    .await?;
                Err(CoreError::Offline(format!(
                    "{m}; the deletion waits in the outbox until `sync`"
                )))
            }
            other => other,
        }
    }
}
