//! The wire format shared by the client core and the sync server (docs/PROTOCOL.md) — only what
//! the server may know.
//!
//! Everything here handles **only public or encrypted bytes**: card ids, public keys, versions,
//! nonces, ciphertexts and signatures. Nothing in this crate can seal, open or sign a card, and
//! none of its dependencies can: opening needs a `ShareSecret` from `livecard_format::crypto`,
//! and the sync server depends on this crate, not on livecard-format (its `tests/no_secret.rs`
//! checks the dependency closure). livecard-format re-exports it as `livecard_format::wire`.
//!
//! Contents:
//! - [`CardId`]: 16 characters of RFC 4648 base32 of the first 10 bytes of SHA-256(public key).
//! - [`SealedRecord`]: {id, public key, version, nonce, ciphertext, signature} and its
//!   [`SealedRecord::verify`].
//! - [`Tombstone`]: a signed deletion.
//! - The HTTP API v1 request/response bodies ([`SyncRequest`], [`SyncResponse`], [`ErrorBody`],
//!   [`ErrorCode`], …) and paths.
//! - v1 additions (PROTOCOL.md §6): the watch stream ([`WatchRequest`], [`WatchEvent`]) and the
//!   inbox ([`InboxRegister`], [`InboxSend`], [`InboxTake`], … and their signed messages).
//! - The byte encodings: [`base32_encode`] / [`base32_decode`] and base64url without padding
//!   ([`b64url_encode`] / [`b64url_decode`]).
//! - [`records`]: the binary sync answer (`Accept: application/vnd.livecard.records`).

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

pub mod records;
pub use records::{accepts_records, is_records_media_type, RECORDS_MEDIA_TYPE};

/// Protocol name, sent by `GET /v1/info`.
pub const PROTOCOL: &str = "livecard-v1";
/// Bytes of SHA-256(public key) that make up a card id.
pub const ID_BYTES: usize = 10;
/// Characters of a card id (base32 of [`ID_BYTES`]).
pub const ID_CHARS: usize = 16;
/// Bytes of an AES-GCM nonce.
pub const NONCE_BYTES: usize = 12;
/// Bytes of the AES-GCM authentication tag at the end of every ciphertext.
pub const TAG_BYTES: usize = 16;
/// The highest version a record may carry: 2^53 − 1, so that JavaScript numbers hold it exactly.
pub const MAX_VERSION: u64 = (1 << 53) - 1;
/// The largest card JSON the model allows (livecard-format's `Limits::DEFAULT.card_bytes`; a
/// test there checks they agree).
pub const DEFAULT_MAX_CARD_BYTES: usize = 128 * 1024;
/// Default limit on the ciphertext of one record: the largest card JSON the model allows
/// ([`DEFAULT_MAX_CARD_BYTES`]) plus the tag.
pub const DEFAULT_MAX_CIPHERTEXT_BYTES: usize = DEFAULT_MAX_CARD_BYTES + TAG_BYTES;
/// Default limit on the number of ids in one batch sync request.
pub const DEFAULT_MAX_SYNC_IDS: usize = 10_000;

/// Domain tag of a record signature.
pub const RECORD_DOMAIN: &[u8] = b"livecard-record-v1";
/// Domain tag of a deletion (tombstone) signature.
pub const DELETE_DOMAIN: &[u8] = b"livecard-delete-v1";
/// Version byte of [`SealedRecord::to_compact_bytes`].
pub const COMPACT_RECORD_V1: u8 = 1;

/// Why a record, id or tombstone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("invalid card id {0:?}: expected 16 base32 characters (A–Z, 2–7)")]
    InvalidId(String),
    #[error("invalid {what}: {why}")]
    InvalidField { what: &'static str, why: String },
    #[error("public key is not a valid Ed25519 key")]
    BadPublicKey,
    #[error("card id {id} does not belong to this public key (expected {expected})")]
    KeyMismatch { id: String, expected: String },
    #[error("signature does not verify")]
    BadSignature,
    #[error("version {0} out of range 1..={MAX_VERSION}")]
    VersionOutOfRange(u64),
    #[error("ciphertext of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("ciphertext shorter than the {TAG_BYTES}-byte tag")]
    TooShort,
    #[error("decryption failed: wrong share secret or tampered record")]
    DecryptFailed,
    #[error("decrypted card is not valid card JSON: {0}")]
    BadPlaintext(String),
    #[error("invalid share link: {0}")]
    BadLink(String),
    #[error("invalid share secret: {0}")]
    BadSecret(String),
}

// ---------------------------------------------------------------------------------------------
// Byte encodings

const BASE32: data_encoding::Encoding = data_encoding::BASE32_NOPAD;

/// RFC 4648 base32, uppercase, without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    BASE32.encode(bytes)
}

/// Decodes RFC 4648 base32 without padding, accepting lower case. Non-zero trailing bits are
/// refused, so every value has exactly one encoding.
pub fn base32_decode(text: &str) -> Result<Vec<u8>, RecordError> {
    let upper = text.trim().to_ascii_uppercase();
    BASE32
        .decode(upper.as_bytes())
        .map_err(|e| RecordError::InvalidField {
            what: "base32",
            why: e.to_string(),
        })
}

