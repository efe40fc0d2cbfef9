//! What an NFC tag or a QR code carries, and what a reader gets back (PROTOCOL.md §8
//! "Exchange payloads").
//!
//! * NFC: an NDEF message of a URI record (the share link) and, when it fits the tag, a MIME
//!   record `application/vnd.livecard.card` holding an *offline copy*: a flag byte (bit 0 =
//!   partial, bit 1 = compact binary plaintext) and the compact signed record, whose sealed
//!   plaintext is the card in a compact binary form ([`compact_card`]; the JSON of server
//!   records is ~40 % larger and would not fit an NTAG215 with a typical Chinese card). A card too big for the tag loses optional fields
//!   in [`drop_order`] and is re-sealed under the same version, marked partial.
//! * Offline QR: `LC1:` + base45 (RFC 9285) of `len(base URL) || base URL || secret (16) ||
//!   flags || compact record`, all in QR alphanumeric mode.
//! * Readers: [`decode_nfc`] and [`decode_scanned_text`] accept our payloads and what other
//!   apps write (plain URIs, vCard/MeCard as MIME, Text records or QR text).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::card::{Address, Avatar, Card, Field, Limits, Region};
use crate::contact_text::{self, ContactTextError};
use crate::crypto::{self, CardKeys, ShareLink, ShareSecret};
use crate::fields::{self, FieldSpec, Slot, FIELDS};
use crate::ndef::{self, NdefError, Record};
use crate::vcard::Imported;
use crate::wire::{CardId, RecordError, SealedRecord, NONCE_BYTES, TAG_BYTES};

/// MIME type of the offline-copy record on an NFC tag.
pub const CARD_MIME: &str = "application/vnd.livecard.card";
/// Prefix of an offline QR code's text.
pub const OFFLINE_QR_PREFIX: &str = "LC1:";
/// Flag bit of an offline copy: optional fields were dropped; fetch the full record even at
/// the same version.
pub const FLAG_PARTIAL: u8 = 0x01;
/// Flag bit of an offline copy: the sealed plaintext is the compact binary card
/// ([`compact_card`]) instead of the server records' compact JSON.
pub const FLAG_COMPACT: u8 = 0x02;
/// Bytes of a compact record besides the ciphertext (format byte, key, version, nonce,
/// signature).
pub const COMPACT_HEAD: usize = 1 + 32 + 8 + 12 + 64;
/// Largest offline-QR payload (bytes before base45) [`offline_qr`] makes: 1,050 base45
/// characters, a version-22-M code at most (measured in `livecard-core/tests/qr.rs`).
pub const OFFLINE_QR_MAX_BYTES: usize = 700;

/// NFC Forum Type 2 tags of the NTAG21x family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tag {
    /// 144 bytes of user memory.
    Ntag213,
    /// 504 bytes of user memory.
    #[default]
    Ntag215,
    /// 888 bytes of user memory.
    Ntag216,
    /// Any tag whose largest NDEF message the phone reported (Android `Ndef.getMaxSize`, iOS
    /// `queryNDEFStatus` capacity), in bytes.
    Other(usize),
}

impl Tag {
    pub const ALL: [Tag; 3] = [Tag::Ntag213, Tag::Ntag215, Tag::Ntag216];

    /// User memory in bytes (what the NDEF TLV, the message and the terminator share).
    pub fn user_bytes(self) -> usize {
        match self {
            Tag::Ntag213 => 144,
            Tag::Ntag215 => 504,
            Tag::Ntag216 => 888,
            Tag::Other(max_message) => ndef::tlv_len(max_message),
        }
    }

    /// The longest NDEF message that fits, after the TLV header (2 bytes below 255 bytes of
    /// message, else 4) and the terminator (1).
    pub fn max_message_bytes(self) -> usize {
        if let Tag::Other(max_message) = self {
            return max_message;
        }
        let c = self.user_bytes();
        if c >= 0xFF + 4 {
            c - 5
        } else {
            c - 3
        }
    }

    pub fn fits(self, message_len: usize) -> bool {
        match self {
            Tag::Other(max_message) => message_len <= max_message,
            _ => ndef::tlv_len(message_len) <= self.user_bytes(),
        }
    }

