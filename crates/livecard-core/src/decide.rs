//! The sync decision, as a pure function: what to do with a record (or a tombstone) the server
//! or an offline copy brought, given what this device holds for the card.
//!
//! `sync.rs` gathers the facts first (the held copy's version, partial flag and status, the
//! key pinned for the id, whether the record verifies and decrypts, whether its card keeps the
//! limits), then asks [`decide`] (or [`decide_gone`] for a tombstone), then writes the
//! [`Decision`] in one step (`sync::apply`). No IO, no clock, no async here: the property tests
//! (`tests/decide.rs`) call these functions directly.
//!
//! The rules, in the order they are checked:
//! 1. A record that does not verify (signature, id, version range) is refused.
//! 2. A key other than the one first seen for the id (pinned) is refused; the first valid key
//!    seen is pinned ([`pins_key`]), whatever is decided next.
//! 3. Without a share secret (given or stored) nothing can be read: refused.
//! 4. A card not held: added when it decrypts, keeps the limits and its server is known.
//! 5. A held card: a lower version is refused (no rollback). An equal version changes nothing,
//!    unless it completes a partial (offline) copy or re-reads a revoked/deleted card under a
//!    new secret. A deleted card no longer updates. A newer record that no longer decrypts
//!    with our secret means the owner reset the link: an active card is marked revoked. A card
//!    that breaks the limits is refused. Otherwise the held copy is updated.

use livecard_format::wire::RecordError;
use livecard_format::{Card, Limits};
use serde::{Deserialize, Serialize};

use crate::i18n::{self, Lang};
use crate::model::Status;

/// What this device holds for one card id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The public key first seen for the id (kept after the card is deleted here), as stored.
    pub pinned_key: Option<Vec<u8>>,
    /// The received card with this id, if one is held.
    pub card: Option<HeldCard>,
}

/// The facts of a held received card that the decision reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldCard {
    /// The owner's version held (0 when none was stored).
    pub version: i64,
    /// An offline copy that may lack fields.
    pub partial: bool,
    pub status: Status,
}

/// Which share secret reads the incoming record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// None given and none stored (or the stored one does not parse).
    Missing,
    /// The one stored for the held card.
    Stored,
    /// One came with the record (a share link); `new`: it differs from the stored one (or none
    /// is stored).
    Given { new: bool },
}

/// The facts of an incoming record.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The owner's version of the record.
    pub version: u64,
    pub public_key: [u8; 32],
    /// `SealedRecord::verify`: signature, id = hash of the key, version range.
    pub verified: Result<(), RecordError>,
    pub secret: Secret,
    /// An offline copy that may lack fields.
    pub partial: bool,
    /// Whether the server the card syncs with is known (a link came with it).
    pub server_known: bool,
    /// The record read with the secret (or the card an offline copy already carried);
    /// `None` when there is no secret to read it with.
    pub opened: Option<Result<Card, RecordError>>,
}

/// The facts of an incoming tombstone (the owner deleted the card).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tomb {
    pub public_key: [u8; 32],
    /// `Tombstone::verify`.
    pub verified: Result<(), RecordError>,
}

/// What to do with an incoming record or tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Store a card not held yet.
    Add,
    /// Replace the held copy with the record. `record_changes`: the field differences are the
    /// owner's edits to keep in the change history (not when the held copy was a partial
    /// offline copy: the fields arriving with the full record are not changes).
    Update { record_changes: bool },
    /// Nothing to write.
    Unchanged,
    /// Mark the held card revoked: the owner reset the link.
    Revoke,
    /// Mark the held card deleted: a valid tombstone.
    Gone,
    /// Keep everything as it is and report why.
    Refuse(Refusal),
}