/// base64url (RFC 4648 §5) without padding: how every byte field travels in JSON.
pub fn b64url_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url exactly as PROTOCOL.md §3 says: the URL-safe alphabet, **no** padding
/// (`=` is refused), no whitespace, and zero trailing bits (one encoding per value).
pub fn b64url_decode(text: &str) -> Result<Vec<u8>, RecordError> {
    if text.contains('=') {
        return Err(RecordError::InvalidField {
            what: "base64url",
            why: "padding '=' is not allowed".into(),
        });
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .map_err(|e| RecordError::InvalidField {
            what: "base64url",
            why: e.to_string(),
        })
}

// ---------------------------------------------------------------------------------------------
// Card id

/// A card id: the first [`ID_BYTES`] bytes of SHA-256(Ed25519 public key) in uppercase base32
/// ([`ID_CHARS`] characters). Parsing accepts lower case; display is always upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardId(String);

impl CardId {
    /// The id belonging to a public key.
    pub fn from_public_key(public_key: &[u8; 32]) -> CardId {
        let digest = Sha256::digest(public_key);
        CardId(base32_encode(&digest[..ID_BYTES]))
    }

    /// Parses an id, case-insensitively.
    pub fn parse(text: &str) -> Result<CardId, RecordError> {
        // 16 base32 characters are exactly 80 bits = ID_BYTES bytes (no padding, no spare
        // bits), so every string of 16 alphabet characters decodes: checking the alphabet is
        // the whole check, without decoding (this runs for every id of a sync request).
        let trimmed = text.trim();
        let valid = trimmed.len() == ID_CHARS
            && trimmed
                .bytes()
                .all(|b| matches!(b.to_ascii_uppercase(), b'A'..=b'Z' | b'2'..=b'7'));
        if valid {
            Ok(CardId(trimmed.to_ascii_uppercase()))
        } else {
            Err(RecordError::InvalidId(excerpt(text)))
        }
    }

    /// The canonical (uppercase) text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 10 raw bytes.
    pub fn to_bytes(&self) -> [u8; ID_BYTES] {
        let mut out = [0u8; ID_BYTES];
        // Invariant: a CardId is only built from valid base32 of ID_BYTES bytes.
        if let Ok(bytes) = BASE32.decode(self.0.as_bytes()) {
            out.copy_from_slice(&bytes[..ID_BYTES]);
        }
        out
    }

    /// Checks that this id belongs to `public_key`.
    pub fn check_key(&self, public_key: &[u8; 32]) -> Result<(), RecordError> {
        let expected = CardId::from_public_key(public_key);
        if &expected == self {
            Ok(())
        } else {
            Err(RecordError::KeyMismatch {
                id: self.0.clone(),
                expected: expected.0,
            })
        }
    }
}

impl fmt::Display for CardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CardId {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CardId::parse(s)
    }
}

impl Serialize for CardId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CardId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CardId::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Signed messages

fn push_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The bytes a record signature covers:
/// `lp("livecard-record-v1") || lp(id) || u64be(version) || lp(nonce) || lp(ciphertext)`,
/// where `lp(x) = u32be(len(x)) || x` and `id` is the uppercase ASCII id.
pub fn record_signing_message(
    id: &CardId,
    version: u64,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + ciphertext.len());
    push_lp(&mut m, RECORD_DOMAIN);
    push_lp(&mut m, id.as_str().as_bytes());
    m.extend_from_slice(&version.to_be_bytes());
    push_lp(&mut m, nonce);
    push_lp(&mut m, ciphertext);
    m
}

/// The bytes a deletion signature covers:
/// `lp("livecard-delete-v1") || lp(id) || u64be(version)`.
pub fn delete_signing_message(id: &CardId, version: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(64);
    push_lp(&mut m, DELETE_DOMAIN);
    push_lp(&mut m, id.as_str().as_bytes());
    m.extend_from_slice(&version.to_be_bytes());
    m
}

/// The AES-GCM associated data: `ASCII(id) || u64be(version)` — a ciphertext cannot be moved to
/// another id or version.
pub fn record_aad(id: &CardId, version: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(ID_CHARS + 8);
    aad.extend_from_slice(id.as_str().as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

fn check_version(version: u64) -> Result<(), RecordError> {
    if version == 0 || version > MAX_VERSION {
        Err(RecordError::VersionOutOfRange(version))
    } else {
        Ok(())
    }
}

fn verify_sig(
    public_key: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> Result<(), RecordError> {
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| RecordError::BadPublicKey)?;
    let sig = Signature::from_bytes(signature);
    key.verify_strict(message, &sig)
        .map_err(|_| RecordError::BadSignature)
}

// ---------------------------------------------------------------------------------------------
// Records

/// An encrypted, signed card: the only form in which a card leaves its owner's device.
///
/// JSON (HTTP API): `{"id": "<base32>", "public_key": "<b64url>", "version": <int>,
/// "nonce": "<b64url>", "ciphertext": "<b64url>", "signature": "<b64url>"}`.
/// Holding a `SealedRecord` gives no way to read the card: that needs the share secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct SealedRecord {
    pub id: CardId,
    #[serde(with = "b64_fixed")]
    pub public_key: [u8; 32],
    pub version: u64,
    #[serde(with = "b64_fixed")]
    pub nonce: [u8; NONCE_BYTES],
    #[serde(with = "b64_vec")]
    pub ciphertext: Vec<u8>,
    #[serde(with = "b64_fixed")]
    pub signature: [u8; 64],
}

impl SealedRecord {
    /// Checks what anyone can check without the share secret: the version range, that the id
    /// belongs to the public key, that the ciphertext holds at least a tag, and the signature.
    pub fn verify(&self) -> Result<(), RecordError> {
        check_version(self.version)?;
        self.id.check_key(&self.public_key)?;
        if self.ciphertext.len() < TAG_BYTES {
            return Err(RecordError::TooShort);
        }
        let msg = record_signing_message(&self.id, self.version, &self.nonce, &self.ciphertext);
        verify_sig(&self.public_key, &msg, &self.signature)
    }

    /// Refuses a ciphertext longer than `limit` bytes.
    pub fn check_size(&self, limit: usize) -> Result<(), RecordError> {
        if self.ciphertext.len() > limit {
            Err(RecordError::TooLarge {
                len: self.ciphertext.len(),
                limit,
            })
        } else {
            Ok(())
        }
    }

    /// A compact binary form (for NFC tags and offline QR codes):
    /// `0x01 || public_key(32) || u64be(version) || nonce(12) || signature(64) || ciphertext`.
    /// The id is not stored: it is derived from the key. 117 bytes + ciphertext.
    pub fn to_compact_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(117 + self.ciphertext.len());
        out.push(COMPACT_RECORD_V1);
        out.extend_from_slice(&self.public_key);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses [`SealedRecord::to_compact_bytes`]. Does not verify: call [`SealedRecord::verify`].
    pub fn from_compact_bytes(bytes: &[u8]) -> Result<SealedRecord, RecordError> {
        const HEAD: usize = 1 + 32 + 8 + NONCE_BYTES + 64;
        let bad = |why: &str| RecordError::InvalidField {
            what: "compact record",
            why: why.to_string(),
        };
        if bytes.first() != Some(&COMPACT_RECORD_V1) {
            return Err(bad("unknown format byte (expected 0x01)"));
        }
        if bytes.len() < HEAD + TAG_BYTES {
            return Err(bad("too short"));
        }
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(&bytes[1..33]);
        let mut v = [0u8; 8];
        v.copy_from_slice(&bytes[33..41]);
        let mut nonce = [0u8; NONCE_BYTES];
        nonce.copy_from_slice(&bytes[41..53]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[53..117]);
        Ok(SealedRecord {
            id: CardId::from_public_key(&public_key),
            public_key,
            version: u64::from_be_bytes(v),
            nonce,
            ciphertext: bytes[HEAD..].to_vec(),
            signature,
        })
    }
}

/// A signed deletion: the owner's statement that the card `id` is gone as of `version`.
///
/// JSON: `{"id", "public_key", "version", "signature"}` (bytes base64url). The server keeps it
/// forever so that no replay of an older record can bring the card back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Tombstone {
    pub id: CardId,
    #[serde(with = "b64_fixed")]
    pub public_key: [u8; 32],
    pub version: u64,
    #[serde(with = "b64_fixed")]
    pub signature: [u8; 64],
}

