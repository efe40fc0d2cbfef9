//! Sealing and opening cards, keys, share secrets and share links (docs/PROTOCOL.md).
//!
//! Only compiled with the crate's `secret` feature (on by default). The sync server depends on
//! `livecard-format` with `default-features = false`, so it cannot name [`ShareSecret`],
//! [`CardKeys`], [`seal`] or [`open`]: "the server only ever holds ciphertext" is checked by the
//! compiler (`cargo check -p livecard-server --lib --bins`) and by a source scan test in the
//! server crate.
//!
//! - Key: `HKDF-SHA256(ikm = share secret (16 bytes), salt = ASCII id, info = "livecard v1
//!   card")` → 32 bytes → AES-256-GCM.
//! - Nonce: 12 random bytes. AAD: `ASCII(id) || u64be(version)`.
//! - Plaintext: the card as compact JSON (keys sorted, empty strings/arrays/objects left out),
//!   or — what [`seal`] writes when it is lossless — `0xC1` + the compact binary card
//!   (`exchange::record_plaintext`); [`open`] reads both.
//! - Signature: Ed25519 over [`crate::wire::record_signing_message`].

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use ed25519_dalek::{Signer, SigningKey};
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::card::Card;
use crate::wire::{
    base32_decode, base32_encode, delete_signing_message, record_aad, record_signing_message,
    CardId, RecordError, SealedRecord, Tombstone, MAX_VERSION, NONCE_BYTES,
};

/// Bytes of a share secret (128 bits; 26 base32 characters).
pub const SECRET_BYTES: usize = 16;
/// Characters of a share secret in base32.
pub const SECRET_CHARS: usize = 26;
/// HKDF `info` of the card key.
pub const HKDF_INFO: &[u8] = b"livecard v1 card";

/// A card's Ed25519 signing key. Its public half determines the card id.
#[derive(Clone)]
pub struct CardKeys {
    signing: SigningKey,
}

impl CardKeys {
    /// A new random key (OS randomness).
    pub fn generate() -> CardKeys {
        CardKeys {
            signing: SigningKey::generate(&mut OsRng),
        }
    }

    /// The key with this 32-byte seed (what the keystore holds).
    pub fn from_seed(seed: &[u8; 32]) -> CardKeys {
        CardKeys {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The 32-byte seed, for the keystore and key backups. Keep it secret.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The card id of this key.
    pub fn id(&self) -> CardId {
        CardId::from_public_key(&self.public_key())
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for CardKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardKeys {{ id: {}, .. }}", self.id())
    }
}

/// The random secret that lets its holders read a card. Travels only in a link's fragment.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ShareSecret([u8; SECRET_BYTES]);

impl ShareSecret {
    /// A new random secret (OS randomness).
    pub fn generate() -> ShareSecret {
        let mut bytes = [0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        ShareSecret(bytes)
    }

    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> ShareSecret {
        ShareSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; SECRET_BYTES] {
        &self.0
    }

    /// 26 uppercase base32 characters.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// Parses 26 base32 characters, case-insensitively.
    pub fn from_base32(text: &str) -> Result<ShareSecret, RecordError> {
        let bad = || RecordError::BadSecret(format!("expected {SECRET_CHARS} base32 characters"));
        if text.trim().len() != SECRET_CHARS {
            return Err(bad());
        }
        let bytes = base32_decode(text).map_err(|_| bad())?;
        let arr: [u8; SECRET_BYTES] = bytes.as_slice().try_into().map_err(|_| bad())?;
        Ok(ShareSecret(arr))
    }
}

impl fmt::Debug for ShareSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShareSecret(<redacted>)")
    }
}

/// The AES-256 key of card `id` under `secret`:
/// `HKDF-SHA256(ikm = secret, salt = ASCII(id), info = "livecard v1 card", L = 32)`.
pub fn derive_key(id: &CardId, secret: &ShareSecret) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(id.as_str().as_bytes()), secret.as_bytes());
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 255 * 32 byte maximum, so expand cannot fail.
    if hk.expand(HKDF_INFO, okm.as_mut()).is_err() {
        unreachable!("HKDF-SHA256 output of 32 bytes is always valid");
    }
    okm
}

/// The plaintext of a card: its JSON with keys sorted and empty strings, empty arrays, empty
/// objects and nulls left out (a reader treats a missing key as empty).
pub fn card_plaintext(card: &Card) -> Vec<u8> {
    let mut value = match serde_json::to_value(card) {
        Ok(v) => v,
        // Card has only strings, vectors and chrono dates: serialisation cannot fail.
        Err(_) => unreachable!("a Card always serialises to JSON"),
    };
    compact(&mut value);
    serde_json::to_vec(&value).unwrap_or_default()
}