/// Why a record, a tombstone or an owner's write was refused. Serialised with its stable
/// `code` (snake_case) and the values its words need, e.g.
/// `{"code":"rollback","version":3,"held":5}`; stored like that in
/// `received_sync.last_refusal`. Its words are the catalogue's rows `refusal.CODE`
/// (livecard-i18n), rendered at display time ([`Refusal::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Refusal {
    /// The record's signature does not verify.
    BadSignature,
    /// The record's key does not match its id (or is not a valid key).
    KeyMismatch,
    /// The record is malformed otherwise (version out of range, too short, bad plaintext…).
    BadRecord { detail: String },
    /// The key differs from the one first seen for this id.
    KeyChanged,
    /// No share secret is known for the card.
    NoSecret,
    /// A new card whose record the link's secret does not decrypt.
    Unreadable,
    /// The card breaks the size limits.
    BreaksLimits { detail: String },
    /// A new card without a server to sync with.
    NoServer,
    /// A lower version than the one held.
    Rollback { version: i64, held: i64 },
    /// The held card was deleted by its owner; it no longer updates.
    Deleted,
    /// The held card's secret (or the link's) no longer reads the record: the link was reset.
    LinkReset,
    /// Adding from a link whose card its owner deleted.
    Gone,
    /// Publishing an own card that was deleted on the server.
    PublishedDeleted { id: String },
    /// After a 409, the server's newer version of an own card does not decrypt.
    NewerUnreadable { detail: String },
    /// A refusal stored as a sentence before codes existed (migration 0017), kept as it was.
    Other { text: String },
}

/// Every refusal code, in the order of the enum (the catalogue has a row `refusal.CODE` for
/// each; a test checks the two agree and that the codes never change).
pub const REFUSAL_CODES: &[&str] = &[
    "bad_signature",
    "key_mismatch",
    "bad_record",
    "key_changed",
    "no_secret",
    "unreadable",
    "breaks_limits",
    "no_server",
    "rollback",
    "deleted",
    "link_reset",
    "gone",
    "published_deleted",
    "newer_unreadable",
    "other",
];

impl Refusal {
    /// The refusal of a record or tombstone that does not verify or decrypt.
    pub fn from_record_error(e: &RecordError) -> Refusal {
        match e {
            RecordError::BadSignature => Refusal::BadSignature,
            RecordError::KeyMismatch { .. } | RecordError::BadPublicKey => Refusal::KeyMismatch,
            other => Refusal::BadRecord {
                detail: other.to_string(),
            },
        }
    }

    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::BadSignature => "bad_signature",
            Refusal::KeyMismatch => "key_mismatch",
            Refusal::BadRecord { .. } => "bad_record",
            Refusal::KeyChanged => "key_changed",
            Refusal::NoSecret => "no_secret",
            Refusal::Unreadable => "unreadable",
            Refusal::BreaksLimits { .. } => "breaks_limits",
            Refusal::NoServer => "no_server",
            Refusal::Rollback { .. } => "rollback",
            Refusal::Deleted => "deleted",
            Refusal::LinkReset => "link_reset",
            Refusal::Gone => "gone",
            Refusal::PublishedDeleted { .. } => "published_deleted",
            Refusal::NewerUnreadable { .. } => "newer_unreadable",
            Refusal::Other { .. } => "other",
        }
    }

    /// Whether a held card remembers this refusal (`received_sync.last_refusal`): the record
    /// itself is wrong (signature, key, version, content). A card that no longer updates
    /// (deleted, link reset) or a missing secret is not remembered.
    pub fn remembered(&self) -> bool {
        matches!(
            self,
            Refusal::BadSignature
                | Refusal::KeyMismatch
                | Refusal::BadRecord { .. }
                | Refusal::KeyChanged
                | Refusal::BreaksLimits { .. }
                | Refusal::Rollback { .. }
        )
    }

    /// The words for this refusal in `lang`: the catalogue row `refusal.CODE` with its values
    /// filled in.
    pub fn text(&self, lang: Lang) -> String {
        let key = format!("refusal.{}", self.code());
        match self {
            Refusal::BadRecord { detail }
            | Refusal::BreaksLimits { detail }
            | Refusal::NewerUnreadable { detail } => {
                i18n::format(&key, lang, &[("detail", detail)])
            }
            Refusal::Rollback { version, held } => {
                i18n::format(&key, lang, &[("version", version), ("held", held)])
            }
            Refusal::PublishedDeleted { id } => i18n::format(&key, lang, &[("id", id)]),
            Refusal::Other { text } => i18n::format(&key, lang, &[("text", text)]),
            _ => i18n::format(&key, lang, &[]),
        }
    }
}