impl Tombstone {
    /// Checks the version range, that the id belongs to the key, and the signature.
    pub fn verify(&self) -> Result<(), RecordError> {
        check_version(self.version)?;
        self.id.check_key(&self.public_key)?;
        verify_sig(
            &self.public_key,
            &delete_signing_message(&self.id, self.version),
            &self.signature,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP API v1 bodies

/// Path prefix of the card endpoints.
pub const CARDS_PATH: &str = "/v1/cards";
/// Path of batch sync.
pub const SYNC_PATH: &str = "/v1/sync";
/// Path of the server description.
pub const INFO_PATH: &str = "/v1/info";

/// `/v1/cards/{id}`.
pub fn card_path(id: &CardId) -> String {
    format!("{CARDS_PATH}/{id}")
}

/// The ETag of a record version: `"<version>"` (a strong validator, with quotes).
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// Parses an ETag made by [`etag`] (also tolerates a weak `W/` prefix).
pub fn parse_etag(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

/// Answer to `PUT /v1/cards/{id}` (201 when created, 200 when updated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PutResponse {
    pub id: CardId,
    pub version: u64,
    pub created: bool,
}

/// Answer to `DELETE /v1/cards/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct DeleteResponse {
    pub id: CardId,
    pub version: u64,
    pub deleted: bool,
}

/// One card a client holds, with the version it has (0 = none yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct SyncItem {
    pub id: CardId,
    pub version: u64,
}

/// Body of `POST /v1/sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct SyncRequest {
    pub cards: Vec<SyncItem>,
}

/// Answer to `POST /v1/sync`: only what differs from what the client holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct SyncResponse {
    /// Records whose stored version is higher than the client's.
    pub changed: Vec<SealedRecord>,
    /// Cards deleted by their owner (signed tombstones), whatever version the client holds.
    pub gone: Vec<Tombstone>,
    /// Ids the server has never stored.
    pub unknown: Vec<CardId>,
    /// True when `changed` was cut to keep the answer small: apply it and sync again.
    #[serde(default)]
    pub truncated: bool,
}

/// Answer to `GET /v1/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ServerInfo {
    pub protocol: String,
    pub public_url: String,
    pub max_ciphertext_bytes: usize,
    pub max_body_bytes: usize,
    pub max_sync_ids: usize,
}