fn compact(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                compact(v);
            }
            map.retain(|_, v| !is_empty(v));
            map.sort_keys();
        }
        Value::Array(items) => {
            for v in items.iter_mut() {
                compact(v);
            }
        }
        _ => {}
    }
}

fn is_empty(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Encrypts and signs `card` as `version` with a random nonce. The plaintext is the compact
/// binary card when that reads back exactly, else compact JSON
/// ([`crate::exchange::record_plaintext`]).
pub fn seal(
    card: &Card,
    keys: &CardKeys,
    secret: &ShareSecret,
    version: u64,
) -> Result<SealedRecord, RecordError> {
    let mut nonce = [0u8; NONCE_BYTES];
    OsRng.fill_bytes(&mut nonce);
    seal_plaintext(
        &crate::exchange::record_plaintext(card),
        keys,
        secret,
        version,
        nonce,
    )
}

/// Seals `card`'s compact JSON plaintext ([`card_plaintext`]) with a given nonce. Only for
/// test vectors (the v1 JSON ones): a nonce must never repeat under one key.
pub fn seal_with_nonce(
    card: &Card,
    keys: &CardKeys,
    secret: &ShareSecret,
    version: u64,
    nonce: [u8; NONCE_BYTES],
) -> Result<SealedRecord, RecordError> {
    seal_plaintext(&card_plaintext(card), keys, secret, version, nonce)
}

/// Encrypts and signs given plaintext bytes (the card's compact JSON).
pub fn seal_plaintext(
    plaintext: &[u8],
    keys: &CardKeys,
    secret: &ShareSecret,
    version: u64,
    nonce: [u8; NONCE_BYTES],
) -> Result<SealedRecord, RecordError> {
    if version == 0 || version > MAX_VERSION {
        return Err(RecordError::VersionOutOfRange(version));
    }
    let id = keys.id();
    let key = derive_key(&id, secret);
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(|_| RecordError::DecryptFailed)?;
    let aad = record_aad(&id, version);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| RecordError::DecryptFailed)?;
    let signature = keys.sign(&record_signing_message(&id, version, &nonce, &ciphertext));
    Ok(SealedRecord {
        id,
        public_key: keys.public_key(),
        version,
        nonce,
        ciphertext,
        signature,
    })
}

/// Verifies `record` ([`SealedRecord::verify`]) and decrypts its plaintext bytes.
pub fn open_plaintext(record: &SealedRecord, secret: &ShareSecret) -> Result<Vec<u8>, RecordError> {
    record.verify()?;
    let key = derive_key(&record.id, secret);
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(|_| RecordError::DecryptFailed)?;
    let aad = record_aad(&record.id, record.version);
    cipher
        .decrypt(
            Nonce::from_slice(&record.nonce),
            Payload {
                msg: &record.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| RecordError::DecryptFailed)
}

/// Verifies and decrypts `record` into a card; the plaintext may be compact JSON or the
/// compact binary card ([`crate::exchange::parse_record_plaintext`]).
pub fn open(record: &SealedRecord, secret: &ShareSecret) -> Result<Card, RecordError> {
    let plaintext = Zeroizing::new(open_plaintext(record, secret)?);
    crate::exchange::parse_record_plaintext(&plaintext).map_err(RecordError::BadPlaintext)
}

/// A signed deletion of the card of `keys` as `version` (higher than the last published one).
pub fn sign_delete(keys: &CardKeys, version: u64) -> Result<Tombstone, RecordError> {
    if version == 0 || version > MAX_VERSION {
        return Err(RecordError::VersionOutOfRange(version));
    }
    let id = keys.id();
    let signature = keys.sign(&delete_signing_message(&id, version));
    Ok(Tombstone {
        id,
        public_key: keys.public_key(),
        version,
        signature,
    })
}

/// The owner's registration of an inbox key id for `epoch` (issue 16, docs/PROTOCOL.md §6).
pub fn sign_inbox_register(
    keys: &CardKeys,
    epoch: u64,
    key_id: &crate::wire::InboxKeyId,
) -> crate::wire::InboxRegister {
    let id = keys.id();
    let signature = keys.sign(&crate::wire::inbox_register_signing_message(
        &id, epoch, key_id,
    ));
    crate::wire::InboxRegister {
        id,
        epoch,
        key_id: *key_id,
        signature,
    }
}

/// The owner's signed inbox take at unix second `time`, acking `ack`.
pub fn sign_inbox_take(keys: &CardKeys, time: u64, ack: Vec<String>) -> crate::wire::InboxTake {
    let id = keys.id();
    let signature = keys.sign(&crate::wire::inbox_take_signing_message(&id, time, &ack));
    crate::wire::InboxTake {
        id,
        time,
        ack,
        signature,
    }
}

/// The URL scheme the desktop app registers with the OS for share links (see
/// [`ShareLink::parse`]); phones use https App Links / Universal Links instead.
pub const APP_SCHEME: &str = "livecard";

/// A share link `BASE/c/ID#SECRET`. Parsing is case-insensitive (a QR code carries the link
/// upper-cased, see [`ShareLink::to_qr_text`]).
#[derive(Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// e.g. `https://livecard.example` (no trailing slash).
    pub base_url: String,
    pub id: CardId,
    pub secret: ShareSecret,
}

