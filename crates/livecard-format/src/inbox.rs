//! Inbox messages ("send mine back", issue 16; docs/PROTOCOL.md §6): sealing a reply to a
//! card's X25519 inbox key and opening it with the owner's private key.
//!
//! Only compiled with the `secret` feature. The server sees the sealed bytes only
//! ([`crate::wire::check_sealed_message`] is all it can check).
//!
//! - `sealed = 0x01 || eph_pub (32) || nonce (12) || ciphertext`
//! - `shared = X25519(eph_secret, inbox_pub)`; `key = HKDF-SHA256(ikm = shared,
//!   salt = eph_pub || inbox_pub, info = "livecard v1 inbox", L = 32)`
//! - `AES-256-GCM(key, nonce, plaintext, aad = ASCII(id) || key_id (16 bytes))`
//! - plaintext: compact JSON `{"link","msg","note","sent"}` ([`Reply`]).

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::card::InboxKey;
use crate::crypto::ShareLink;
use crate::wire::{
    b64url_decode, b64url_encode, inbox_aad, CardId, InboxKeyId, INBOX_HKDF_INFO,
    MAX_INBOX_NOTE_CHARS, MAX_SEALED_BYTES, NONCE_BYTES, SEALED_MESSAGE_HEAD, SEALED_MESSAGE_V1,
};

/// Random bytes of a message's `msg` value (the client's de-duplication key).
pub const MSG_BYTES: usize = 16;

/// Why a message could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    #[error("sealed message is malformed: {0}")]
    Malformed(&'static str),
    #[error("sealed message of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("message does not open with this inbox key (wrong key, card or tampered)")]
    DecryptFailed,
    #[error("the sender's key is not a usable X25519 key")]
    WeakKey,
    #[error("message content is invalid: {0}")]
    BadContent(String),
}

/// The owner's X25519 inbox key pair (the private half lives in the keystore).
#[derive(Clone)]
pub struct InboxSecret(StaticSecret);

impl InboxSecret {
    /// A new random key (OS randomness).
    pub fn generate() -> InboxSecret {
        let mut b = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(b.as_mut());
        InboxSecret(StaticSecret::from(*b))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> InboxSecret {
        InboxSecret(StaticSecret::from(bytes))
    }

    /// The 32 private bytes, for the keystore and key backups. Keep them secret.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public half, as the card carries it.
    pub fn public(&self) -> InboxKey {
        InboxKey {
            key: PublicKey::from(&self.0).to_bytes(),
        }
    }

    pub fn key_id(&self) -> InboxKeyId {
        self.public().key_id()
    }
}

impl fmt::Debug for InboxSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InboxSecret {{ key_id: {}, .. }}", self.key_id())
    }
}

/// What a reply carries: the sender's share link and a note.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// `https://HOST/c/ID#SECRET` of the sender's card.
    pub link: String,
    /// Free text, at most [`MAX_INBOX_NOTE_CHARS`] characters.
    #[serde(default)]
    pub note: String,
    /// Unix seconds when it was sent (the sender's clock).
    pub sent: u64,
    /// 16 random bytes, base64url: the recipient accepts a `msg` once.
    pub msg: String,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("link", &"<redacted>")
            .field("note_chars", &self.note.chars().count())
            .field("sent", &self.sent)
            .field("msg", &self.msg)
            .finish()
    }
}

impl Reply {
    /// A reply with a fresh random `msg`.
    pub fn new(link: &ShareLink, note: &str, sent: u64) -> Result<Reply, InboxError> {
        let mut m = [0u8; MSG_BYTES];
        OsRng.fill_bytes(&mut m);
        let r = Reply {
            link: link.to_string(),
            note: note.trim().to_string(),
            sent,
            msg: b64url_encode(&m),
        };
        r.validate()?;
        Ok(r)
    }

    /// The sender's link, parsed.
    pub fn share_link(&self) -> Result<ShareLink, InboxError> {
        ShareLink::parse(&self.link).map_err(|e| InboxError::BadContent(e.to_string()))
    }

    /// Checks the link, the note's length and the `msg` value.
    pub fn validate(&self) -> Result<(), InboxError> {
        self.share_link()?;
        let chars = self.note.chars().count();
        if chars > MAX_INBOX_NOTE_CHARS {
            return Err(InboxError::BadContent(format!(
                "note has {chars} characters; at most {MAX_INBOX_NOTE_CHARS}"
            )));
        }
        if self.note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(InboxError::BadContent(
                "note holds control characters".into(),
            ));
        }
        match b64url_decode(&self.msg) {
            Ok(b) if b.len() == MSG_BYTES => Ok(()),
            _ => Err(InboxError::BadContent(format!(
                "msg must be {MSG_BYTES} bytes base64url"
            ))),
        }
    }

    /// The plaintext: compact JSON with keys sorted.
    pub fn to_plaintext(&self) -> Vec<u8> {
        // A struct of strings and a number always serialises; fields are declared in key order.
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let serde_json::Value::Object(m) = &mut v {
            m.sort_keys();
        }
        serde_json::to_vec(&v).unwrap_or_default()
    }

    /// Reads a decrypted plaintext (unknown members are ignored; a newer sender may add some).
    pub fn from_plaintext(bytes: &[u8]) -> Result<Reply, InboxError> {
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| InboxError::BadContent(e.to_string()))?;
        if !v.is_object() {
            return Err(InboxError::BadContent("not a JSON object".into()));
        }
        let r: Reply =
            serde_json::from_value(v).map_err(|e| InboxError::BadContent(e.to_string()))?;
        r.validate()?;
        Ok(r)
    }
}