/// Stable error codes of the API (docs/PROTOCOL.md lists them with their HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not JSON / not valid UTF-8 / truncated.
    MalformedJson,
    /// 400: JSON, but not the expected shape (missing field, wrong type, bad base64, bad id).
    InvalidRequest,
    /// 415: `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// 400: the id in the path differs from the id in the body.
    IdMismatch,
    /// 403: the id does not belong to the public key, or the key differs from the stored one.
    KeyMismatch,
    /// 403: the signature does not verify.
    BadSignature,
    /// 400: version 0 or above 2^53 − 1.
    InvalidVersion,
    /// 409: the version is not higher than the stored one (`current_version` says which is).
    StaleVersion,
    /// 404: no card with this id.
    NotFound,
    /// 410: the card was deleted by its owner (the body carries the tombstone).
    Gone,
    /// 413: the ciphertext exceeds the record limit.
    RecordTooLarge,
    /// 413: the request body exceeds the body limit.
    BodyTooLarge,
    /// 413: more ids in one sync request than allowed.
    TooManyIds,
    /// 429: too many requests from this client; retry after `Retry-After` seconds.
    RateLimited,
    /// 408: the request took too long.
    Timeout,
    /// 405: method not allowed on this path.
    MethodNotAllowed,
    /// 404: no such endpoint.
    NoSuchRoute,
    /// 503: the database is unavailable.
    Unavailable,
    /// 503: the server holds as many connections as it allows (from this address or in all).
    TooManyConnections,
    /// 507: the server's disk is full; nothing was stored.
    InsufficientStorage,
    /// 500: something failed inside the server (details only in its log).
    Internal,
    /// 429 (this client address holds too many watch streams) or 503 (the server holds as many
    /// streams as it allows in all).
    TooManyStreams,
    /// 413: a sealed inbox message is larger than [`MAX_SEALED_BYTES`].
    MessageTooLarge,
    /// 409: the inbox message was sealed to a key id that is not the card's current inbox key.
    InboxKeyRotated,
    /// 409: this exact sealed message was delivered before.
    DuplicateMessage,
    /// 507: the card's inbox holds as many pending messages as it allows.
    InboxFull,
    /// 400: the signed time of an inbox take is too far from the server's clock.
    ClockSkew,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 27] = [
        ErrorCode::MalformedJson,
        ErrorCode::InvalidRequest,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::IdMismatch,
        ErrorCode::KeyMismatch,
        ErrorCode::BadSignature,
        ErrorCode::InvalidVersion,
        ErrorCode::StaleVersion,
        ErrorCode::NotFound,
        ErrorCode::Gone,
        ErrorCode::RecordTooLarge,
        ErrorCode::BodyTooLarge,
        ErrorCode::TooManyIds,
        ErrorCode::RateLimited,
        ErrorCode::Timeout,
        ErrorCode::MethodNotAllowed,
        ErrorCode::NoSuchRoute,
        ErrorCode::Unavailable,
        ErrorCode::TooManyConnections,
        ErrorCode::InsufficientStorage,
        ErrorCode::Internal,
        ErrorCode::TooManyStreams,
        ErrorCode::MessageTooLarge,
        ErrorCode::InboxKeyRotated,
        ErrorCode::DuplicateMessage,
        ErrorCode::InboxFull,
        ErrorCode::ClockSkew,
    ];

    /// The code as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::IdMismatch => "id_mismatch",
            ErrorCode::KeyMismatch => "key_mismatch",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::InvalidVersion => "invalid_version",
            ErrorCode::StaleVersion => "stale_version",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Gone => "gone",
            ErrorCode::RecordTooLarge => "record_too_large",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::TooManyIds => "too_many_ids",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Timeout => "timeout",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::NoSuchRoute => "no_such_route",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::TooManyConnections => "too_many_connections",
            ErrorCode::InsufficientStorage => "insufficient_storage",
            ErrorCode::Internal => "internal",
            ErrorCode::TooManyStreams => "too_many_streams",
            ErrorCode::MessageTooLarge => "message_too_large",
            ErrorCode::InboxKeyRotated => "inbox_key_rotated",
            ErrorCode::DuplicateMessage => "duplicate_message",
            ErrorCode::InboxFull => "inbox_full",
            ErrorCode::ClockSkew => "clock_skew",
        }
    }

    /// The HTTP status that carries this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedJson
            | ErrorCode::InvalidRequest
            | ErrorCode::IdMismatch
            | ErrorCode::InvalidVersion
            | ErrorCode::ClockSkew => 400,
            ErrorCode::KeyMismatch | ErrorCode::BadSignature => 403,
            ErrorCode::NotFound | ErrorCode::NoSuchRoute => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Timeout => 408,
            ErrorCode::StaleVersion | ErrorCode::InboxKeyRotated | ErrorCode::DuplicateMessage => {
                409
            }
            ErrorCode::Gone => 410,
            ErrorCode::RecordTooLarge
            | ErrorCode::BodyTooLarge
            | ErrorCode::TooManyIds
            | ErrorCode::MessageTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            // The server answers 503 instead when its total stream cap (not this address's)
            // is reached.
            ErrorCode::RateLimited | ErrorCode::TooManyStreams => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable | ErrorCode::TooManyConnections => 503,
            ErrorCode::InsufficientStorage | ErrorCode::InboxFull => 507,
        }
    }

    /// The code a [`RecordError`] maps to when a server refuses a record or tombstone.
    pub fn for_record_error(e: &RecordError) -> ErrorCode {
        match e {
            RecordError::KeyMismatch { .. } | RecordError::BadPublicKey => ErrorCode::KeyMismatch,
            RecordError::BadSignature => ErrorCode::BadSignature,
            RecordError::VersionOutOfRange(_) => ErrorCode::InvalidVersion,
            RecordError::TooLarge { .. } => ErrorCode::RecordTooLarge,
            _ => ErrorCode::InvalidRequest,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` member of every refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// With `stale_version`: the version the server holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

/// Every refusal: `{"error": {"code": "...", "message": "...", ["current_version": N]},
/// ["tombstone": {...}]}` (the tombstone comes with `gone`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ApiError,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tombstone: Option<Tombstone>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ApiError {
                code,
                message: message.into(),
                current_version: None,
            },
            tombstone: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Push channel (v1 addition, docs/PROTOCOL.md §6): `POST /v1/watch`, Server-Sent Events

/// Path of the watch stream (body: [`WatchRequest`], answer: `text/event-stream`).
pub const WATCH_PATH: &str = "/v1/watch";
/// Default limit on ids in one watch request.
pub const DEFAULT_MAX_WATCH_IDS: usize = 1_000;
/// Default seconds between heartbeat comments (`: hb`).
pub const DEFAULT_WATCH_HEARTBEAT_SECS: u64 = 20;
/// Default longest life of one stream, in seconds; clients reconnect after it ends.
pub const DEFAULT_WATCH_MAX_SECS: u64 = 3_600;
/// SSE event name: the subscription is live ([`WatchReady`]).
pub const EVENT_READY: &str = "ready";
/// SSE event name: a newer record was stored ([`WatchChange`]).
pub const EVENT_VERSION: &str = "version";
/// SSE event name: the card was deleted ([`WatchChange`] with the tombstone's version).
pub const EVENT_GONE: &str = "gone";
/// SSE event name: the server may have missed changes; the client runs one batch sync (data `{}`).
pub const EVENT_RESYNC: &str = "resync";
/// The heartbeat comment line (followed by a blank line).
pub const WATCH_HEARTBEAT: &str = ": hb";

/// Body of `POST /v1/watch`: the same shape as [`SyncRequest`] (`{"cards":[{"id","version"}]}`,
/// version 0 = "I have none").
pub type WatchRequest = SyncRequest;

/// Data of the `ready` event: how many ids the stream watches and the heartbeat interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct WatchReady {
    pub ids: usize,
    pub heartbeat_secs: u64,
}

/// Data of a `version` or `gone` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct WatchChange {
    pub id: CardId,
    pub version: u64,
}

/// Data of a `resync` event: `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct WatchResync {}

/// One parsed server-sent event of a watch stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    Ready(WatchReady),
    Version(WatchChange),
    Gone(WatchChange),
    Resync,
}