impl ShareLink {
    pub fn new(base_url: &str, id: CardId, secret: ShareSecret) -> ShareLink {
        ShareLink {
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            id,
            secret,
        }
    }

    /// The link upper-cased, for a QR code: everything but the `#` is then in the QR
    /// alphanumeric set. Only valid when the server answers upper-case paths (`/C/ID`) and the
    /// base URL has no case-sensitive path.
    pub fn to_qr_text(&self) -> String {
        self.to_string().to_ascii_uppercase()
    }

    /// Parses `http(s)://HOST[/PREFIX]/c/ID#SECRET`, in any case. Also the desktop app's
    /// link scheme ([`APP_SCHEME`]): `livecard://HOST/…` stands for `https://HOST/…`, and
    /// `livecard:` followed by a whole share link stands for that link (any server, http too).
    pub fn parse(text: &str) -> Result<ShareLink, RecordError> {
        let bad = |why: &str| RecordError::BadLink(why.to_string());
        let text = text.trim();
        let app_prefix = format!("{APP_SCHEME}:");
        let unwrapped;
        let text = match text.get(..app_prefix.len()) {
            Some(p) if p.eq_ignore_ascii_case(&app_prefix) => {
                let rest = &text[app_prefix.len()..];
                unwrapped = match rest.strip_prefix("//") {
                    Some(host_and_path) => format!("https://{host_and_path}"),
                    None => rest.to_string(),
                };
                unwrapped.as_str()
            }
            _ => text,
        };
        let (before, fragment) = text
            .split_once('#')
            .ok_or_else(|| bad("no #secret fragment"))?;
        let url = url::Url::parse(before).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(bad("scheme must be https or http"));
        }
        if url.query().is_some() {
            return Err(bad("unexpected query string"));
        }
        let s = url.as_str();
        let lower = s.to_ascii_lowercase();
        let at = lower.rfind("/c/").ok_or_else(|| bad("no /c/ID path"))?;
        if at < url.scheme().len() + 3 {
            return Err(bad("no /c/ID path"));
        }
        let id_text = s[at + 3..].trim_end_matches('/');
        let id = CardId::parse(id_text).map_err(|_| bad("card id is not 16 base32 characters"))?;
        let secret = ShareSecret::from_base32(fragment)
            .map_err(|_| bad("secret is not 26 base32 characters"))?;
        Ok(ShareLink::new(&s[..at], id, secret))
    }
}

impl fmt::Display for ShareLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/c/{}#{}",
            self.base_url,
            self.id,
            self.secret.to_base32()
        )
    }
}

impl fmt::Debug for ShareLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ShareLink {{ base_url: {:?}, id: {}, secret: <redacted> }}",
            self.base_url, self.id
        )
    }
}

impl std::str::FromStr for ShareLink {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ShareLink::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::{Field, Region};

    fn card() -> Card {
        let mut c = Card::default();
        c.set(Field::Name, "张三", Region::default()).unwrap();
        c.add(Field::Mobile, "13800138000", Region::default())
            .unwrap();
        c
    }