/// The message the CLI and the JSON answers have always carried: "English / 中文" for most
/// refusals, English alone for the technical ones, the stored sentence for `other`.
impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::BadRecord { .. }
            | Refusal::NoSecret
            | Refusal::BreaksLimits { .. }
            | Refusal::NoServer => f.write_str(&self.text(Lang::En)),
            Refusal::NewerUnreadable { .. } => {
                write!(f, "{} (`livecard keys import`)", self.text(Lang::En))
            }
            Refusal::Other { text } => f.write_str(text),
            _ => write!(f, "{} / {}", self.text(Lang::En), self.text(Lang::Zh)),
        }
    }
}

/// Whether the incoming key is pinned as the first one seen for its id: it verified and no
/// key is pinned yet. Pinning happens whatever is decided next.
pub fn pins_key(held: &Held, verified: &Result<(), RecordError>) -> bool {
    verified.is_ok() && held.pinned_key.is_none()
}

/// The checks a record and a tombstone share: a valid signature and the pinned key.
fn check_key(
    held: &Held,
    verified: &Result<(), RecordError>,
    key: &[u8; 32],
) -> Result<(), Refusal> {
    if let Err(e) = verified {
        return Err(Refusal::from_record_error(e));
    }
    match &held.pinned_key {
        Some(p) if p.as_slice() != key.as_slice() => Err(Refusal::KeyChanged),
        _ => Ok(()),
    }
}

/// The card a record decrypts to, checked against the limits. `Err(None)`: it does not
/// decrypt with the secret (wrong or reset).
fn readable(opened: &Option<Result<Card, RecordError>>) -> Result<(), Option<Refusal>> {
    match opened {
        None => Err(Some(Refusal::NoSecret)),
        Some(Err(RecordError::DecryptFailed)) => Err(None),
        Some(Err(e)) => Err(Some(Refusal::from_record_error(e))),
        Some(Ok(card)) => card.validate(&Limits::DEFAULT).map_err(|e| {
            Some(Refusal::BreaksLimits {
                detail: e.to_string(),
            })
        }),
    }
}

/// What to do with an incoming record (the rules are in the module documentation).
pub fn decide(held: &Held, inc: &Incoming) -> Decision {
    if let Err(r) = check_key(held, &inc.verified, &inc.public_key) {
        return Decision::Refuse(r);
    }
    if inc.secret == Secret::Missing {
        return Decision::Refuse(Refusal::NoSecret);
    }
    let Some(h) = held.card else {
        return match readable(&inc.opened) {
            Err(None) => Decision::Refuse(Refusal::Unreadable),
            Err(Some(r)) => Decision::Refuse(r),
            Ok(()) if !inc.server_known => Decision::Refuse(Refusal::NoServer),
            Ok(()) => Decision::Add,
        };
    };
    // A verified record's version is in 1..=2^53-1, so it fits an i64; a larger one (never
    // verified) saturates and is refused above anyway.
    let v = i64::try_from(inc.version).unwrap_or(i64::MAX);
    if v < h.version {
        return Decision::Refuse(Refusal::Rollback {
            version: v,
            held: h.version,
        });
    }
    let new_secret = matches!(inc.secret, Secret::Given { new: true });
    let upgrades_partial = h.partial && !inc.partial;
    if v == h.version && !upgrades_partial && !(new_secret && h.status != Status::Active) {
        return Decision::Unchanged;
    }
    if h.status == Status::Deleted {
        return Decision::Refuse(Refusal::Deleted);
    }
    match readable(&inc.opened) {
        Err(None) if h.status == Status::Active && v > h.version => Decision::Revoke,
        Err(None) => Decision::Refuse(Refusal::LinkReset),
        Err(Some(r)) => Decision::Refuse(r),
        Ok(()) => Decision::Update {
            record_changes: !h.partial,
        },
    }
}

/// What to do with a tombstone: a valid one from the pinned key marks the held card deleted
/// ([`Decision::Gone`]); nothing held, or already deleted: [`Decision::Unchanged`].
pub fn decide_gone(held: &Held, tomb: &Tomb) -> Decision {
    if let Err(r) = check_key(held, &tomb.verified, &tomb.public_key) {
        return Decision::Refuse(r);
    }
    match held.card {
        Some(h) if h.status != Status::Deleted => Decision::Gone,
        _ => Decision::Unchanged,
    }
}