impl WatchEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            WatchEvent::Ready(_) => EVENT_READY,
            WatchEvent::Version(_) => EVENT_VERSION,
            WatchEvent::Gone(_) => EVENT_GONE,
            WatchEvent::Resync => EVENT_RESYNC,
        }
    }

    /// The event as SSE text: `event: NAME\ndata: JSON\n\n`.
    pub fn to_sse(&self) -> String {
        let data = match self {
            WatchEvent::Ready(r) => serde_json::to_string(r),
            WatchEvent::Version(c) | WatchEvent::Gone(c) => serde_json::to_string(c),
            WatchEvent::Resync => serde_json::to_string(&WatchResync {}),
        }
        .unwrap_or_else(|_| "{}".to_string());
        format!("event: {}\ndata: {data}\n\n", self.name())
    }

    /// Parses one event from its name and data (the joined `data:` lines). An unknown event
    /// name is `Ok(None)` (a newer server may send more kinds; old clients skip them).
    pub fn parse(name: &str, data: &str) -> Result<Option<WatchEvent>, JsonError> {
        Ok(Some(match name {
            EVENT_READY => WatchEvent::Ready(from_json(data.as_bytes())?),
            EVENT_VERSION => WatchEvent::Version(from_json(data.as_bytes())?),
            EVENT_GONE => WatchEvent::Gone(from_json(data.as_bytes())?),
            EVENT_RESYNC => {
                from_json::<WatchResync>(data.as_bytes())?;
                WatchEvent::Resync
            }
            _ => return Ok(None),
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Inbox (v1 addition, docs/PROTOCOL.md §6): sealed messages to a card's owner

/// Domain tag of an inbox registration signature.
pub const INBOX_DOMAIN: &[u8] = b"livecard-inbox-v1";
/// Domain tag of an inbox take signature.
pub const INBOX_TAKE_DOMAIN: &[u8] = b"livecard-inbox-take-v1";
/// HKDF info of the inbox sealing key.
pub const INBOX_HKDF_INFO: &[u8] = b"livecard v1 inbox";
/// Format byte of a sealed inbox message.
pub const SEALED_MESSAGE_V1: u8 = 1;
/// Bytes before the ciphertext of a sealed message: format byte, ephemeral key, nonce.
pub const SEALED_MESSAGE_HEAD: usize = 1 + 32 + NONCE_BYTES;
/// Largest sealed message the server accepts.
pub const MAX_SEALED_BYTES: usize = 2_048;
/// Longest note (characters) in an inbox message.
pub const MAX_INBOX_NOTE_CHARS: usize = 280;
/// Default limit on pending messages per card.
pub const DEFAULT_MAX_INBOX_PENDING: usize = 100;
/// Most messages one take answers.
pub const MAX_TAKE_MESSAGES: usize = 100;
/// Default days a message waits before it expires.
pub const DEFAULT_INBOX_TTL_DAYS: u64 = 30;
/// Largest difference between a take's signed time and the server's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// Bytes of a key id (first bytes of SHA-256 of the inbox public key).
pub const INBOX_KEY_ID_BYTES: usize = 16;
/// Longest message id a take's `ack` may name (characters).
pub const MAX_MSG_ID_CHARS: usize = 64;

/// `/v1/cards/{id}/inbox` (PUT: register, POST: send).
pub fn inbox_path(id: &CardId) -> String {
    format!("{CARDS_PATH}/{id}/inbox")
}

/// `/v1/cards/{id}/inbox/take`.
pub fn inbox_take_path(id: &CardId) -> String {
    format!("{CARDS_PATH}/{id}/inbox/take")
}

/// The id of an inbox public key: the first 16 bytes of SHA-256(X25519 public key); base64url
/// (22 characters) in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InboxKeyId(pub [u8; INBOX_KEY_ID_BYTES]);

impl InboxKeyId {
    /// The key id of an X25519 inbox public key.
    pub fn from_public_key(inbox_public_key: &[u8; 32]) -> InboxKeyId {
        let digest = Sha256::digest(inbox_public_key);
        let mut out = [0u8; INBOX_KEY_ID_BYTES];
        out.copy_from_slice(&digest[..INBOX_KEY_ID_BYTES]);
        InboxKeyId(out)
    }

    /// Parses the base64url text (exactly 16 bytes).
    pub fn parse(text: &str) -> Result<InboxKeyId, RecordError> {
        let bytes = b64url_decode(text)?;
        <[u8; INBOX_KEY_ID_BYTES]>::try_from(bytes.as_slice())
            .map(InboxKeyId)
            .map_err(|_| RecordError::InvalidField {
                what: "key_id",
                why: format!("expected {INBOX_KEY_ID_BYTES} bytes, got {}", bytes.len()),
            })
    }

    pub fn as_bytes(&self) -> &[u8; INBOX_KEY_ID_BYTES] {
        &self.0
    }
}

impl fmt::Display for InboxKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64url_encode(&self.0))
    }
}

impl Serialize for InboxKeyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for InboxKeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        InboxKeyId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The bytes an inbox registration signature covers:
/// `lp("livecard-inbox-v1") || lp(ASCII(id)) || u64be(epoch) || lp(key_id (16 bytes))`.
pub fn inbox_register_signing_message(id: &CardId, epoch: u64, key_id: &InboxKeyId) -> Vec<u8> {
    let mut m = Vec::with_capacity(80);
    push_lp(&mut m, INBOX_DOMAIN);
    push_lp(&mut m, id.as_str().as_bytes());
    m.extend_from_slice(&epoch.to_be_bytes());
    push_lp(&mut m, &key_id.0);
    m
}

/// The bytes an inbox take signature covers:
/// `lp("livecard-inbox-take-v1") || lp(ASCII(id)) || u64be(time) || for each ack: lp(ASCII(msg_id))`.
pub fn inbox_take_signing_message(id: &CardId, time: u64, ack: &[String]) -> Vec<u8> {
    let mut m = Vec::with_capacity(80 + ack.len() * 28);
    push_lp(&mut m, INBOX_TAKE_DOMAIN);
    push_lp(&mut m, id.as_str().as_bytes());
    m.extend_from_slice(&time.to_be_bytes());
    for msg_id in ack {
        push_lp(&mut m, msg_id.as_bytes());
    }
    m
}

/// The AES-GCM associated data of a sealed inbox message: `ASCII(id) || key_id (16 bytes)`.
pub fn inbox_aad(id: &CardId, key_id: &InboxKeyId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(ID_CHARS + INBOX_KEY_ID_BYTES);
    aad.extend_from_slice(id.as_str().as_bytes());
    aad.extend_from_slice(&key_id.0);
    aad
}

/// Checks what anyone can check of a sealed inbox message without its key: the format byte,
/// that it holds the head and at least a tag, and the size limit. The server calls this;
/// opening is the owner's (crate `crypto`, feature `secret`).
pub fn check_sealed_message(sealed: &[u8]) -> Result<(), RecordError> {
    if sealed.len() > MAX_SEALED_BYTES {
        return Err(RecordError::TooLarge {
            len: sealed.len(),
            limit: MAX_SEALED_BYTES,
        });
    }
    if sealed.first() != Some(&SEALED_MESSAGE_V1) {
        return Err(RecordError::InvalidField {
            what: "sealed",
            why: "unknown format byte (expected 0x01)".into(),
        });
    }
    if sealed.len() < SEALED_MESSAGE_HEAD + TAG_BYTES {
        return Err(RecordError::InvalidField {
            what: "sealed",
            why: "too short".into(),
        });
    }
    Ok(())
}

/// Body of `PUT /v1/cards/{id}/inbox` (owner): registers the inbox key id for `epoch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InboxRegister {
    pub id: CardId,
    pub epoch: u64,
    pub key_id: InboxKeyId,
    #[serde(with = "b64_fixed")]
    pub signature: [u8; 64],
}