    #[test]
    fn seal_open_round_trip() {
        let keys = CardKeys::generate();
        let secret = ShareSecret::generate();
        let rec = seal(&card(), &keys, &secret, 1).unwrap();
        rec.verify().unwrap();
        assert_eq!(open(&rec, &secret).unwrap(), card());
        // JSON round trip of the wire form.
        let json = serde_json::to_string(&rec).unwrap();
        let back: SealedRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rec);
        // Compact binary round trip.
        let back = SealedRecord::from_compact_bytes(&rec.to_compact_bytes()).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn wrong_secret_tamper_and_replay_are_refused() {
        let keys = CardKeys::generate();
        let secret = ShareSecret::generate();
        let rec = seal(&card(), &keys, &secret, 5).unwrap();
        assert_eq!(
            open(&rec, &ShareSecret::generate()),
            Err(RecordError::DecryptFailed)
        );

        let mut t = rec.clone();
        t.ciphertext[0] ^= 1;
        assert_eq!(t.verify(), Err(RecordError::BadSignature));

        // Replaying the ciphertext under another version, re-signed by the owner, still fails
        // to decrypt because the version is in the AAD.
        let mut moved = rec.clone();
        moved.version = 6;
        moved.signature = keys.sign(&record_signing_message(
            &moved.id,
            6,
            &moved.nonce,
            &moved.ciphertext,
        ));
        moved.verify().unwrap();
        assert_eq!(open(&moved, &secret), Err(RecordError::DecryptFailed));

        // Another key cannot sign for this id.
        let other = CardKeys::generate();
        let mut hijack = rec.clone();
        hijack.public_key = other.public_key();
        hijack.signature = other.sign(&record_signing_message(
            &hijack.id,
            5,
            &hijack.nonce,
            &hijack.ciphertext,
        ));
        assert!(matches!(
            hijack.verify(),
            Err(RecordError::KeyMismatch { .. })
        ));
    }

    #[test]
    fn version_limits() {
        let keys = CardKeys::generate();
        let secret = ShareSecret::generate();
        assert!(seal(&card(), &keys, &secret, 0).is_err());
        assert!(seal(&card(), &keys, &secret, MAX_VERSION + 1).is_err());
        assert!(seal(&card(), &keys, &secret, MAX_VERSION).is_ok());
    }

    #[test]
    fn tombstone_verifies_and_binds_version() {
        let keys = CardKeys::generate();
        let mut t = sign_delete(&keys, 3).unwrap();
        t.verify().unwrap();
        t.version = 4;
        assert_eq!(t.verify(), Err(RecordError::BadSignature));
    }

    #[test]
    fn link_round_trip_any_case() {
        let keys = CardKeys::generate();
        let link = ShareLink::new(
            "https://livecard.example/",
            keys.id(),
            ShareSecret::generate(),
        );
        let text = link.to_string();
        assert!(text.starts_with("https://livecard.example/c/"));
        assert_eq!(ShareLink::parse(&text).unwrap(), link);
        assert_eq!(ShareLink::parse(&link.to_qr_text()).unwrap(), link);
        assert_eq!(ShareLink::parse(&text.to_lowercase()).unwrap(), link);
        let with_prefix =
            ShareLink::new("https://example.org/lc", keys.id(), ShareSecret::generate());
        assert_eq!(
            ShareLink::parse(&with_prefix.to_string()).unwrap(),
            with_prefix
        );
        assert_eq!(link.to_qr_text().len(), 70);
        // The desktop scheme: `livecard://HOST/…` is https; `livecard:` + a whole link.
        let app = text.replacen("https://", "livecard://", 1);
        assert_eq!(ShareLink::parse(&app).unwrap(), link);
        assert_eq!(ShareLink::parse(&app.to_ascii_uppercase()).unwrap(), link);
        assert_eq!(ShareLink::parse(&format!("livecard:{text}")).unwrap(), link);
        let local = ShareLink::new("http://127.0.0.1:8080", keys.id(), link.secret.clone());
        let wrapped = format!("LIVECARD:{}", local.to_qr_text());
        assert_eq!(ShareLink::parse(&wrapped).unwrap(), local);
        for bad in [
            "livecard:",
            "livecard://",
            "livecard:livecard://livecard.example/c/AAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAAAAAA",
            "https://livecard.example/c/ABC#X",
            "https://livecard.example/x/AAAAAAAAAAAAAAAA",
            "ftp://livecard.example/c/AAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAAAAAA",
            "not a link",
            "",
        ] {
            assert!(ShareLink::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{link:?}").contains(&link.secret.to_base32()));
    }

    #[test]
    fn plaintext_is_compact() {
        let text = String::from_utf8(card_plaintext(&card())).unwrap();
        assert_eq!(
            text,
            r#"{"family":"张","given":"三","mobile":["+8613800138000"],"name":"张三"}"#
        );
        let back: Card = serde_json::from_str(&text).unwrap();
        assert_eq!(back, card());
    }
}
