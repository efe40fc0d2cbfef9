//! Passphrase-encrypted backup of the owner's keys (docs/PROTOCOL.md §8), so a new phone keeps
//! updating the same cards.
//!
//! File (JSON, UTF-8):
//! `{"format":"livecard-keys","version":1,"kdf":{"alg":"argon2id","m_kib":65536,"t":3,"p":1,
//! "salt":B64},"cipher":"aes-256-gcm","nonce":B64,"ciphertext":B64}` (B64 = base64url, no
//! padding). key = Argon2id(passphrase UTF-8, salt 16 random bytes, m, t, p, 32 bytes);
//! ciphertext = AES-256-GCM(key, nonce 12 random bytes, plaintext, aad = "livecard-keys-v1").
//! Plaintext: `{"cards":[{"card_id","seed":B64(32),"secret":BASE32(26),"server_url",
//! "public_url","published_version","card":{…}}]}`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use livecard_format::crypto::CardKeys;
use livecard_format::wire::{b64url_decode, b64url_encode};
use livecard_format::Card;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use zeroize::Zeroizing;

use crate::error::{CoreError, Result};
use crate::keystore::{secret_name, seed_name};
use crate::store::Unlocked;
use crate::Core;

pub const FORMAT: &str = "livecard-keys";
pub const AAD: &[u8] = b"livecard-keys-v1";
/// Argon2id cost of new backups: 64 MiB, 3 passes, 1 lane (RFC 9106 §4, second choice).
pub const M_KIB: u32 = 65536;
pub const T_COST: u32 = 3;
pub const P_COST: u32 = 1;
/// The most a backup file may ask for (4× our memory, a little over 2× our passes): the cost
/// comes from the file, so without a cap a crafted one could make a single import attempt
/// allocate gigabytes and run for minutes before the passphrase is even checked.
pub const MAX_M_KIB: u32 = 4 * M_KIB;
pub const MAX_T_COST: u32 = 8;
pub const MAX_P_COST: u32 = 4;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    alg: String,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    version: u32,
    kdf: Kdf,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct BackupCard {
    card_id: String,
    seed: String,
    secret: String,
    server_url: Option<String>,
    public_url: Option<String>,
    published_version: i64,
    card: Card,
    /// The card's inbox private key (issue 16), base64url; absent in older backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inbox: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Plain {
    cards: Vec<BackupCard>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeysImported {
    /// Server card ids restored.
    pub cards: Vec<String>,
    /// Own cards created for cards this device did not have.
    pub created: usize,
}

fn bad(why: impl std::fmt::Display) -> CoreError {
    CoreError::InvalidInput(format!("not a livecard key backup: {why}"))
}

fn derive(pass: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>> {
    if m > MAX_M_KIB || t > MAX_T_COST || p > MAX_P_COST {
        return Err(bad(format!(
            "key derivation cost out of range (at most {} MiB, {MAX_T_COST} passes, \
             {MAX_P_COST} lanes)",
            MAX_M_KIB / 1024
        )));
    }
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(bad)?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    a.hash_password_into(pass.as_bytes(), salt, key.as_mut())
        .map_err(bad)?;
    Ok(key)
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| CoreError::Io {
        context: "reading OS randomness".into(),
        error: std::io::Error::other(e.to_string()),
    })?;
    Ok(b)
}

/// Encrypts `plain` under `pass` (the file's bytes).
fn seal(plain: &[u8], pass: &str) -> Result<Vec<u8>> {
    let salt = random::<16>()?;
    let nonce = random::<12>()?;
    let key = derive(pass, &salt, M_KIB, T_COST, P_COST)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(bad)?;
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: AAD,
            },
        )
        .map_err(|_| bad("encryption failed"))?;
    let env = Envelope {
        format: FORMAT.into(),
        version: 1,
        kdf: Kdf {
            alg: "argon2id".into(),
            m_kib: M_KIB,
            t: T_COST,
            p: P_COST,
            salt: b64url_encode(&salt),
        },
        cipher: "aes-256-gcm".into(),
        nonce: b64url_encode(&nonce),
        ciphertext: b64url_encode(&ct),
    };
    let mut out = serde_json::to_vec_pretty(&env).map_err(bad)?;
    out.push(b'\n');
    Ok(out)
}

