//! The one error type of the core. The app returns it from commands as is: it serialises as
//! `{"kind": "not_found", "message": "…", "field": "email"?}` where `kind` is stable; a
//! refusal adds its code, `"refusal": {"code": "rollback", …}`.

use livecard_format::{CardError, FieldError};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub use crate::decide::Refusal;

/// Everything that can go wrong in the core.
///
/// Each message is complete on its own (it already includes the underlying error), so no
/// variant reports a `source()`: printing the chain would repeat it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// No such card (or no own card yet). `what` is e.g. "received card".
    #[error("no {what} with id {id:?}")]
    NotFound { what: &'static str, id: String },
    /// No own card exists yet.
    #[error("no own card yet: create your card first / 还没有自己的名片：请先创建")]
    NoOwnCard,
    /// The own card has no share link yet: it was never published (kind `not_published`).
    #[error("the card is not published yet / 名片尚未发布")]
    NotPublished,
    /// One refused value, naming the field.
    #[error("{0}")]
    InvalidField(FieldError),
    /// A whole card that breaks the limits (every problem listed).
    #[error("{0}")]
    InvalidCard(CardError),
    /// Any other refused input (empty tag, unknown sort order, …).
    #[error("{0}")]
    InvalidInput(String),
    /// A file or text could not be read as cards.
    #[error("import failed: {0}")]
    ImportFailed(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(sqlx::Error),
    /// The database schema could not be brought up to date.
    #[error("storage: migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    /// The data directory could not be created or read.
    #[error("storage: {context}: {error}")]
    Io {
        context: String,
        error: std::io::Error,
    },
    /// A stored record could not be read back (should not happen; names the record).
    #[error("storage: record {id:?} is damaged: {message}")]
    Corrupt { id: String, message: String },
    /// The sync server could not be reached (no network, server down, timeout).
    #[error("offline: {0}")]
    Offline(String),
    /// The sync server refused a request (`code` is the protocol's error code).
    #[error("server refused ({code}): {message}")]
    Server { code: String, message: String },
    /// A record was refused (bad signature, changed key, older version, revoked link, deleted):
    /// kind `refused`, and the refusal's code in the JSON's `refusal` (see [`Refusal`]).
    #[error("{0}")]
    Refused(Refusal),
    /// The keystore failed or lacks a key.
    #[error("keystore: {0}")]
    Keystore(String),
    /// No sync server configured.
    #[error(
        "no sync server configured: pass --server URL (or set LIVECARD_SERVER) / 未配置服务器"
    )]
    NoServer,
    /// A key backup did not decrypt.
    #[error("wrong passphrase, or the key backup is damaged / 密码错误或文件已损坏")]
    WrongPassphrase,
    /// The PIN lock refused: locked (kind `locked`), wrong PIN, must wait, bad PIN format …
    /// (kind = the lock's own code, e.g. `wrong_pin`, `must_wait`).
    #[error("{}", lock_text(.0))]
    Lock(livecard_lock::LockError),
    /// A PIN is set for this data directory (`meta.pin_set`) but its state is missing from the
    /// keystore (`store` names it): card data stays closed (fail closed). Kind `keys_missing`;
    /// the ways out are [`crate::Core::recover_from_key_backup`] and
    /// [`crate::Core::start_over_without_keys`].
    #[error("this phone's keys are missing (its data came back from a backup without them), so no PIN can open livecard: restore your key backup with its passphrase, or start over on this phone / 本机的密钥丢失（数据从备份恢复，但密钥没有恢复），任何 PIN 码都无法解锁：请用密码恢复密钥备份，或在本机重新开始")]
    LockStateMissing { store: String },
    /// A keys-missing way out was asked for while the lock state is intact (it would bypass
    /// the PIN). Kind `keys_present`.
    #[error("the lock of this phone is intact: unlock it with the PIN (restoring without a PIN is only possible when the keys are missing) / 本机锁定完好：请输入 PIN 码解锁（只有密钥丢失时才能不用 PIN 码恢复）")]
    KeysNotMissing,
    /// A picture given to add a card from: no QR code in it, or one that cannot be read
    /// (kind `no_qr_code`), or not a PNG/JPEG image (kind `invalid_input`).
    #[error("{0} / {zh}", zh = .0.message_zh())]
    Qr(crate::qr::QrError),
    /// Something does not fit where it has to go (an offline QR code of the card even with
    /// optional fields left out). Kind `too_large`.
    #[error("{0}")]
    TooLarge(String),
    /// An NFC tag too small for even the share link. Kind `nfc_too_small`.
    #[error("{0}")]
    TagTooSmall(String),
    /// Too many wrong PINs with wipe-after-N on: the received cards were erased. Kind `wiped`.
    #[error("too many wrong PINs: {erased} received cards were erased / PIN 码错误次数过多，已清除 {erased} 张收到的名片")]
    Wiped { erased: u64 },
}

fn lock_text(e: &livecard_lock::LockError) -> String {
    use livecard_lock::{Lang, LockError};
    let mut s = format!("{} / {}", e.message(Lang::En), e.message(Lang::Zh));
    if matches!(
        e,
        LockError::Storage(_) | LockError::CorruptState(_) | LockError::Hash(_)
    ) {
        s.push_str(&format!(" ({e})"));
    }
    s
}

impl From<livecard_lock::LockError> for CoreError {
    fn from(e: livecard_lock::LockError) -> Self {
        CoreError::Lock(e)
    }
}

impl From<FieldError> for CoreError {
    fn from(e: FieldError) -> Self {
        CoreError::InvalidField(e)
    }
}

impl From<CardError> for CoreError {
    fn from(e: CardError) -> Self {
        CoreError::InvalidCard(e)
    }
}

