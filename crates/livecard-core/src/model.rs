//! The records the core hands out. JSON shapes are part of the CLI contract
//! (see crates/livecard-cli/README.md).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use livecard_format::{Card, Field, Region};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// One of the user's own cards. JSON: the card's fields flat (as in `Card`), plus `id`,
/// `version`, `default`, `created_at`, `updated_at`, `display`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OwnCard {
    pub id: String,
    /// Starts at 1, bumped on every edit.
    pub version: i64,
    /// The default own card ("me").
    #[serde(rename = "default")]
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub card: Card,
    /// The card's phone numbers as a person reads them in the user's region, by field key and
    /// index for index with the card's lists (`{"mobile": ["138 0013 8000"]}`: national format
    /// for numbers of that region, international for others, a value that is not a number as
    /// stored; `Card::phones_shown`). For display only: the card's own fields keep the stored
    /// value (E.164), which actions, vCard and `--json` consumers read. Filled by every `Core`
    /// method that returns this record.
    #[serde(default)]
    pub display: BTreeMap<String, Vec<String>>,
}

impl OwnCard {
    /// Fills [`OwnCard::display`] for a viewer in `region`.
    pub(crate) fn shown_in(mut self, region: Region) -> Self {
        self.display = self.card.phones_shown(region);
        self
    }
}

/// Where a received card came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Source {
    /// A share link (typed, pasted, or from a QR/NFC that held the link).
    Link,
    /// A QR code.
    Qr,
    /// An NFC tag or phone.
    Nfc,
    /// A .vcf file or vCard text.
    Vcf,
    /// MeCard text (as printed in QR codes on paper cards).
    Mecard,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Link => "link",
            Source::Qr => "qr",
            Source::Nfc => "nfc",
            Source::Vcf => "vcf",
            Source::Mecard => "mecard",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "link" => Source::Link,
            "qr" => Source::Qr,
            "nfc" => Source::Nfc,
            "vcf" => Source::Vcf,
            "mecard" => Source::Mecard,
            _ => return Err(CoreError::InvalidInput(format!("unknown source {s:?}"))),
        })
    }
}

/// Whether the owner still publishes a live card (sync sets this; static cards stay active).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Status {
    Active,
    /// The owner reset the link: we keep the last copy, it no longer updates.
    Revoked,
    /// The owner deleted the card: we keep the last copy, it no longer updates.
    Deleted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Revoked => "revoked",
            Status::Deleted => "deleted",
        }
    }
}

impl FromStr for Status {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "active" => Status::Active,
            "revoked" => Status::Revoked,
            "deleted" => Status::Deleted,
            _ => return Err(CoreError::InvalidInput(format!("unknown status {s:?}"))),
        })
    }
}

/// A received card with everything about it. JSON: these fields, with the owner's fields in
/// `card` and the recipient's own `notes` and `tags` beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReceivedCard {
    pub id: String,
    /// Display name (`Card::display_name`).
    pub name: String,
    pub source: Source,
    /// False for static imports (vCard/MeCard), which never sync.
    pub live: bool,
    pub status: Status,
    /// The server's card id (sync).
    pub remote_id: Option<String>,
    /// The owner's version held here (sync).
    pub remote_version: Option<i64>,
    pub added_at: DateTime<Utc>,
    /// When the owner's fields last changed here.
    pub updated_at: DateTime<Utc>,
    /// When the user last opened it.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// When its server last answered for it (live cards; see [`crate::Core::synced_at`]).
    #[serde(default)]
    pub synced_at: Option<DateTime<Utc>>,
    /// Changed since the user last opened it (the list's badge).
    pub changed: bool,
    /// The recipient's private notes (never touched by sync).
    pub notes: String,
    /// The recipient's private tags (never touched by sync), sorted.
    pub tags: Vec<String>,
    /// The owner's fields.
    pub card: Card,
    /// The card's phone numbers as a person reads them in the user's region, by field key and
    /// index for index with the card's lists (`{"mobile": ["138 0013 8000"]}`: national format
    /// for numbers of that region, international for others, a value that is not a number as
    /// stored; `Card::phones_shown`). For display only: the card's own fields keep the stored
    /// value (E.164), which actions, vCard and `--json` consumers read. Filled by every `Core`
    /// method that returns this record.
    #[serde(default)]
    pub display: BTreeMap<String, Vec<String>>,
}

impl ReceivedCard {
    /// Fills [`ReceivedCard::display`] for a viewer in `region`.
    pub(crate) fn shown_in(mut self, region: Region) -> Self {
        self.display = self.card.phones_shown(region);
        self
    }
}

/// What the list and search results show of a received card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardSummary {
    pub id: String,
    pub name: String,
    pub company: String,
    pub title: String,
    pub source: Source,
    pub live: bool,
    pub status: Status,
    pub changed: bool,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tags: Vec<String>,
}

/// One window of the card list (or of a search's hits): `total` cards in all, `rows` the ones
/// at `offset..offset + rows.len()`. The app asks only for the rows it shows, so a keystroke
/// over 10,000 cards sends a screenful, not every card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardWindow {
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<CardSummary>,
}

/// List orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Sort {
    /// By name; Chinese names by pinyin (张 under Z).
    #[default]
    Name,
    /// Most recently updated first.
    Updated,
    /// By company (pinyin order), cards without a company last; then by name.
    Company,
}

impl FromStr for Sort {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "name" => Ok(Sort::Name),
            "updated" | "recent" => Ok(Sort::Updated),
            "company" => Ok(Sort::Company),
            _ => Err(CoreError::InvalidInput(format!(
                "unknown sort order {s:?}; use name, updated or company"
            ))),
        }
    }
}

/// What adding one card did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AddStatus {
    /// A new card.
    Added,
    /// We already had this card (same name and a shared mobile or email); its owner fields
    /// were replaced by the new copy. Notes and tags are kept.
    Updated,
    /// We already had exactly this card; nothing changed.
    Unchanged,
}

/// The result of adding one card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddOutcome {
    pub id: String,
    pub name: String,
    pub status: AddStatus,
    /// What the importer dropped or changed on the way in.
    pub warnings: Vec<String>,
}

/// One edit of an own card.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub op: EditOp,
    pub field: Field,
    pub value: EditValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOp {
    /// Replace the field (a multi-valued field becomes this one value; empty clears).
    Set,
    /// Append to a multi-valued field (same as `Set` on a single-valued field).
    Add,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EditValue {
    /// Text as typed.
    Text(String),
    /// Image bytes for `avatar`.
    Image(Vec<u8>),
}

impl Edit {
    pub fn set(field: Field, value: impl Into<String>) -> Self {
        Edit {
            op: EditOp::Set,
            field,
            value: EditValue::Text(value.into()),
        }
    }
    pub fn add(field: Field, value: impl Into<String>) -> Self {
        Edit {
            op: EditOp::Add,
            field,
            value: EditValue::Text(value.into()),
        }
    }
}