/// The parts of a sealed message (checked for shape, not yet opened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedParts<'a> {
    pub eph_pub: [u8; 32],
    pub nonce: [u8; NONCE_BYTES],
    pub ciphertext: &'a [u8],
}

/// Splits sealed bytes into their parts: format byte, size limit, head and tag present.
pub fn split_sealed(sealed: &[u8]) -> Result<SealedParts<'_>, InboxError> {
    if sealed.len() > MAX_SEALED_BYTES {
        return Err(InboxError::TooLarge {
            len: sealed.len(),
            limit: MAX_SEALED_BYTES,
        });
    }
    match sealed.first() {
        Some(&SEALED_MESSAGE_V1) => {}
        Some(_) => return Err(InboxError::Malformed("unknown format byte")),
        None => return Err(InboxError::Malformed("empty")),
    }
    if sealed.len() < SEALED_MESSAGE_HEAD + 16 {
        return Err(InboxError::Malformed("too short"));
    }
    let mut eph_pub = [0u8; 32];
    eph_pub.copy_from_slice(&sealed[1..33]);
    let mut nonce = [0u8; NONCE_BYTES];
    nonce.copy_from_slice(&sealed[33..SEALED_MESSAGE_HEAD]);
    Ok(SealedParts {
        eph_pub,
        nonce,
        ciphertext: &sealed[SEALED_MESSAGE_HEAD..],
    })
}

fn message_key(
    shared: &x25519_dalek::SharedSecret,
    eph_pub: &[u8; 32],
    inbox_pub: &[u8; 32],
) -> Result<Zeroizing<[u8; 32]>, InboxError> {
    if !shared.was_contributory() {
        return Err(InboxError::WeakKey);
    }
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(eph_pub);
    salt[32..].copy_from_slice(inbox_pub);
    let hk = Hkdf::<Sha256>::new(Some(&salt), shared.as_bytes());
    let mut okm = Zeroizing::new([0u8; 32]);
    hk.expand(INBOX_HKDF_INFO, okm.as_mut())
        .map_err(|_| InboxError::Malformed("key derivation"))?;
    Ok(okm)
}

/// Seals `reply` to the inbox key `to` of card `id` (fresh ephemeral key and nonce).
pub fn seal_reply(id: &CardId, to: &InboxKey, reply: &Reply) -> Result<Vec<u8>, InboxError> {
    let mut eph = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(eph.as_mut());
    let mut nonce = [0u8; NONCE_BYTES];
    OsRng.fill_bytes(&mut nonce);
    seal_plaintext_with(id, to, &reply.to_plaintext(), &eph, nonce)
}

/// Seals given plaintext with a given ephemeral secret and nonce. Only for test vectors: both
/// must be fresh for every message.
pub fn seal_plaintext_with(
    id: &CardId,
    to: &InboxKey,
    plaintext: &[u8],
    eph_secret: &[u8; 32],
    nonce: [u8; NONCE_BYTES],
) -> Result<Vec<u8>, InboxError> {
    let eph = StaticSecret::from(*eph_secret);
    let eph_pub = PublicKey::from(&eph).to_bytes();
    let shared = eph.diffie_hellman(&PublicKey::from(to.key));
    let key = message_key(&shared, &eph_pub, &to.key)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(|_| InboxError::DecryptFailed)?;
    let aad = inbox_aad(id, &to.key_id());
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| InboxError::DecryptFailed)?;
    let mut out = Vec::with_capacity(SEALED_MESSAGE_HEAD + ct.len());
    out.push(SEALED_MESSAGE_V1);
    out.extend_from_slice(&eph_pub);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    if out.len() > MAX_SEALED_BYTES {
        return Err(InboxError::TooLarge {
            len: out.len(),
            limit: MAX_SEALED_BYTES,
        });
    }
    Ok(out)
}