    /// The name (`other` for a tag known only by its reported size).
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Ntag213 => "ntag213",
            Tag::Ntag215 => "ntag215",
            Tag::Ntag216 => "ntag216",
            Tag::Other(_) => "other",
        }
    }

    /// The room a phone reported for a tag: its largest NDEF message (`max_size`) when
    /// known, else the chip it identified; `None` when it said neither.
    pub fn reported(max_size: Option<usize>, chip: Option<&str>) -> Option<Tag> {
        match max_size {
            Some(n) => Some(Tag::Other(n)),
            None => chip.and_then(|c| c.parse().ok()),
        }
    }
}

impl FromStr for Tag {
    type Err = ExchangeError;
    fn from_str(s: &str) -> Result<Tag, ExchangeError> {
        Tag::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ExchangeError::UnknownTag(s.to_string()))
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tag::Other(n) => write!(f, "tag of {n} bytes"),
            _ => f.write_str(self.as_str()),
        }
    }
}

/// Why an exchange payload could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    #[error("not an NDEF message: {0}")]
    Ndef(#[from] NdefError),
    #[error("no card in this {0}: nothing to add")]
    NoCard(&'static str),
    #[error("the offline copy is not valid: {0}")]
    BadCopy(RecordError),
    #[error("the offline copy belongs to card {copy}, but the link is for card {link}")]
    CopyMismatch { link: String, copy: String },
    #[error("the tag holds an offline card copy but no share link to open it")]
    CopyWithoutLink,
    #[error("the offline QR code is damaged: {0}")]
    BadOfflineQr(String),
    #[error("contact text could not be read: {0}")]
    Contact(#[from] ContactTextError),
    #[error("the share link alone needs {need} bytes but a {tag} holds {have}")]
    LinkTooBig { tag: Tag, need: usize, have: usize },
    #[error("the signing key belongs to card {keys}, not to the link's card {link}")]
    KeysMismatch { link: String, keys: String },
    #[error("cannot seal the offline copy: {0}")]
    Seal(RecordError),
    #[error("unknown tag type {0:?} (expected ntag213, ntag215 or ntag216)")]
    UnknownTag(String),
}

impl ExchangeError {
    /// The message in Chinese, for the UI (the `Display` text is the English one).
    pub fn message_zh(&self) -> String {
        match self {
            ExchangeError::Ndef(e) => {
                format!("不是有效的 NFC 数据（第 {} 字节）：{}", e.offset, e.message)
            }
            ExchangeError::NoCard("tag") => "这个标签里没有名片，未添加任何内容".into(),
            ExchangeError::NoCard(_) => "这段内容里没有名片，未添加任何内容".into(),
            ExchangeError::BadCopy(e) => format!("离线名片无效：{e}"),
            ExchangeError::CopyMismatch { .. } => "离线名片与分享链接不属于同一张名片".into(),
            ExchangeError::CopyWithoutLink => "标签里有离线名片，但没有打开它的分享链接".into(),
            ExchangeError::BadOfflineQr(_) => "离线二维码已损坏".into(),
            ExchangeError::Contact(e) => format!("无法读取联系人：{e}"),
            ExchangeError::LinkTooBig { tag, need, have } => {
                format!("分享链接需要 {need} 字节，{tag} 只有 {have} 字节")
            }
            ExchangeError::KeysMismatch { .. } => "签名密钥与分享链接不属于同一张名片".into(),
            ExchangeError::Seal(e) => format!("无法封装离线名片：{e}"),
            ExchangeError::UnknownTag(t) => {
                format!("未知的标签类型 {t:?}（应为 ntag213、ntag215 或 ntag216）")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Offline copies and the drop order

/// Optional fields are removed in the field table's drop order ([`drop_order`]: each field's
/// [`FieldSpec::drop`](crate::fields::FieldSpec::drop) ranks) until an offline copy fits. Each
/// step removes one field entirely, except the `AllButFirst` steps, which keep the first
/// value. Never removed: name, family, given, the first mobile, the temporary number and its
/// expiry; company goes last of all.
pub use crate::fields::{drop_order, DropStep};

fn drop_step(card: &mut Card, field: Field, step: DropStep) -> bool {
    let keep = if step == DropStep::All { 0 } else { 1 };
    match field.spec().slot {
        Slot::Text(..) | Slot::Extra => {
            let changed = card.text(field).is_some_and(|v| !v.is_empty());
            card.put_text(field, String::new());
            changed
        }
        Slot::List(_, get) => {
            let v = get(card);
            let changed = v.len() > keep;
            v.truncate(keep);
            changed
        }
        Slot::Address => {
            let changed = card.address.len() > keep;
            card.address.truncate(keep);
            changed
        }
        Slot::Avatar => card.avatar.take().is_some(),
        Slot::Time => false,
    }
}

/// The owner's side of an offline copy: the card, its signing keys and the version it is
/// published (or about to be published) as. The share secret comes from the link.
#[derive(Debug, Clone, Copy)]
pub struct CopySource<'a> {
    pub card: &'a Card,
    pub keys: &'a CardKeys,
    pub version: u64,
}

/// An offline copy sealed to fit a size budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedCopy {
    pub record: SealedRecord,
    /// True when fields were dropped (then `dropped` is not empty).
    pub partial: bool,
    /// Fields removed (entirely or beyond the first value), in drop order, no duplicates.
    pub dropped: Vec<Field>,
}

impl FittedCopy {
    /// The flag byte written before the compact record.
    pub fn flags(&self) -> u8 {
        FLAG_COMPACT | if self.partial { FLAG_PARTIAL } else { 0 }
    }
}

/// Bytes of the compact record of `card` with a [`compact_card`] plaintext (without sealing).
pub fn compact_len(card: &Card) -> usize {
    COMPACT_HEAD + compact_card(card).len() + TAG_BYTES
}

/// Seals `card` as an offline copy: the [`compact_card`] plaintext, a fresh random nonce,
/// signed like any record (PROTOCOL.md §3). Open it with [`open_copy`], not `crypto::open`.
pub fn seal_copy(
    card: &Card,
    keys: &CardKeys,
    secret: &ShareSecret,
    version: u64,
) -> Result<SealedRecord, ExchangeError> {
    let mut nonce = [0u8; NONCE_BYTES];
    OsRng.fill_bytes(&mut nonce);
    crypto::seal_plaintext(&compact_card(card), keys, secret, version, nonce)
        .map_err(ExchangeError::Seal)
}

/// Verifies and decrypts an offline copy; `flags` is its flag byte (compact or JSON
/// plaintext). The card must pass `Card::validate`.
pub fn open_copy(
    record: &SealedRecord,
    secret: &ShareSecret,
    flags: u8,
) -> Result<Card, ExchangeError> {
    let card = if flags & FLAG_COMPACT != 0 {
        let pt =
            Zeroizing::new(crypto::open_plaintext(record, secret).map_err(ExchangeError::BadCopy)?);
        parse_compact_card(&pt)
            .map_err(|why| ExchangeError::BadCopy(RecordError::BadPlaintext(why)))?
    } else {
        crypto::open(record, secret).map_err(ExchangeError::BadCopy)?
    };
    card.validate(&Limits::DEFAULT)
        .map_err(|e| ExchangeError::BadCopy(RecordError::BadPlaintext(e.to_string())))?;
    Ok(card)
}

/// Seals `src.card` — or, if its compact record (plus the flag byte) is larger than
/// `fits` allows, a copy with optional fields dropped in [`drop_order`] (company last) — as
/// `src.version` under `secret`. `None` when even the minimal copy does not fit.
pub fn fit_copy(
    src: &CopySource<'_>,
    secret: &ShareSecret,
    fits: impl Fn(usize) -> bool,
) -> Result<Option<FittedCopy>, ExchangeError> {
    let mut card = src.card.clone();
    let mut dropped: Vec<Field> = Vec::new();
    let mut steps = drop_order().into_iter();
    loop {
        if fits(1 + compact_len(&card)) {
            let record = seal_copy(&card, src.keys, secret, src.version)?;
            return Ok(Some(FittedCopy {
                record,
                partial: !dropped.is_empty(),
                dropped,
            }));
        }
        // Apply steps until one changes something.
        loop {
            let Some((field, step)) = steps.next() else {
                return Ok(None);
            };
            if drop_step(&mut card, field, step) {
                if !dropped.contains(&field) {
                    dropped.push(field);
                }
                break;
            }
        }
    }
}

fn copy_bytes(record: &SealedRecord, flags: u8) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend_from_slice(&record.to_compact_bytes());
    out
}

/// Reads `flags || compact record`: checks the signature, that it is `link`'s card and that
/// the link's secret opens it.
fn read_copy(bytes: &[u8], link: &ShareLink) -> Result<OfflineCopy, ExchangeError> {
    let (&flags, rest) = bytes
        .split_first()
        .ok_or(ExchangeError::BadCopy(RecordError::TooShort))?;
    if flags & !(FLAG_PARTIAL | FLAG_COMPACT) != 0 {
        return Err(ExchangeError::BadCopy(RecordError::InvalidField {
            what: "offline copy flags",
            why: format!("unknown flag bits 0x{flags:02x} (written by a newer app?)"),
        }));
    }
    let record = SealedRecord::from_compact_bytes(rest).map_err(ExchangeError::BadCopy)?;
    record.verify().map_err(ExchangeError::BadCopy)?;
    if record.id != link.id {
        return Err(ExchangeError::CopyMismatch {
            link: link.id.to_string(),
            copy: record.id.to_string(),
        });
    }
    let card = open_copy(&record, &link.secret, flags)?;
    Ok(OfflineCopy {
        record,
        card,
        partial: flags & FLAG_PARTIAL != 0,
    })
}

/// A verified offline copy from a tag or an offline QR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineCopy {
    /// Signed by the card's key, same id as the link. Its plaintext may be the compact
    /// binary form: keep `card`, do not `crypto::open` it, and never upload it.
    pub record: SealedRecord,
    /// The decrypted card (validated).
    pub card: Card,
    /// Fields were dropped to fit: fetch the full record even at the same version.
    pub partial: bool,
}

// ---------------------------------------------------------------------------------------------
// NFC

/// What to write to a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NfcPayload {
    /// The NDEF message (what a phone's NFC API writes; no TLV).
    pub bytes: Vec<u8>,
    /// Fields left out of the offline copy (empty when the whole card fits or there is no
    /// copy).
    pub dropped_fields: Vec<Field>,
    /// Whether the message holds an offline copy at all (false: link only).
    pub offline_included: bool,
    pub tag: Tag,
}

impl NfcPayload {
    /// The Type 2 tag data area: NDEF TLV + terminator.
    pub fn tlv_bytes(&self) -> Vec<u8> {
        // The message fits the tag (checked when it was made), so it fits a TLV.
        ndef::wrap_tlv(&self.bytes).unwrap_or_default()
    }
}

/// The NDEF message for `tag`: the link's URI record and, when `offline` is given and fits,
/// the offline copy (reduced and marked partial when needed). If not even the minimal copy
/// fits, the link alone is written and `offline_included` is false. Refused: the link alone
/// does not fit, or `offline.keys` is not the link's card.
pub fn nfc_message(
    link: &ShareLink,
    offline: Option<&CopySource<'_>>,
    tag: Tag,
) -> Result<NfcPayload, ExchangeError> {
    let uri = Record::uri(&link.to_string());
    let link_only = [uri.clone()];
    let link_len = ndef::message_len(&link_only);
    if !tag.fits(link_len) {
        let (need, have) = match tag {
            Tag::Other(max_message) => (link_len, max_message),
            _ => (ndef::tlv_len(link_len), tag.user_bytes()),
        };
        return Err(ExchangeError::LinkTooBig { tag, need, have });
    }
    let mut records = vec![uri];
    let mut dropped_fields = Vec::new();
    let mut offline_included = false;
    if let Some(src) = offline {
        let keys_id = src.keys.id();
        if keys_id != link.id {
            return Err(ExchangeError::KeysMismatch {
                link: link.id.to_string(),
                keys: keys_id.to_string(),
            });
        }
        let mime_overhead = |payload: usize| {
            ndef::record_len(&Record {
                tnf: ndef::Tnf::Media,
                record_type: CARD_MIME.as_bytes().to_vec(),
                id: Vec::new(),
                payload: Vec::new(),
            }) + if payload < 256 { 0 } else { 3 }
                + payload
        };
        let fits = |payload: usize| tag.fits(link_len + mime_overhead(payload));
        if let Some(copy) = fit_copy(src, &link.secret, fits)? {
            records.push(Record::mime(
                CARD_MIME,
                copy_bytes(&copy.record, copy.flags()),
            ));
            dropped_fields = copy.dropped;
            offline_included = true;
        }
    }
    let bytes = ndef::encode_message(&records)?;
    debug_assert!(tag.fits(bytes.len()));
    Ok(NfcPayload {
        bytes,
        dropped_fields,
        offline_included,
        tag,
    })
}

/// What a reader got from a tag or a scanned code.
#[derive(Debug, Clone, PartialEq, Eq)]
// Short-lived (one per scan), and a Box would make matching on it clumsier for callers.
#[allow(clippy::large_enum_variant)]
pub enum Received {
    /// A livecard share link, with the offline copy when one came along (verified: signed by
    /// the card's key, same id as the link, opens with the link's secret).
    LiveCard {
        link: ShareLink,
        offline: Option<OfflineCopy>,
    },
    /// Contacts in vCard/MeCard form: saved as static cards that do not sync.
    Contacts(Vec<Imported>),
    /// A URI that is not a livecard link: offer to open it, add nothing.
    ForeignLink(String),
}

/// Reads an NDEF message (bare, or a tag data area with TLVs and padding; Smart Poster
/// records are read for their URI). Preference: our
/// link (with its copy), else contacts (vCard/MeCard as MIME or Text record), else a
/// foreign URI; nothing of these is [`ExchangeError::NoCard`].
pub fn decode_nfc(bytes: &[u8], region: Region) -> Result<Received, ExchangeError> {
    let top = ndef::decode_any(bytes)?;
    // Smart Poster records (well-known `Sp`, what many tag tools write for a URL) hold a
    // nested message whose URI record is the link: read one level in.
    let mut records = Vec::with_capacity(top.len());
    for r in top {
        if r.tnf == ndef::Tnf::WellKnown && r.record_type == b"Sp" {
            records.extend(ndef::decode_message(&r.payload).map_err(|e| {
                ExchangeError::Ndef(NdefError {
                    offset: e.offset,
                    message: format!("inside a Smart Poster record: {}", e.message),
                })
            })?);
        } else {
            records.push(r);
        }
    }
    let mut link: Option<ShareLink> = None;
    let mut copy: Option<&[u8]> = None;
    let mut contacts: Vec<Imported> = Vec::new();
    let mut contact_error: Option<ContactTextError> = None;
    let mut foreign: Option<String> = None;
    for r in &records {
        if let Some(uri) = r.as_uri() {
            let uri = uri?;
            match ShareLink::parse(&uri) {
                Ok(l) if link.is_none() => link = Some(l),
                Ok(_) => {}
                Err(_) => {
                    foreign.get_or_insert(uri);
                }
            }
        } else if let Some(text) = r.as_text() {
            let (_, text) = text?;
            if let Ok(l) = ShareLink::parse(&text) {
                link.get_or_insert(l);
            } else if contact_text::detect(text.as_bytes()).is_some() {
                match contact_text::parse_contact_text(text.as_bytes(), region) {
                    Ok(c) => contacts.extend(c),
                    Err(e) => contact_error = Some(e),
                }
            }
        } else if let Some(mime) = r.mime_type() {
            match mime.as_str() {
                CARD_MIME => copy = copy.or(Some(&r.payload)),
                "text/vcard" | "text/x-vcard" | "text/directory" | "text/x-mecard"
                | "text/plain"
                    if contact_text::detect(&r.payload).is_some() =>
                {
                    match contact_text::parse_contact_text(&r.payload, region) {
                        Ok(c) => contacts.extend(c),
                        Err(e) => contact_error = Some(e),
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(link) = link {
        let offline = match copy {
            Some(bytes) => Some(read_copy(bytes, &link)?),
            None => None,
        };
        return Ok(Received::LiveCard { link, offline });
    }
    if copy.is_some() {
        return Err(ExchangeError::CopyWithoutLink);
    }
    if !contacts.is_empty() {
        return Ok(Received::Contacts(contacts));
    }
    if let Some(e) = contact_error {
        return Err(e.into());
    }
    if let Some(uri) = foreign {
        return Ok(Received::ForeignLink(uri));
    }
    Err(ExchangeError::NoCard("tag"))
}

// ---------------------------------------------------------------------------------------------
// Offline QR

fn offline_payload(link: &ShareLink, record: &SealedRecord, flags: u8) -> Vec<u8> {
    let base = link.base_url.as_bytes();
    // A base URL over 255 bytes is cut; ShareLink bases are short hosts in practice.
    let base = &base[..base.len().min(255)];
    let mut out = Vec::with_capacity(1 + base.len() + 16 + 1 + COMPACT_HEAD + 64);
    out.push(base.len() as u8);
    out.extend_from_slice(base);
    out.extend_from_slice(link.secret.as_bytes());
    out.extend_from_slice(&copy_bytes(record, flags));
    out
}

/// The offline QR text of a full record for `link`'s card, as `crypto::seal` makes it (JSON
/// plaintext). Prefer [`offline_qr`]: it seals the smaller compact plaintext and reduces the
/// card to fit.
pub fn offline_qr_text(link: &ShareLink, record: &SealedRecord) -> String {
    offline_qr_text_with(link, record, 0)
}

/// [`offline_qr_text`] with a given flag byte ([`FLAG_PARTIAL`], [`FLAG_COMPACT`]).
pub fn offline_qr_text_with(link: &ShareLink, record: &SealedRecord, flags: u8) -> String {
    format!(
        "{OFFLINE_QR_PREFIX}{}",
        base45::encode(offline_payload(link, record, flags))
    )
}

/// An offline QR text ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineQr {
    pub text: String,
    pub dropped_fields: Vec<Field>,
    pub partial: bool,
}

/// The offline QR of the card, reduced (drop order as for NFC) so that the payload is at
/// most `max_bytes` ([`OFFLINE_QR_MAX_BYTES`] is a good default). `None` when even the
/// minimal card does not fit.
pub fn offline_qr(
    link: &ShareLink,
    src: &CopySource<'_>,
    max_bytes: usize,
) -> Result<Option<OfflineQr>, ExchangeError> {
    let keys_id = src.keys.id();
    if keys_id != link.id {
        return Err(ExchangeError::KeysMismatch {
            link: link.id.to_string(),
            keys: keys_id.to_string(),
        });
    }
    let head = 1 + link.base_url.len().min(255) + 16;
    let Some(copy) = fit_copy(src, &link.secret, |copy_len| head + copy_len <= max_bytes)? else {
        return Ok(None);
    };
    Ok(Some(OfflineQr {
        text: offline_qr_text_with(link, &copy.record, copy.flags()),
        dropped_fields: copy.dropped,
        partial: copy.partial,
    }))
}

fn decode_offline_qr(body: &str) -> Result<Received, ExchangeError> {
    let bad = |why: &str| ExchangeError::BadOfflineQr(why.to_string());
    let upper = body.to_ascii_uppercase();
    let bytes = base45::decode(&upper).map_err(|_| bad("not base45 text"))?;
    if base45::encode(&bytes) != upper {
        return Err(bad("not canonical base45 text"));
    }
    let (&base_len, rest) = bytes.split_first().ok_or_else(|| bad("empty"))?;
    let base_len = base_len as usize;
    if rest.len() < base_len + 16 {
        return Err(bad("cut off before the share secret"));
    }
    let base = std::str::from_utf8(&rest[..base_len]).map_err(|_| bad("base URL is not UTF-8"))?;
    let mut secret = [0u8; 16];
    secret.copy_from_slice(&rest[base_len..base_len + 16]);
    let secret = ShareSecret::from_bytes(secret);
    let copy = &rest[base_len + 16..];
    // The id is the key's: bytes 1..33 of the compact record after the flag byte.
    let key: [u8; 32] = copy
        .get(2..34)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| bad("cut off inside the record"))?;
    let link_text = format!(
        "{base}/c/{}#{}",
        CardId::from_public_key(&key),
        secret.to_base32()
    );
    let link = ShareLink::parse(&link_text).map_err(|e| bad(&e.to_string()))?;
    let copy = read_copy(copy, &link)?;
    Ok(Received::LiveCard {
        link,
        offline: Some(copy),
    })
}

/// Reads scanned or pasted text: our share link (any case), our offline QR (`LC1:…`), vCard
/// or MeCard text, or a foreign URL (offer to open it). Anything else is
/// [`ExchangeError::NoCard`].
pub fn decode_scanned_text(text: &str, region: Region) -> Result<Received, ExchangeError> {
    // Spaces are base45 digits: only line breaks, tabs and a BOM are trimmed.
    let t = text
        .trim_start_matches('\u{feff}')
        .trim_matches(|c| c == '\r' || c == '\n' || c == '\t');
    if t.len() >= OFFLINE_QR_PREFIX.len()
        && t.is_char_boundary(OFFLINE_QR_PREFIX.len())
        && t[..OFFLINE_QR_PREFIX.len()].eq_ignore_ascii_case(OFFLINE_QR_PREFIX)
    {
        return decode_offline_qr(&t[OFFLINE_QR_PREFIX.len()..]);
    }
    let t = t.trim();
    if let Ok(link) = ShareLink::parse(t) {
        return Ok(Received::LiveCard {
            link,
            offline: None,
        });
    }
    if contact_text::detect(t.as_bytes()).is_some() {
        return Ok(Received::Contacts(contact_text::parse_contact_text(
            t.as_bytes(),
            region,
        )?));
    }
    if !t.contains(char::is_whitespace) {
        if let Ok(url) = url::Url::parse(t) {
            if !url.cannot_be_a_base() || matches!(url.scheme(), "tel" | "mailto" | "sms") {
                return Ok(Received::ForeignLink(t.to_string()));
            }
        }
    }
    Err(ExchangeError::NoCard("text"))
}

// ---------------------------------------------------------------------------------------------
// Compact binary card (the plaintext of offline copies)

// Field codes: stable, never reused. Multi-valued fields repeat their code per value.
fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7F) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len());
    out.extend_from_slice(b);
}

/// The card in the compact binary form sealed in offline copies: a sequence of entries
/// `code (1 byte) || LEB128 length || value`, empty values left out, in field order. Codes:
/// 1 name, 2 family, 3 given, 4 avatar (`len(mime) || mime || data`), 5 company, 6 title,
/// 7 industry, 8 mobile, 9 phone, 10 fax, 11 email, 12 address (7 × `len || part`: po_box,
/// extended, street, locality, region, postal_code, country), 13 website, 14 qq, 15 wechat,
/// 16 aliwangwang, 17 msn, 18 weibo, 19 dingtalk, 20 bulletin, 21 temp_number, 22 temp_until
/// (RFC 3339), 23 telegram, 24 wecom — each row's `compact` in the field table
/// (`fields::FIELDS`), written in code order. Text is UTF-8. Readers skip unknown codes.
pub fn compact_card(card: &Card) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let text = |out: &mut Vec<u8>, code: u8, s: &str| {
        if !s.is_empty() {
            out.push(code);
            put_bytes(out, s.as_bytes());
        }
    };
    let mut specs: Vec<&FieldSpec> = FIELDS.iter().collect();
    specs.sort_by_key(|s| s.compact);
    for spec in specs {
        let code = spec.compact;
        match spec.slot {
            Slot::Text(..) | Slot::Extra => {
                text(&mut out, code, card.text(spec.field).unwrap_or(""))
            }
            Slot::List(get, _) => {
                for v in get(card) {
                    text(&mut out, code, v);
                }
            }
            Slot::Avatar => {
                if let Some(a) = &card.avatar {
                    let mut v = Vec::with_capacity(a.mime.len() + a.data.len() + 2);
                    put_bytes(&mut v, a.mime.as_bytes());
                    v.extend_from_slice(&a.data);
                    out.push(code);
                    put_bytes(&mut out, &v);
                }
            }
            Slot::Address => {
                for a in &card.address {
                    let mut v = Vec::new();
                    for p in [
                        &a.po_box,
                        &a.extended,
                        &a.street,
                        &a.locality,
                        &a.region,
                        &a.postal_code,
                        &a.country,
                    ] {
                        put_bytes(&mut v, p.as_bytes());
                    }
                    out.push(code);
                    put_bytes(&mut out, &v);
                }
            }
            Slot::Time => {
                if let Some(t) = card.temp_until {
                    // As the JSON form writes it (`Z`, fractions only when present).
                    let t = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                    text(&mut out, code, &t);
                }
            }
        }
    }
    out
}

