//! "Send mine back" (issue 16, docs/PROTOCOL.md §6): every published own card carries an
//! X25519 inbox key inside its encrypted record; whoever holds the card can seal their own share
//! link (and a note) to it ([`Core::reply`]); the owner's `sync` takes the sealed messages from
//! the server, opens them, adds the senders' cards through the same "add from link" path as a
//! pasted link, and lists them in [`Core::inbox`] (accept / ignore / block).
//!
//! - The inbox private key lives in the keystore beside the card's signing key
//!   ([`inbox_name`]) and goes into the key backup.
//! - Registration: after a publish whose inbox key id differs from the one the server accepted
//!   last (`own_inbox`), the owner signs `(id, epoch, key_id)`; epoch = max(last + 1, now).
//! - Take: acks what the previous take delivered and this database already stored
//!   (`inbox_acks`), so a crash between take and store loses nothing.
//! - A message is accepted once per sender `msg` value (`inbox_messages.msg`).

use std::time::{SystemTime, UNIX_EPOCH};

use livecard_format::crypto::{self, CardKeys};
use livecard_format::inbox::{self as ib, InboxSecret, Reply};
use livecard_format::wire::{CardId, InboxSend};
use livecard_format::Card;
use serde::Serialize;
use sqlx::Row;

use crate::api::Api;
use crate::error::{CoreError, Result};
use crate::model::{AddStatus, Source};
use crate::store::{self, Unlocked};
use crate::sync::SyncReport;
use crate::Core;

/// The keystore name of a card's inbox private key.
pub fn inbox_name(card_id: &str) -> String {
    format!("card/{card_id}/inbox")
}

/// Takes per own card and sync (each acks the previous one; at most 100 messages each).
const MAX_TAKES: usize = 20;

/// What [`Core::reply`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReplySent {
    /// The received card (local id) whose owner gets my card.
    pub to: String,
    /// Its server card id.
    pub card_id: String,
    /// Unix seconds after which the server drops the message if its owner has not synced.
    pub expires: u64,
}

/// One reply that arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxEntry {
    /// The sender's random message id (what accept / ignore / block take).
    pub msg: String,
    /// The sender's card: local id (None while it could not be fetched yet or after ignore).
    pub card_id: Option<String>,
    /// The sender's server card id.
    pub sender: String,
    /// The sender's name as their card says (empty until fetched).
    pub name: String,
    pub note: String,
    /// Unix seconds: sent (sender's clock) and received here.
    pub sent: i64,
    pub received: i64,
    /// `new`, `accepted`, `ignored`, `blocked` or `pending` (card not fetched yet).
    #[cfg_attr(
        feature = "ts",
        ts(type = "'new' | 'accepted' | 'ignored' | 'blocked' | 'pending'")
    )]
    pub state: String,
    /// Which own card (server id) it was sent to.
    pub to: String,
    /// Why the card could not be added yet (pending only).
    pub error: Option<String>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn inbox_refusal(e: CoreError) -> CoreError {
    match e {
        CoreError::Server { code, message } => {
            let text = match code.as_str() {
                "not_found" => "the owner of this card has no inbox on the server (not published with inbox support, or deleted) / 对方的名片没有收件箱".to_string(),
                "inbox_key_rotated" => "the owner changed the card's inbox key; sync and try again / 对方已更换收件箱密钥，请同步后重试".to_string(),
                "duplicate_message" => "this message was delivered before / 此消息已发送过".to_string(),
                "inbox_full" => "the owner's inbox is full (too many messages waiting); try again later / 对方收件箱已满，请稍后再试".to_string(),
                "message_too_large" => "the message is too large / 消息太大".to_string(),
                "rate_limited" => "too many requests; try again later / 请求过多，请稍后再试".to_string(),
                _ => message,
            };
            CoreError::Server {
                code,
                message: text,
            }
        }
        other => other,
    }
}

impl Core {
    /// The inbox key of the published card `remote_id`; with `create`, a new one is generated
    /// (and stored) when the keystore has none.
    pub(crate) fn inbox_secret(
        &self,
        remote_id: &str,
        create: bool,
    ) -> Result<Option<InboxSecret>> {
        match self.secrets.get(&inbox_name(remote_id))? {
            Some(b) => {
                let bytes: [u8; 32] = b.as_slice().try_into().map_err(|_| {
                    CoreError::Keystore(format!("the inbox key of card {remote_id} is damaged"))
                })?;
                Ok(Some(InboxSecret::from_bytes(bytes)))
            }
            None if create => {
                let s = InboxSecret::generate();
                self.secrets
                    .set(&inbox_name(remote_id), s.to_bytes().as_slice())?;
                Ok(Some(s))
            }
            None => Ok(None),
        }
    }