/// Decrypts a backup file.
fn open(file: &[u8], pass: &str) -> Result<Zeroizing<Vec<u8>>> {
    let env: Envelope = serde_json::from_slice(file).map_err(bad)?;
    if env.format != FORMAT {
        return Err(bad(format!("format {:?}", env.format)));
    }
    if env.version != 1 || env.kdf.alg != "argon2id" || env.cipher != "aes-256-gcm" {
        return Err(bad(format!(
            "unsupported version {} ({} / {})",
            env.version, env.kdf.alg, env.cipher
        )));
    }
    let salt = b64url_decode(&env.kdf.salt).map_err(bad)?;
    let nonce = b64url_decode(&env.nonce).map_err(bad)?;
    let ct = b64url_decode(&env.ciphertext).map_err(bad)?;
    if nonce.len() != 12 || salt.len() < 8 {
        return Err(bad("bad nonce or salt length"));
    }
    let key = derive(pass, &salt, env.kdf.m_kib, env.kdf.t, env.kdf.p)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(bad)?;
    cipher
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: AAD })
        .map(Zeroizing::new)
        .map_err(|_| CoreError::WrongPassphrase)
}

impl Core {
    /// The keys of every published own card, encrypted under `passphrase` (the file's bytes).
    pub async fn export_keys(&self, passphrase: &str) -> Result<Vec<u8>> {
        let db = self.unlocked().await?;
        if passphrase.chars().count() < 8 {
            return Err(CoreError::InvalidInput(
                "passphrase: at least 8 characters / 密码至少 8 个字符".into(),
            ));
        }
        let rows = sqlx::query(
            "SELECT id, remote_id, server_url, public_url, published_version, published_json, card_json
             FROM own_cards WHERE remote_id IS NOT NULL ORDER BY created_at, id",
        )
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            return Err(CoreError::InvalidInput(
                "no published card: nothing to export / 没有已发布的名片".into(),
            ));
        }
        let mut cards = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let rid: String = r.try_get("remote_id")?;
            let (keys, secret) = self.load_keys(&rid)?;
            let json: String = r
                .try_get::<Option<String>, _>("published_json")?
                .unwrap_or(r.try_get("card_json")?);
            let inbox = self
                .inbox_secret(&rid, false)?
                .map(|s| b64url_encode(s.to_bytes().as_slice()));
            cards.push(BackupCard {
                card_id: rid,
                seed: b64url_encode(keys.seed().as_slice()),
                secret: secret.to_base32(),
                server_url: r.try_get("server_url")?,
                public_url: r.try_get("public_url")?,
                published_version: r.try_get("published_version")?,
                card: serde_json::from_str(&json).map_err(|e| CoreError::corrupt(&id, e))?,
                inbox,
            });
        }
        let plain = Zeroizing::new(
            serde_json::to_vec(&Plain { cards }).map_err(|e| CoreError::corrupt("backup", e))?,
        );
        seal(&plain, passphrase)
    }

    /// Restores keys from a backup: each card's key and secret go into the keystore; a card
    /// this device does not have becomes a new own card (as last published), so publishing
    /// from here continues the same card.
    pub async fn import_keys(&self, file: &[u8], passphrase: &str) -> Result<KeysImported> {
        let db = self.unlocked().await?;
        self.import_keys_unguarded(db, file, passphrase, false)
            .await
    }

    /// [`Core::import_keys`] without the lock guard: only for callers that checked the lock
    /// their own way ([`Core::recover_from_key_backup`]). `own_only`: the backup must hold a
    /// key of an own card already in this database (it proves the owner of THIS phone, not
    /// just of some backup); otherwise nothing is written.
    pub(crate) async fn import_keys_unguarded(
        &self,
        db: Unlocked<'_>,
        file: &[u8],
        passphrase: &str,
        own_only: bool,
    ) -> Result<KeysImported> {
        let plain = open(file, passphrase)?;
        let p: Plain = serde_json::from_slice(&plain).map_err(bad)?;
        if own_only {
            let mut mine = false;
            for c in &p.cards {
                let n: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM own_cards WHERE remote_id = ?")
                        .bind(&c.card_id)
                        .fetch_one(db.pool())
                        .await?;
                mine |= n > 0;
            }
            if !mine {
                return Err(CoreError::InvalidInput(
                    "this key backup holds none of this phone's own cards, so it cannot open livecard here / 此密钥备份中没有本机自己的名片，无法用它解锁".into(),
                ));
            }
        }
        let mut out = KeysImported {
            cards: Vec::new(),
            created: 0,
        };
        for c in p.cards {
            let seed: [u8; 32] = b64url_decode(&c.seed)
                .map_err(bad)?
                .as_slice()
                .try_into()
                .map_err(|_| bad("seed is not 32 bytes"))?;
            let keys = CardKeys::from_seed(&seed);
            if keys.id().as_str() != c.card_id {
                return Err(bad(format!(
                    "key of card {} does not match its id",
                    c.card_id
                )));
            }
            let secret =
                livecard_format::crypto::ShareSecret::from_base32(&c.secret).map_err(bad)?;
            self.secrets
                .set(&seed_name(&c.card_id), keys.seed().as_slice())?;
            self.secrets
                .set(&secret_name(&c.card_id), secret.as_bytes())?;
            if let Some(inbox) = &c.inbox {
                let bytes = b64url_decode(inbox).map_err(bad)?;
                if bytes.len() != 32 {
                    return Err(bad("inbox key is not 32 bytes"));
                }
                self.secrets
                    .set(&crate::inbox::inbox_name(&c.card_id), &bytes)?;
            }
            let existing: Option<String> =
                sqlx::query_scalar("SELECT id FROM own_cards WHERE remote_id = ?")
                    .bind(&c.card_id)
                    .fetch_optional(db.pool())
                    .await?;
            let own_id = match existing {
                Some(id) => id,
                None => {
                    out.created += 1;
                    db.create_own(c.card.clone()).await?.id
                }
            };
            let json =
                serde_json::to_string(&c.card).map_err(|e| CoreError::corrupt(&own_id, e))?;
            sqlx::query(
                "UPDATE own_cards SET remote_id = ?, server_url = COALESCE(server_url, ?),
                 public_url = COALESCE(?, public_url),
                 published_version = MAX(published_version, ?),
                 published_json = CASE WHEN published_version <= ? THEN ? ELSE published_json END,
                 version = MAX(version, ?) WHERE id = ?",
            )
            .bind(&c.card_id)
            .bind(&c.server_url)
            .bind(&c.public_url)
            .bind(c.published_version)
            .bind(c.published_version)
            .bind(&json)
            .bind(c.published_version)
            .bind(&own_id)
            .execute(db.pool())
            .await?;
            out.cards.push(c.card_id);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_wrong_passphrase() {
        let f = seal(b"hello", "correct horse").unwrap();
        assert_eq!(open(&f, "correct horse").unwrap().as_slice(), b"hello");
        assert!(matches!(
            open(&f, "wrong horse"),
            Err(CoreError::WrongPassphrase)
        ));
        let mut v: serde_json::Value = serde_json::from_slice(&f).unwrap();
        v["version"] = 2.into();
        let f2 = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            open(&f2, "correct horse"),
            Err(CoreError::InvalidInput(_))
        ));
        assert!(open(b"garbage", "x").is_err());
    }

    #[test]
    fn a_backup_asking_for_a_huge_kdf_cost_is_refused_before_any_hashing() {
        let f = seal(b"hello", "correct horse").unwrap();
        for (key, value) in [("m_kib", 4 * 1024 * 1024), ("t", 64), ("p", 16)] {
            let mut v: serde_json::Value = serde_json::from_slice(&f).unwrap();
            v["kdf"][key] = value.into();
            let crafted = serde_json::to_vec(&v).unwrap();
            match open(&crafted, "correct horse") {
                Err(CoreError::InvalidInput(m)) => assert!(m.contains("out of range"), "{m}"),
                other => panic!("{key}={value}: {:?}", other.map(|_| ())),
            }
        }
        // Our own cost is within the cap.
        const { assert!(M_KIB <= MAX_M_KIB && T_COST <= MAX_T_COST && P_COST <= MAX_P_COST) };
    }
}