/// First byte of a sealed record's plaintext in the compact binary form (PROTOCOL.md §3
/// "Plaintext"): JSON text never starts with it (only `{` or whitespace), and it is never
/// valid UTF-8, so an old reader fails cleanly instead of misreading it.
pub const COMPACT_PLAINTEXT_MAGIC: u8 = 0xC1;
/// Entry code of the card's inbox key (32 bytes) in the compact form. Not a user field, so not
/// in the field table; outside its codes (checked by a test).
pub const INBOX_CODE: u8 = 0x7F;

/// A server record's plaintext in the compact binary form: [`COMPACT_PLAINTEXT_MAGIC`] ||
/// [`compact_card`] || the inbox key entry ([`INBOX_CODE`]) when the card has one. Lossless or
/// not: [`record_plaintext`] decides which form to seal.
pub fn compact_record_plaintext(card: &Card) -> Vec<u8> {
    let body = compact_card(card);
    let mut out = Vec::with_capacity(1 + body.len() + 34);
    out.push(COMPACT_PLAINTEXT_MAGIC);
    out.extend_from_slice(&body);
    if let Some(inbox) = &card.inbox {
        out.push(INBOX_CODE);
        put_bytes(&mut out, &inbox.key);
    }
    out
}

/// The plaintext a server record of `card` is sealed with: the compact binary form when it
/// reads back as exactly `card` (every field, avatar, extra fields, inbox key), else the
/// compact JSON (`crypto::card_plaintext`). A typical card: 230 bytes instead of 373.
pub fn record_plaintext(card: &Card) -> Vec<u8> {
    let compact = compact_record_plaintext(card);
    match parse_record_plaintext(&compact) {
        Ok(back) if &back == card => compact,
        _ => crypto::card_plaintext(card),
    }
}