impl InboxRegister {
    /// Checks the signature against the card's public key (the one the server stores).
    pub fn verify(&self, card_public_key: &[u8; 32]) -> Result<(), RecordError> {
        self.id.check_key(card_public_key)?;
        let msg = inbox_register_signing_message(&self.id, self.epoch, &self.key_id);
        verify_sig(card_public_key, &msg, &self.signature)
    }
}

/// Answer to `PUT /v1/cards/{id}/inbox`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InboxRegistered {
    pub id: CardId,
    pub epoch: u64,
}

/// Body of `POST /v1/cards/{id}/inbox` (anyone holding the card): one sealed message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InboxSend {
    pub key_id: InboxKeyId,
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

/// Answer to `POST /v1/cards/{id}/inbox` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InboxAccepted {
    pub accepted: bool,
    /// Unix seconds after which the message is dropped if not taken.
    pub expires: u64,
}

/// Body of `POST /v1/cards/{id}/inbox/take` (owner): acks what the last take delivered and
/// asks for what is pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InboxTake {
    pub id: CardId,
    /// Unix seconds; must be within [`MAX_CLOCK_SKEW_SECS`] of the server's clock.
    pub time: u64,
    /// Message ids to delete (delivered by an earlier take and stored by the client).
    pub ack: Vec<String>,
    #[serde(with = "b64_fixed")]
    pub signature: [u8; 64],
}

impl InboxTake {
    /// Checks the signature against the card's public key (the one the server stores).
    pub fn verify(&self, card_public_key: &[u8; 32]) -> Result<(), RecordError> {
        self.id.check_key(card_public_key)?;
        let msg = inbox_take_signing_message(&self.id, self.time, &self.ack);
        verify_sig(card_public_key, &msg, &self.signature)
    }
}

/// One pending message in a take's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InboxMessage {
    /// The server's id of the message (base64url); ack it on the next take.
    pub msg_id: String,
    /// Unix seconds when the server received it.
    pub received: u64,
    pub key_id: InboxKeyId,
    #[serde(with = "b64_vec")]
    pub sealed: Vec<u8>,
}

/// Answer to `POST /v1/cards/{id}/inbox/take`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct InboxTakeResponse {
    pub messages: Vec<InboxMessage>,
    /// True when more messages are pending than one answer holds: ack these and take again.
    #[serde(default)]
    pub truncated: bool,
}

// ---------------------------------------------------------------------------------------------
// Strict JSON: the one parser of every wire body (server, client, CLI)

/// Every wire type is a JSON **object**: serde would also accept a positional array for a struct
/// (`["ID", "key", 1, …]`); these impls ask the parser for a map only. Unknown members are
/// refused everywhere (`deny_unknown_fields`): a new member needs a new protocol version.
macro_rules! json_object {
    ($($t:ident),* $(,)?) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $t::serialize(self, s)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct ObjectOnly;
                impl<'de> serde::de::Visitor<'de> for ObjectOnly {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        map: A,
                    ) -> Result<$t, A::Error> {
                        $t::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                d.deserialize_map(ObjectOnly)
            }
        }
    )*};
}

json_object!(
    SealedRecord,
    Tombstone,
    PutResponse,
    DeleteResponse,
    SyncItem,
    SyncRequest,
    SyncResponse,
    ServerInfo,
    ApiError,
    ErrorBody,
    WatchReady,
    WatchChange,
    WatchResync,
    InboxRegister,
    InboxRegistered,
    InboxSend,
    InboxAccepted,
    InboxTake,
    InboxMessage,
    InboxTakeResponse,
);

/// Longest piece of client input quoted back in an error message.
pub const MAX_EXCERPT_CHARS: usize = 32;
/// Longest error message made from a JSON parse error.
pub const MAX_JSON_MESSAGE_CHARS: usize = 160;

/// At most [`MAX_EXCERPT_CHARS`] characters of `text`, with `…` when cut.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_EXCERPT_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// `Content-Type` of a wire body: `application/json` (any case), with at most a
/// `charset=utf-8` parameter. `+json` suffixes and other types are not JSON here.
pub fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|p| {
        let p = p.trim();
        match p.split_once('=') {
            Some((k, v)) => {
                k.trim().eq_ignore_ascii_case("charset")
                    && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            None => p.is_empty(),
        }
    })
}

/// Why a wire body did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all: a syntax error, truncated, not UTF-8, trailing bytes.
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// JSON of the wrong shape: an array for an object, a missing or unknown member, a wrong
    /// type, bad base64url, a bad id, a wrong byte length.
    #[error("{0}")]
    Shape(String),
}

/// Parses one wire body strictly ([`json_object!`] types, unknown members refused). The
/// message is short and safe to send back: no parser position, no type names, at most
/// [`MAX_EXCERPT_CHARS`] characters of each piece of input it quotes.
pub fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let message = json_message(&e);
        match e.classify() {
            serde_json::error::Category::Data => JsonError::Shape(message),
            _ => JsonError::Syntax(message),
        }
    })
}