/// Decrypts sealed bytes for card `id` with the owner's inbox key (no content check).
pub fn open_plaintext(
    id: &CardId,
    secret: &InboxSecret,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, InboxError> {
    let parts = split_sealed(sealed)?;
    let inbox_pub = secret.public();
    let shared = secret.0.diffie_hellman(&PublicKey::from(parts.eph_pub));
    let key = message_key(&shared, &parts.eph_pub, &inbox_pub.key)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(|_| InboxError::DecryptFailed)?;
    let aad = inbox_aad(id, &inbox_pub.key_id());
    cipher
        .decrypt(
            Nonce::from_slice(&parts.nonce),
            Payload {
                msg: parts.ciphertext,
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| InboxError::DecryptFailed)
}

/// Opens a sealed message for card `id` and reads its [`Reply`] (link parsed, note length and
/// `msg` checked). The decoder of outside input: fuzzed by `fuzz/fuzz_targets/inbox_message.rs`.
pub fn open_reply(id: &CardId, secret: &InboxSecret, sealed: &[u8]) -> Result<Reply, InboxError> {
    let plain = open_plaintext(id, secret, sealed)?;
    Reply::from_plaintext(&plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CardKeys, ShareSecret};

    fn link() -> ShareLink {
        ShareLink::new(
            "https://livecard.example",
            CardKeys::generate().id(),
            ShareSecret::generate(),
        )
    }

    #[test]
    fn seal_open_round_trip() {
        let owner = InboxSecret::generate();
        let id = CardKeys::generate().id();
        let r = Reply::new(&link(), "我们在展会见过 👋", 1_700_000_000).unwrap();
        let sealed = seal_reply(&id, &owner.public(), &r).unwrap();
        assert_eq!(sealed[0], SEALED_MESSAGE_V1);
        crate::wire::check_sealed_message(&sealed).unwrap();
        assert_eq!(open_reply(&id, &owner, &sealed).unwrap(), r);
        // Two seals of the same reply differ (fresh ephemeral key and nonce).
        assert_ne!(seal_reply(&id, &owner.public(), &r).unwrap(), sealed);
        // The key pair survives the keystore round trip.
        let back = InboxSecret::from_bytes(*owner.to_bytes());
        assert_eq!(back.public(), owner.public());
        assert!(!format!("{owner:?} {r:?}").contains(&r.link));
    }

    #[test]
    fn wrong_key_card_or_tamper_is_refused() {
        let owner = InboxSecret::generate();
        let id = CardKeys::generate().id();
        let r = Reply::new(&link(), "", 1).unwrap();
        let sealed = seal_reply(&id, &owner.public(), &r).unwrap();
        // Another inbox key (a rotated one) cannot open it.
        assert_eq!(
            open_reply(&id, &InboxSecret::generate(), &sealed),
            Err(InboxError::DecryptFailed)
        );
        // Moved to another card: the id is in the AAD.
        assert_eq!(
            open_reply(&CardKeys::generate().id(), &owner, &sealed),
            Err(InboxError::DecryptFailed)
        );
        for i in [0usize, 1, 40, sealed.len() - 1] {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(open_reply(&id, &owner, &t).is_err(), "byte {i}");
        }
        assert!(open_reply(&id, &owner, &sealed[..sealed.len() - 1]).is_err());
        assert!(open_reply(&id, &owner, &[]).is_err());
        assert!(open_reply(&id, &owner, &[1u8; 60]).is_err());
        assert!(open_reply(&id, &owner, &vec![1u8; MAX_SEALED_BYTES + 1]).is_err());
    }

    #[test]
    fn a_low_order_ephemeral_key_is_refused() {
        let owner = InboxSecret::generate();
        let id = CardKeys::generate().id();
        // eph_pub = 0 (a low-order point): the shared secret is all zeros.
        let mut sealed = vec![SEALED_MESSAGE_V1];
        sealed.extend_from_slice(&[0u8; 32 + NONCE_BYTES + 40]);
        assert_eq!(open_reply(&id, &owner, &sealed), Err(InboxError::WeakKey));
        let zero = InboxKey { key: [0; 32] };
        let r = Reply::new(&link(), "", 1).unwrap();
        assert_eq!(seal_reply(&id, &zero, &r), Err(InboxError::WeakKey));
    }

    #[test]
    fn content_is_checked() {
        let l = link();
        assert!(Reply::new(&l, &"字".repeat(MAX_INBOX_NOTE_CHARS), 1).is_ok());
        assert!(matches!(
            Reply::new(&l, &"字".repeat(MAX_INBOX_NOTE_CHARS + 1), 1),
            Err(InboxError::BadContent(_))
        ));
        // The longest note in 4-byte characters still fits the sealed size limit.
        let owner = InboxSecret::generate();
        let id = CardKeys::generate().id();
        let r = Reply::new(&l, &"😀".repeat(MAX_INBOX_NOTE_CHARS), 1).unwrap();
        assert!(seal_reply(&id, &owner.public(), &r).unwrap().len() <= MAX_SEALED_BYTES);
        for bad in [
            r#"[]"#,
            r#"{"link":"x","msg":"AAAAAAAAAAAAAAAAAAAAAA","sent":1}"#,
            r#"{"link":"https://a.example/c/AAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAAAAAA","msg":"AA","sent":1}"#,
            r#"{"link":"https://a.example/c/AAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAAAAAA","sent":1}"#,
            "not json",
        ] {
            assert!(Reply::from_plaintext(bad.as_bytes()).is_err(), "{bad}");
        }
        let good = r#"{"link":"https://a.example/c/AAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAAAAAA","msg":"AAAAAAAAAAAAAAAAAAAAAA","sent":1,"future":true}"#;
        assert!(Reply::from_plaintext(good.as_bytes()).is_ok());
    }
}