impl From<sqlx::Error> for CoreError {
    fn from(e: sqlx::Error) -> Self {
        CoreError::Storage(e)
    }
}

impl From<sqlx::migrate::MigrateError> for CoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        CoreError::Migrate(e)
    }
}

/// Every kind [`CoreError::kind`] answers (a contract: the UI's generated `ErrorKind` type and
/// the i18n catalogue are made from this list). A new kind goes here too.
pub const KINDS: &[&str] = &[
    "not_found",
    "invalid_input",
    "import_failed",
    "storage",
    "offline",
    "server",
    "refused",
    "keystore",
    "no_server",
    "not_published",
    "wrong_passphrase",
    // The PIN lock's own codes (`livecard_lock::LockError::code`; `wipe_required` is `locked`).
    "locked",
    "no_pin",
    "invalid_pin",
    "wrong_pin",
    "must_wait",
    "current_pin_required",
    "wipe_after_out_of_range",
    "biometric_off",
    "corrupt_state",
    "hash",
    "keys_missing",
    "keys_present",
    "wiped",
    "too_large",
    "nfc_too_small",
    "no_qr_code",
];

impl CoreError {
    /// A stable snake_case name for the kind of error, for the UI and scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::NotFound { .. } | CoreError::NoOwnCard => "not_found",
            CoreError::InvalidField(_) | CoreError::InvalidCard(_) | CoreError::InvalidInput(_) => {
                "invalid_input"
            }
            CoreError::ImportFailed(_) => "import_failed",
            CoreError::Storage(_)
            | CoreError::Migrate(_)
            | CoreError::Io { .. }
            | CoreError::Corrupt { .. } => "storage",
            CoreError::Offline(_) => "offline",
            CoreError::Server { .. } => "server",
            CoreError::Refused(_) => "refused",
            CoreError::Keystore(_) => "keystore",
            CoreError::NoServer => "no_server",
            CoreError::NotPublished => "not_published",
            CoreError::WrongPassphrase => "wrong_passphrase",
            CoreError::Lock(e) => match e {
                livecard_lock::LockError::Locked | livecard_lock::LockError::WipeRequired => {
                    "locked"
                }
                e => e.code(),
            },
            CoreError::LockStateMissing { .. } => "keys_missing",
            CoreError::KeysNotMissing => "keys_present",
            CoreError::Wiped { .. } => "wiped",
            CoreError::TooLarge(_) => "too_large",
            CoreError::TagTooSmall(_) => "nfc_too_small",
            CoreError::Qr(e) => match e {
                crate::qr::QrError::NoQrCode | crate::qr::QrError::Unreadable(_) => "no_qr_code",
                _ => "invalid_input",
            },
        }
    }

    /// The field a refused value belongs to, when there is exactly one.
    pub fn field(&self) -> Option<&str> {
        match self {
            CoreError::InvalidField(e) => Some(&e.field),
            CoreError::InvalidCard(e) if e.errors.len() == 1 => Some(&e.errors[0].field),
            _ => None,
        }
    }

    /// Seconds before a PIN may be tried, for lock errors that imply a wait.
    pub fn wait_secs(&self) -> Option<u64> {
        match self {
            CoreError::Lock(e) => e.wait_secs(),
            _ => None,
        }
    }

    pub(crate) fn corrupt(id: &str, message: impl ToString) -> Self {
        CoreError::Corrupt {
            id: id.to_string(),
            message: message.to_string(),
        }
    }
}

impl Serialize for CoreError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let field = self.field();
        let wait = self.wait_secs();
        let refusal = match self {
            CoreError::Refused(r) => Some(r),
            _ => None,
        };
        let n = 2
            + usize::from(field.is_some())
            + usize::from(wait.is_some())
            + usize::from(refusal.is_some());
        let mut st = s.serialize_struct("CoreError", n)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        if let Some(f) = field {
            st.serialize_field("field", f)?;
        }
        if let Some(w) = wait {
            st.serialize_field("wait_secs", &w)?;
        }
        if let Some(r) = refusal {
            st.serialize_field("refusal", r)?;
        }
        st.end()
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod kinds_tests {
    use super::*;
    use livecard_lock::LockError;

    #[test]
    fn every_kind_answered_is_listed_in_kinds() {
        let samples = [
            CoreError::NotFound {
                what: "card",
                id: "x".into(),
            },
            CoreError::NoOwnCard,
            CoreError::InvalidInput(String::new()),
            CoreError::ImportFailed(String::new()),
            CoreError::Storage(sqlx::Error::RowNotFound),
            CoreError::corrupt("x", "y"),
            CoreError::Offline(String::new()),
            CoreError::Server {
                code: String::new(),
                message: String::new(),
            },
            CoreError::Refused(Refusal::Gone),
            CoreError::Keystore(String::new()),
            CoreError::NoServer,
            CoreError::WrongPassphrase,
            CoreError::Lock(LockError::NoPin),
            CoreError::Lock(LockError::Locked),
            CoreError::Lock(LockError::WipeRequired),
            CoreError::Lock(LockError::MustWait { wait_secs: 1 }),
            CoreError::Lock(LockError::CurrentPinRequired),
            CoreError::Lock(LockError::BiometricOff),
            CoreError::LockStateMissing {
                store: String::new(),
            },
            CoreError::KeysNotMissing,
            CoreError::Qr(crate::qr::QrError::NoQrCode),
            CoreError::Qr(crate::qr::QrError::TooLong(1)),
            CoreError::TooLarge(String::new()),
            CoreError::TagTooSmall(String::new()),
            CoreError::Wiped { erased: 0 },
        ];
        for e in &samples {
            assert!(KINDS.contains(&e.kind()), "{:?} is not in KINDS", e.kind());
        }
        let mut sorted = KINDS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), KINDS.len(), "a kind is listed twice");
    }
}