/// serde_json's text made safe for a client: without " at line N column M", Rust type names
/// replaced, every quoted piece of input cut to [`MAX_EXCERPT_CHARS`], the whole capped.
fn json_message(e: &serde_json::Error) -> String {
    let mut text = e.to_string();
    if let Some(at) = text.rfind(" at line ") {
        text.truncate(at);
    }
    for (rust, plain) in [
        ("u64", "a whole number"),
        ("u32", "a whole number"),
        ("usize", "a whole number"),
        ("a boolean", "true or false"),
    ] {
        text = text.replace(&format!("expected {rust}"), &format!("expected {plain}"));
    }
    let mut out = String::with_capacity(text.len().min(MAX_JSON_MESSAGE_CHARS + 4));
    let mut quote: Option<char> = None;
    let mut run = 0usize;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push(c);
            }
            Some(_) => {
                run += 1;
                if run <= MAX_EXCERPT_CHARS {
                    out.push(c);
                } else if run == MAX_EXCERPT_CHARS + 1 {
                    out.push('…');
                }
            }
            None => {
                if c == '`' || c == '"' {
                    quote = Some(c);
                    run = 0;
                }
                out.push(c);
            }
        }
    }
    if out.chars().count() > MAX_JSON_MESSAGE_CHARS {
        out = out.chars().take(MAX_JSON_MESSAGE_CHARS).collect();
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// serde helpers

mod b64_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::b64url_encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::b64url_decode(&s).map_err(serde::de::Error::custom)
    }
}