/// Reads a server record's plaintext in either form: [`COMPACT_PLAINTEXT_MAGIC`] + the compact
/// binary card, or compact JSON. A clear message for anything malformed.
pub fn parse_record_plaintext(bytes: &[u8]) -> Result<Card, String> {
    match bytes.split_first() {
        Some((&COMPACT_PLAINTEXT_MAGIC, rest)) => parse_compact_card(rest),
        _ => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<usize, String> {
        let mut n: usize = 0;
        for shift in (0..35).step_by(7) {
            let b = *self
                .bytes
                .get(self.pos)
                .ok_or_else(|| format!("byte {}: length cut off", self.pos))?;
            self.pos += 1;
            n |= ((b & 0x7F) as usize) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(format!("byte {}: length too long", self.pos))
    }

    fn chunk(&mut self) -> Result<&'a [u8], String> {
        let at = self.pos;
        let len = self.varint()?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("byte {at}: value of {len} bytes runs past the end"))?;
        let v = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(v)
    }

    fn text(&mut self) -> Result<String, String> {
        let at = self.pos;
        let v = self.chunk()?;
        String::from_utf8(v.to_vec()).map_err(|_| format!("byte {at}: text is not UTF-8"))
    }
}

/// Reads [`compact_card`]; a clear message (with the byte offset) for anything malformed.
pub fn parse_compact_card(bytes: &[u8]) -> Result<Card, String> {
    let mut card = Card::default();
    let mut r = Reader { bytes, pos: 0 };
    let mut seen = [false; 256];
    while r.pos < bytes.len() {
        let at = r.pos;
        let code = bytes[at];
        r.pos += 1;
        let single = |seen: &mut [bool; 256]| {
            if std::mem::replace(&mut seen[code as usize], true) {
                Err(format!("byte {at}: field code {code} appears twice"))
            } else {
                Ok(())
            }
        };
        if code == INBOX_CODE {
            single(&mut seen)?;
            // As in JSON, a key of another shape is read as absent (the card stays readable).
            card.inbox = <[u8; 32]>::try_from(r.chunk()?)
                .ok()
                .map(|key| crate::InboxKey { key });
            continue;
        }
        let Some(spec) = fields::by_compact(code) else {
            // A field of a newer app: skip it.
            r.chunk()?;
            continue;
        };
        match spec.slot {
            Slot::Text(..) | Slot::Extra => {
                single(&mut seen)?;
                let v = r.text()?;
                card.put_text(spec.field, v);
            }
            Slot::List(_, get) => {
                let v = r.text()?;
                // Empty values are never written; one read is dropped, as the writer would.
                if !v.is_empty() {
                    get(&mut card).push(v);
                }
            }
            Slot::Time => {
                single(&mut seen)?;
                let v = r.text()?;
                let t = DateTime::parse_from_rfc3339(&v)
                    .map_err(|e| format!("byte {at}: temp_until {v:?}: {e}"))?;
                card.temp_until = Some(t.with_timezone(&Utc));
            }
            Slot::Avatar => {
                single(&mut seen)?;
                let v = r.chunk()?;
                let mut inner = Reader { bytes: v, pos: 0 };
                let mime = inner.text().map_err(|e| format!("avatar: {e}"))?;
                card.avatar = Some(Avatar {
                    mime,
                    data: v[inner.pos..].to_vec(),
                });
            }
            Slot::Address => {
                let v = r.chunk()?;
                let mut inner = Reader { bytes: v, pos: 0 };
                let mut parts: [String; 7] = Default::default();
                for p in parts.iter_mut() {
                    *p = inner.text().map_err(|e| format!("address: {e}"))?;
                }
                if inner.pos != v.len() {
                    return Err(format!("byte {at}: address has extra bytes"));
                }
                let [po_box, extended, street, locality, region, postal_code, country] = parts;
                card.address.push(Address {
                    po_box,
                    extended,
                    street,
                    locality,
                    region,
                    postal_code,
                    country,
                });
            }
        }
    }
    Ok(card)
}