    /// `card` as it is sealed for publishing: with this card's inbox public key (created on
    /// first publish).
    pub(crate) fn with_inbox(&self, remote_id: &str, card: &Card) -> Result<Card> {
        let mut c = card.clone();
        c.inbox = self.inbox_secret(remote_id, true)?.map(|s| s.public());
        Ok(c)
    }

    /// Registers the inbox key of a published card when the server does not have it yet.
    pub(crate) async fn register_inbox(
        &self,
        db: Unlocked<'_>,
        api: &Api,
        keys: &CardKeys,
    ) -> Result<()> {
        let rid = keys.id().to_string();
        let Some(secret) = self.inbox_secret(&rid, false)? else {
            return Ok(());
        };
        let key_id = secret.key_id();
        let row = sqlx::query("SELECT epoch, key_id FROM own_inbox WHERE remote_id = ?")
            .bind(&rid)
            .fetch_optional(db.pool())
            .await?;
        let (epoch, registered): (i64, Option<String>) = match row {
            Some(r) => (r.try_get("epoch")?, r.try_get("key_id")?),
            None => (0, None),
        };
        if registered.as_deref() == Some(key_id.to_string().as_str()) {
            return Ok(());
        }
        // Unix seconds keep epochs rising across the owner's devices; +1 within one second.
        let mut next = (epoch.max(0) as u64 + 1).max(now_secs());
        for _ in 0..3 {
            let reg = crypto::sign_inbox_register(keys, next, &key_id);
            match api.inbox_register(&reg).await {
                Ok(_) => {
                    sqlx::query(
                        "INSERT INTO own_inbox (remote_id, epoch, key_id) VALUES (?, ?, ?)
                         ON CONFLICT (remote_id) DO UPDATE SET epoch = excluded.epoch,
                         key_id = excluded.key_id",
                    )
                    .bind(&rid)
                    .bind(next as i64)
                    .bind(key_id.to_string())
                    .execute(db.pool())
                    .await?;
                    return Ok(());
                }
                // Another device registered a later epoch: go above it.
                Err(CoreError::Server { code, .. }) if code == "stale_version" => {
                    next = next.max(now_secs()) + 3600;
                }
                Err(e) => return Err(e),
            }
        }
        Err(CoreError::Server {
            code: "stale_version".into(),
            message: "the server kept refusing the inbox registration's epoch".into(),
        })
    }

    /// A new inbox key for the own card `own_id` (or the default): the next published version
    /// carries it and the server is told, so everyone who could write to the old key loses
    /// access (pending messages to it are dropped). The card's link does not change.
    pub async fn rotate_inbox_key(&self, own_id: Option<&str>) -> Result<crate::Published> {
        let db = self.unlocked().await?;
        let own = self.own_card(own_id).await?;
        let sync = self.own_sync(db, &own.id).await?;
        let remote_id = sync.remote_id.clone().ok_or_else(|| {
            CoreError::InvalidInput(
                "the card is not published: it has no inbox yet / 名片尚未发布".into(),
            )
        })?;
        self.load_keys(&remote_id)?;
        let s = InboxSecret::generate();
        self.secrets
            .set(&inbox_name(&remote_id), s.to_bytes().as_slice())?;
        sqlx::query(
            "UPDATE own_cards SET version = MAX(version, published_version + 1) WHERE id = ?",
        )
        .bind(&own.id)
        .execute(db.pool())
        .await?;
        self.publish(Some(&own.id)).await
    }