mod b64_fixed {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::b64url_encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = super::b64url_decode(&s).map_err(serde::de::Error::custom)?;
        <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
            serde::de::Error::custom(format!("expected {N} bytes, got {}", bytes.len()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_parse_is_case_insensitive_and_strict() {
        let key = [7u8; 32];
        let id = CardId::from_public_key(&key);
        assert_eq!(id.as_str().len(), ID_CHARS);
        assert_eq!(id.as_str(), id.as_str().to_ascii_uppercase());
        assert_eq!(
            CardId::parse(&id.as_str().to_ascii_lowercase()).unwrap(),
            id
        );
        assert!(CardId::parse("ABC").is_err());
        assert!(CardId::parse("0000000000000000").is_err()); // 0 is not base32
        assert!(CardId::parse("AAAAAAAAAAAAAAA=").is_err());
        // The alphabet check agrees with decoding: every character, either case, trimmed.
        for c in (0u8..=255).map(char::from) {
            let text = format!(" {}{c}\t", "A".repeat(ID_CHARS - 1));
            let decodes = base32_decode(text.trim()).is_ok_and(|b| b.len() == ID_BYTES);
            assert_eq!(CardId::parse(&text).is_ok(), decodes, "{c:?}");
        }
        assert_eq!(
            CardId::parse(" zyxw2345abcdefgh\n").unwrap().as_str(),
            "ZYXW2345ABCDEFGH"
        );
        assert_eq!(CardId::from_public_key(&key).to_bytes().len(), ID_BYTES);
        assert!(id.check_key(&[8u8; 32]).is_err());
    }

    #[test]
    fn base32_round_trip_and_lowercase() {
        let bytes: Vec<u8> = (0u8..16).collect();
        let text = base32_encode(&bytes);
        assert_eq!(text.len(), 26);
        assert_eq!(base32_decode(&text.to_lowercase()).unwrap(), bytes);
        assert!(base32_decode("A1").is_err());
    }

    #[test]
    fn etag_round_trip() {
        assert_eq!(etag(42), "\"42\"");
        assert_eq!(parse_etag("\"42\""), Some(42));
        assert_eq!(parse_etag("W/\"42\""), Some(42));
        assert_eq!(parse_etag("42"), None);
    }

    #[test]
    fn record_json_rejects_wrong_lengths() {
        let json = r#"{"id":"AAAAAAAAAAAAAAAA","public_key":"AAAA","version":1,"nonce":"AAAAAAAAAAAAAAAA","ciphertext":"","signature":""}"#;
        let err = serde_json::from_str::<SealedRecord>(json).unwrap_err();
        assert!(err.to_string().contains("expected 32 bytes"), "{err}");
    }

    fn record_json() -> serde_json::Value {
        serde_json::json!({
            "id": "AAAAAAAAAAAAAAAA",
            "public_key": b64url_encode(&[1u8; 32]),
            "version": 1,
            "nonce": b64url_encode(&[2u8; 12]),
            "ciphertext": b64url_encode(&[3u8; 17]),
            "signature": b64url_encode(&[4u8; 64]),
        })
    }

    #[test]
    fn wire_bodies_are_objects_only() {
        let obj = record_json();
        let rec: SealedRecord = from_json(obj.to_string().as_bytes()).expect("object parses");
        assert_eq!(rec.version, 1);
        let order = [
            "id",
            "public_key",
            "version",
            "nonce",
            "ciphertext",
            "signature",
        ];
        let array = serde_json::Value::Array(order.iter().map(|k| obj[k].clone()).collect());
        let err = from_json::<SealedRecord>(array.to_string().as_bytes()).unwrap_err();
        assert!(matches!(err, JsonError::Shape(_)), "{err:?}");
        assert!(err.to_string().contains("a JSON object"), "{err}");
        let tomb = r#"["AAAAAAAAAAAAAAAA","AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",2,"x"]"#;
        assert!(from_json::<Tombstone>(tomb.as_bytes()).is_err());
        assert!(from_json::<SyncRequest>(br#"[[]]"#).is_err());
        assert!(from_json::<SyncRequest>(br#"{"cards":[["AAAAAAAAAAAAAAAA",1]]}"#).is_err());
        assert!(
            from_json::<SyncRequest>(br#"{"cards":[{"id":"AAAAAAAAAAAAAAAA","version":1}]}"#)
                .is_ok()
        );
        // Unknown and duplicate members are refused.
        let mut extra = obj.clone();
        extra["note"] = serde_json::json!("x");
        assert!(from_json::<SealedRecord>(extra.to_string().as_bytes()).is_err());
        let dup = br#"{"cards":[],"cards":[]}"#;
        assert!(from_json::<SyncRequest>(dup).is_err());
        // Serialisation is unchanged: an object with the members in declaration order.
        assert_eq!(serde_json::to_value(&rec).unwrap(), obj);
    }

    #[test]
    fn base64url_is_unpadded_only() {
        assert_eq!(b64url_decode("AQI").unwrap(), vec![1, 2]);
        for bad in ["AQI=", "AQ==", "AQI===", "AQ I", "AQI\n", "AQ+/", "AQJ"] {
            assert!(b64url_decode(bad).is_err(), "{bad:?} accepted");
        }
        let mut padded = record_json();
        padded["nonce"] = serde_json::json!(format!("{}=", b64url_encode(&[2u8; 11])));
        assert!(from_json::<SealedRecord>(padded.to_string().as_bytes()).is_err());
    }

    #[test]
    fn json_media_type_is_exact() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "application/vnd.evil+json",
            "text/json",
            "application/jsonx",
            "application/json; charset=latin1",
            "application/json; boundary=x",
            "",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn json_errors_are_short_and_name_no_types() {
        let long = "A".repeat(8000);
        let bodies = [
            format!(r#"{{"cards":[{{"id":"{long}","version":1}}]}}"#),
            format!(r#"{{"cards":[{{"id":"AAAAAAAAAAAAAAAA","version":"{long}"}}]}}"#),
            format!(r#"{{"{long}":1}}"#),
            "[1,2,3]".to_string(),
            "{".to_string(),
        ];
        for b in bodies {
            let err = from_json::<SyncRequest>(b.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.chars().count() <= MAX_JSON_MESSAGE_CHARS + 20, "{err}");
            assert!(!err.contains(&"A".repeat(MAX_EXCERPT_CHARS + 1)), "{err}");
            for leak in [
                "struct",
                "SyncRequest",
                "SyncItem",
                "serde",
                "line 1",
                "u64",
            ] {
                assert!(!err.contains(leak), "{leak} in {err}");
            }
        }
    }

    #[test]
    fn watch_events_round_trip_as_sse() {
        let id = CardId::from_public_key(&[7u8; 32]);
        let events = [
            WatchEvent::Ready(WatchReady {
                ids: 3,
                heartbeat_secs: 20,
            }),
            WatchEvent::Version(WatchChange {
                id: id.clone(),
                version: 4,
            }),
            WatchEvent::Gone(WatchChange { id, version: 5 }),
            WatchEvent::Resync,
        ];
        for e in events {
            let text = e.to_sse();
            let mut lines = text.lines();
            let name = lines.next().unwrap().strip_prefix("event: ").unwrap();
            let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
            assert!(text.ends_with("\n\n"), "{text:?}");
            assert_eq!(WatchEvent::parse(name, data).unwrap(), Some(e));
        }
        assert_eq!(WatchEvent::parse("future", "{}").unwrap(), None);
        assert!(WatchEvent::parse("resync", "{\"x\":1}").is_err());
        assert!(WatchEvent::parse("version", "[\"AAAAAAAAAAAAAAAA\",1]").is_err());
    }

    #[test]
    fn inbox_signatures_verify_and_bind_every_member() {
        use ed25519_dalek::{Signer, SigningKey};
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let public = key.verifying_key().to_bytes();
        let id = CardId::from_public_key(&public);
        let key_id = InboxKeyId::from_public_key(&[5u8; 32]);
        assert_eq!(key_id.to_string().len(), 22);
        assert_eq!(InboxKeyId::parse(&key_id.to_string()).unwrap(), key_id);
        assert!(InboxKeyId::parse("AAAA").is_err());

        let msg = inbox_register_signing_message(&id, 2, &key_id);
        let reg = InboxRegister {
            id: id.clone(),
            epoch: 2,
            key_id,
            signature: key.sign(&msg).to_bytes(),
        };
        reg.verify(&public).expect("verifies");
        let json = serde_json::to_string(&reg).unwrap();
        assert_eq!(from_json::<InboxRegister>(json.as_bytes()).unwrap(), reg);
        let mut other = reg.clone();
        other.epoch = 3;
        assert_eq!(other.verify(&public), Err(RecordError::BadSignature));
        let mut other = reg.clone();
        other.key_id = InboxKeyId([1u8; 16]);
        assert_eq!(other.verify(&public), Err(RecordError::BadSignature));
        assert!(reg.verify(&[8u8; 32]).is_err());

        let ack = vec!["abc".to_string(), "def".to_string()];
        let take = InboxTake {
            id: id.clone(),
            time: 1_700_000_000,
            ack: ack.clone(),
            signature: key
                .sign(&inbox_take_signing_message(&id, 1_700_000_000, &ack))
                .to_bytes(),
        };
        take.verify(&public).expect("verifies");
        let mut other = take.clone();
        other.ack.pop();
        assert_eq!(other.verify(&public), Err(RecordError::BadSignature));
        let mut other = take.clone();
        other.ack = vec!["abcdef".to_string()];
        assert_eq!(other.verify(&public), Err(RecordError::BadSignature));
        let mut other = take;
        other.time += 1;
        assert_eq!(other.verify(&public), Err(RecordError::BadSignature));
    }

    #[test]
    fn inbox_bodies_are_strict() {
        let key_id = InboxKeyId([3u8; 16]).to_string();
        let ok = format!(r#"{{"key_id":"{key_id}","sealed":"AQID"}}"#);
        assert!(from_json::<InboxSend>(ok.as_bytes()).is_ok());
        let extra = format!(r#"{{"key_id":"{key_id}","sealed":"AQID","from":"x"}}"#);
        assert!(from_json::<InboxSend>(extra.as_bytes()).is_err());
        let padded = format!(r#"{{"key_id":"{key_id}","sealed":"AQI="}}"#);
        assert!(from_json::<InboxSend>(padded.as_bytes()).is_err());
        let short_key = r#"{"key_id":"AQID","sealed":"AQID"}"#;
        assert!(from_json::<InboxSend>(short_key.as_bytes()).is_err());

        let mut sealed = vec![SEALED_MESSAGE_V1];
        sealed.extend_from_slice(&[0u8; SEALED_MESSAGE_HEAD - 1 + TAG_BYTES]);
        check_sealed_message(&sealed).expect("head + tag is enough");
        assert!(check_sealed_message(&sealed[..sealed.len() - 1]).is_err());
        sealed[0] = 2;
        assert!(check_sealed_message(&sealed).is_err());
        let mut big = vec![SEALED_MESSAGE_V1];
        big.resize(MAX_SEALED_BYTES + 1, 0);
        assert!(matches!(
            check_sealed_message(&big),
            Err(RecordError::TooLarge { .. })
        ));
    }

    #[test]
    fn error_codes_are_stable_strings() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(code.http_status() >= 400);
        }
    }
}