    /// "Send mine back": seals the share link of my default published card (and `note`) to the
    /// inbox key of the received card `id` (local or server id) and posts it to that card's
    /// server.
    pub async fn reply(&self, id: &str, note: Option<&str>) -> Result<ReplySent> {
        let db = self.unlocked().await?;
        let row = sqlx::query(
            "SELECT r.id, r.remote_id, r.card_json, r.status, s.server_url
             FROM received_cards r LEFT JOIN received_sync s ON s.card_id = r.id
             WHERE r.id = ? OR r.remote_id = ?",
        )
        .bind(id)
        .bind(id.to_ascii_uppercase())
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound {
            what: "received card",
            id: id.to_string(),
        })?;
        let local: String = row.try_get("id")?;
        let (Some(remote), Some(server)) = (
            row.try_get::<Option<String>, _>("remote_id")?,
            row.try_get::<Option<String>, _>("server_url")?,
        ) else {
            return Err(CoreError::InvalidInput(
                "this card was not received from a livecard link (a static card): there is nobody to send to / 这张名片不是 livecard 链接，无法回传".into(),
            ));
        };
        let status: String = row.try_get("status")?;
        if status != "active" {
            return Err(CoreError::InvalidInput(format!(
                "this card is {status}: its owner can no longer be reached / 名片已失效"
            )));
        }
        let json: String = row.try_get("card_json")?;
        let card: Card = serde_json::from_str(&json).map_err(|e| CoreError::corrupt(&local, e))?;
        let Some(key) = card.inbox else {
            return Err(CoreError::InvalidInput(
                "this card has no inbox (its owner's app does not take cards back yet) / 对方的名片没有收件箱".into(),
            ));
        };
        let cid = CardId::parse(&remote).map_err(|e| CoreError::corrupt(&local, e))?;
        let mine = self.own_share(None).await.map_err(|e| match e {
            CoreError::InvalidInput(_) | CoreError::NoOwnCard => CoreError::InvalidInput(
                "publish your own card first (`livecard me publish`): a reply sends its link / 请先发布自己的名片".into(),
            ),
            other => other,
        })?;
        let reply = Reply::new(&mine.link, note.unwrap_or(""), now_secs())
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let sealed = ib::seal_reply(&cid, &key, &reply)
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let api = self.api(&server)?;
        let ok = api
            .inbox_send(
                &cid,
                &InboxSend {
                    key_id: key.key_id(),
                    sealed,
                },
            )
            .await
            .map_err(inbox_refusal)?;
        Ok(ReplySent {
            to: local,
            card_id: remote,
            expires: ok.expires,
        })
    }

    /// Part of [`Core::sync`]: for every published own card, registers its inbox key when
    /// needed, takes the messages waiting on the server, stores them (adding the senders'
    /// cards) and acks them with the next take. Problems go into `report.errors`.
    pub(crate) async fn sync_inboxes(
        &self,
        db: Unlocked<'_>,
        report: &mut SyncReport,
    ) -> Result<()> {
        let rows = sqlx::query(
            "SELECT id, remote_id, server_url FROM own_cards WHERE remote_id IS NOT NULL ORDER BY id",
        )
        .fetch_all(db.pool())
        .await?;
        for r in rows {
            let rid: String = r.try_get("remote_id")?;
            let Some(server) = self
                .server
                .clone()
                .or(r.try_get::<Option<String>, _>("server_url")?)
            else {
                continue;
            };
            let res = async {
                let api = self.api(&server)?;
                let (keys, _) = self.load_keys(&rid)?;
                if self.inbox_secret(&rid, false)?.is_none() {
                    return Ok(());
                }
                self.register_inbox(db, &api, &keys).await?;
                self.take_inbox(db, &api, &keys, report).await
            }
            .await;
            if let Err(e) = res {
                report.errors.push(format!("inbox of {rid}: {e}"));
                if matches!(e, CoreError::Offline(_)) {
                    break;
                }
            }
        }
        self.retry_pending(db, report).await
    }

    async fn take_inbox(
        &self,
        db: Unlocked<'_>,
        api: &Api,
        keys: &CardKeys,
        report: &mut SyncReport,
    ) -> Result<()> {
        let rid = keys.id().to_string();
        let Some(secret) = self.inbox_secret(&rid, false)? else {
            return Ok(());
        };
        for _ in 0..MAX_TAKES {
            let ack: Vec<String> = sqlx::query_scalar(
                "SELECT msg_id FROM inbox_acks WHERE to_remote_id = ? ORDER BY msg_id LIMIT 100",
            )
            .bind(&rid)
            .fetch_all(db.pool())
            .await?;
            let take = crypto::sign_inbox_take(keys, now_secs(), ack.clone());
            let resp = api.inbox_take(&take).await?;
            if !ack.is_empty() {
                let mut tx = db.begin_write().await?;
                for m in &ack {
                    sqlx::query("DELETE FROM inbox_acks WHERE to_remote_id = ? AND msg_id = ?")
                        .bind(&rid)
                        .bind(m)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            if resp.messages.is_empty() {
                let left: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM inbox_acks WHERE to_remote_id = ?")
                        .bind(&rid)
                        .fetch_one(db.pool())
                        .await?;
                if left == 0 {
                    return Ok(());
                }
                continue;
            }
            for m in &resp.messages {
                self.store_message(db, keys, &secret, m, report).await?;
            }
        }
        Ok(())
    }

    /// Opens one delivered message and stores it (once per `msg`); adds the sender's card.
    /// Always records the server's message id for the next ack: a message that does not open
    /// (old key, garbage) is dropped by acking it.
    async fn store_message(
        &self,
        db: Unlocked<'_>,
        keys: &CardKeys,
        secret: &InboxSecret,
        m: &livecard_format::wire::InboxMessage,
        report: &mut SyncReport,
    ) -> Result<()> {
        let rid = keys.id().to_string();
        let opened = ib::open_reply(&keys.id(), secret, &m.sealed);
        let mut fresh = None;
        match opened {
            Err(e) => report
                .errors
                .push(format!("inbox of {rid}: a message was dropped: {e}")),
            Ok(reply) => {
                let seen: Option<String> =
                    sqlx::query_scalar("SELECT msg FROM inbox_messages WHERE msg = ?")
                        .bind(&reply.msg)
                        .fetch_optional(db.pool())
                        .await?;
                if seen.is_none() {
                    fresh = Some(reply);
                }
            }
        }
        let Some(reply) = fresh else {
            sqlx::query("INSERT OR IGNORE INTO inbox_acks (to_remote_id, msg_id) VALUES (?, ?)")
                .bind(&rid)
                .bind(&m.msg_id)
                .execute(db.pool())
                .await?;
            return Ok(());
        };
        let link = reply
            .share_link()
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let sender = link.id.to_string();
        let blocked: Option<String> = sqlx::query_scalar(
            "SELECT sender_remote_id FROM inbox_blocked WHERE sender_remote_id = ?",
        )
        .bind(&sender)
        .fetch_optional(db.pool())
        .await?;
        let own_card =
            sqlx::query_scalar::<_, String>("SELECT id FROM own_cards WHERE remote_id = ?")
                .bind(&sender)
                .fetch_optional(db.pool())
                .await?;
        let (state, card_id, added, error, keep_link) = if blocked.is_some() {
            ("blocked", None, false, None, false)
        } else if own_card.is_some() {
            (
                "ignored",
                None,
                false,
                Some("a reply with my own card".to_string()),
                false,
            )
        } else {
            match self.add_link_from(&reply.link, Source::Link).await {
                Ok(out) => {
                    report.inbox_cards += 1;
                    (
                        "new",
                        Some(out.id),
                        out.status == AddStatus::Added,
                        None,
                        false,
                    )
                }
                Err(e) => {
                    report.errors.push(format!(
                        "inbox: the card of a reply could not be added yet: {e}"
                    ));
                    ("pending", None, false, Some(e.to_string()), true)
                }
            }
        };
        let mut tx = db.begin_write().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO inbox_messages
             (msg, to_remote_id, sender_remote_id, card_id, link, note, sent, received, added, state, error)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&reply.msg)
        .bind(&rid)
        .bind(&sender)
        .bind(&card_id)
        .bind(keep_link.then_some(reply.link.as_str()))
        .bind(&reply.note)
        .bind(reply.sent.min(i64::MAX as u64) as i64)
        .bind(m.received.min(i64::MAX as u64) as i64)
        .bind(i64::from(added))
        .bind(state)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT OR IGNORE INTO inbox_acks (to_remote_id, msg_id) VALUES (?, ?)")
            .bind(&rid)
            .bind(&m.msg_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        report.inbox_received += 1;
        Ok(())
    }

    /// Messages whose sender's card could not be fetched when they arrived: try again.
    async fn retry_pending(&self, db: Unlocked<'_>, report: &mut SyncReport) -> Result<()> {
        let rows = sqlx::query("SELECT msg, link FROM inbox_messages WHERE state = 'pending'")
            .fetch_all(db.pool())
            .await?;
        for r in rows {
            let msg: String = r.try_get("msg")?;
            let Some(link) = r.try_get::<Option<String>, _>("link")? else {
                continue;
            };
            match self.add_link_from(&link, Source::Link).await {
                Ok(out) => {
                    report.inbox_cards += 1;
                    sqlx::query(
                        "UPDATE inbox_messages SET state = 'new', card_id = ?, added = ?, link = NULL,
                         error = NULL WHERE msg = ?",
                    )
                    .bind(&out.id)
                    .bind(i64::from(out.status == AddStatus::Added))
                    .bind(&msg)
                    .execute(db.pool())
                    .await?;
                }
                Err(e @ CoreError::Offline(_)) => {
                    report.errors.push(format!("inbox: {e}"));
                    break;
                }
                Err(e) => {
                    sqlx::query("UPDATE inbox_messages SET error = ? WHERE msg = ?")
                        .bind(e.to_string())
                        .bind(&msg)
                        .execute(db.pool())
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Every reply that arrived, newest first.
    pub async fn inbox(&self) -> Result<Vec<InboxEntry>> {
        let db = self.unlocked().await?;
        let rows = sqlx::query(
            "SELECT m.*, r.card_json FROM inbox_messages m
             LEFT JOIN received_cards r ON r.id = m.card_id
             ORDER BY m.received DESC, m.msg",
        )
        .fetch_all(db.pool())
        .await?;
        rows.iter().map(entry).collect()
    }

    async fn inbox_entry(&self, db: Unlocked<'_>, msg: &str) -> Result<InboxEntry> {
        let row = sqlx::query(
            "SELECT m.*, r.card_json FROM inbox_messages m
             LEFT JOIN received_cards r ON r.id = m.card_id WHERE m.msg = ?",
        )
        .bind(msg)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound {
            what: "inbox message",
            id: msg.to_string(),
        })?;
        entry(&row)
    }

    /// Keeps the card a reply brought (marks it accepted).
    pub async fn inbox_accept(&self, msg: &str) -> Result<InboxEntry> {
        let db = self.unlocked().await?;
        let e = self.inbox_entry(db, msg).await?;
        if e.state == "blocked" || e.state == "ignored" {
            return Err(CoreError::InvalidInput(format!(
                "this reply was {}: add the card from its link instead / 已{}",
                e.state,
                if e.state == "blocked" {
                    "屏蔽"
                } else {
                    "忽略"
                }
            )));
        }
        sqlx::query("UPDATE inbox_messages SET state = 'accepted' WHERE msg = ? AND state = 'new'")
            .bind(msg)
            .execute(db.pool())
            .await?;
        self.inbox_entry(db, msg).await
    }

    /// Ignores a reply: the card it added (if it was new here) is removed again.
    pub async fn inbox_ignore(&self, msg: &str) -> Result<InboxEntry> {
        self.drop_reply(msg, false).await
    }

    /// Blocks the sender of a reply: its card is removed (if the reply added it) and later
    /// replies from that card are dropped.
    pub async fn inbox_block(&self, msg: &str) -> Result<InboxEntry> {
        self.drop_reply(msg, true).await
    }

    async fn drop_reply(&self, msg: &str, block: bool) -> Result<InboxEntry> {
        let db = self.unlocked().await?;
        let row = sqlx::query(
            "SELECT card_id, added, sender_remote_id FROM inbox_messages WHERE msg = ?",
        )
        .bind(msg)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound {
            what: "inbox message",
            id: msg.to_string(),
        })?;
        let card_id: Option<String> = row.try_get("card_id")?;
        let added = row.try_get::<i64, _>("added")? != 0;
        let sender: String = row.try_get("sender_remote_id")?;
        if let (Some(id), true) = (&card_id, added) {
            match self.delete(id).await {
                Ok(()) | Err(CoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        if block {
            sqlx::query("INSERT OR IGNORE INTO inbox_blocked (sender_remote_id, at) VALUES (?, ?)")
                .bind(&sender)
                .bind(store::ms(store::now()))
                .execute(db.pool())
                .await?;
        }
        sqlx::query(
            "UPDATE inbox_messages SET state = ?, card_id = CASE WHEN added = 1 THEN NULL ELSE card_id END,
             link = NULL WHERE msg = ?",
        )
        .bind(if block { "blocked" } else { "ignored" })
        .bind(msg)
        .execute(db.pool())
        .await?;
        self.inbox_entry(db, msg).await
    }
}

fn entry(r: &sqlx::sqlite::SqliteRow) -> Result<InboxEntry> {
    let json: Option<String> = r.try_get("card_json")?;
    let name = json
        .and_then(|j| serde_json::from_str::<Card>(&j).ok())
        .map(|c| c.display_name().to_string())
        .unwrap_or_default();
    Ok(InboxEntry {
        msg: r.try_get("msg")?,
        card_id: r.try_get("card_id")?,
        sender: r.try_get("sender_remote_id")?,
        name,
        note: r.try_get("note")?,
        sent: r.try_get("sent")?,
        received: r.try_get("received")?,
        state: r.try_get("state")?,
        to: r.try_get("to_remote_id")?,
        error: r.try_get("error")?,
    })
}
