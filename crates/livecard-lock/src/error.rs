//! Errors and their UI text (English and 中文: the `pin.*` rows of the one catalogue,
//! `livecard-i18n`).

use crate::pin::PinFormatError;
use crate::storage::StorageError;
use livecard_i18n::{format, format_count};

/// UI language for [`LockError::message`]: the one catalogue's (`livecard-i18n`).
pub use livecard_i18n::Lang;

/// Why a lock operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// No PIN is set (nothing to unlock, nothing to remove).
    #[error("no PIN is set")]
    NoPin,
    /// The PIN is not 4–12 ASCII digits. Not counted as a try.
    #[error("invalid PIN: {0:?} (a PIN is 4 to 12 digits 0-9)")]
    InvalidPin(PinFormatError),
    /// Wrong PIN; it was counted.
    #[error("wrong PIN ({wrong_tries} wrong in a row); wait {wait_secs} s before the next try")]
    WrongPin {
        /// Consecutive wrong PINs so far (this one included).
        wrong_tries: u32,
        /// Wrong PINs still allowed before waits start.
        tries_left_before_delay: u32,
        /// Seconds to wait before the next try (0 = may try at once).
        wait_secs: u64,
        /// With wipe-after-N on: wrong PINs left before received cards are erased.
        tries_left_before_wipe: Option<u32>,
    },
    /// Too soon after wrong PINs: the PIN was not checked and nothing was counted.
    #[error("too many wrong PINs: try again in {wait_secs} s")]
    MustWait {
        /// Seconds until a try is allowed.
        wait_secs: u64,
    },
    /// The lock is locked: card data must not be returned.
    #[error("locked: enter the PIN")]
    Locked,
    /// Changing the PIN needs the current one.
    #[error("the current PIN is required")]
    CurrentPinRequired,
    /// Wipe-after-N fired (now or earlier) and the received cards have not been erased yet:
    /// the caller must erase them and then call `Lock::confirm_wiped`.
    #[error("too many wrong PINs: received cards must be erased")]
    WipeRequired,
    /// Wipe-after-N outside the allowed range.
    #[error("wipe-after must be between {min} and {max} wrong PINs")]
    WipeAfterOutOfRange {
        /// Smallest N.
        min: u32,
        /// Largest N.
        max: u32,
    },
    /// Biometric unlock was asked for but the owner has not turned it on.
    #[error("biometric unlock is off: enter the PIN")]
    BiometricOff,
    /// The storage backend failed.
    #[error("lock storage: {0}")]
    Storage(#[source] StorageError),
    /// The stored state could not be read (the lock stays closed).
    #[error("lock state is damaged: {0}")]
    CorruptState(String),
    /// Hashing failed (bad parameters) or the stored hash is unreadable.
    #[error("PIN hash: {0}")]
    Hash(String),
}

impl LockError {
    /// A stable snake_case code for JSON and i18n keys (`lock.error.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            LockError::NoPin => "no_pin",
            LockError::InvalidPin(_) => "invalid_pin",
            LockError::WrongPin { .. } => "wrong_pin",
            LockError::MustWait { .. } => "must_wait",
            LockError::Locked => "locked",
            LockError::CurrentPinRequired => "current_pin_required",
            LockError::WipeRequired => "wipe_required",
            LockError::WipeAfterOutOfRange { .. } => "wipe_after_out_of_range",
            LockError::BiometricOff => "biometric_off",
            LockError::Storage(_) => "storage",
            LockError::CorruptState(_) => "corrupt_state",
            LockError::Hash(_) => "hash",
        }
    }

    /// Seconds the user must wait, if this error implies a wait.
    pub fn wait_secs(&self) -> Option<u64> {
        match self {
            LockError::WrongPin { wait_secs, .. } | LockError::MustWait { wait_secs } => {
                Some(*wait_secs)
            }
            _ => None,
        }
    }

    /// Text for the user in `lang` (the catalogue's `pin.CODE` rows).
    pub fn message(&self, lang: Lang) -> String {
        let key = format!("pin.{}", self.code());
        match self {
            LockError::InvalidPin(f) => {
                let why = match f {
                    PinFormatError::NotDigits => "not_digits",
                    PinFormatError::TooShort => "too_short",
                    PinFormatError::TooLong => "too_long",
                };
                format(&format!("{key}.{why}"), lang, &[])
            }
            LockError::WrongPin {
                tries_left_before_delay,
                wait_secs,
                tries_left_before_wipe,
                ..
            } => {
                let mut s = vec![format(&key, lang, &[])];
                if *wait_secs > 0 {
                    let wait = duration(*wait_secs, lang);
                    s.push(format("pin.try_again_in", lang, &[("wait", &wait)]));
                } else if *tries_left_before_delay > 0 {
                    let n = u64::from(*tries_left_before_delay);
                    s.push(format_count("pin.tries_left", n, lang, &[]));
                }
                if let Some(n) = tries_left_before_wipe {
                    s.push(format_count("pin.wipe_after", u64::from(*n), lang, &[]));
                }
                lang.join(&s)
            }
            LockError::MustWait { wait_secs } => {
                let wait = duration(*wait_secs, lang);
                format(&key, lang, &[("wait", &wait)])
            }
            LockError::WipeAfterOutOfRange { min, max } => {
                format(&key, lang, &[("min", min), ("max", max)])
            }
            _ => format(&key, lang, &[]),
        }
    }
}

/// A wait as the catalogue's `duration.*` words: seconds under a minute, else whole minutes
/// (rounded up) as hours and minutes.
fn duration(secs: u64, lang: Lang) -> String {
    let m = secs.div_ceil(60);
    match (secs, m / 60, m % 60) {
        (s, _, _) if s < 60 => format("duration.seconds", lang, &[("n", &s)]),
        (_, 0, m) => format("duration.minutes", lang, &[("n", &m)]),
        (_, h, 0) => format("duration.hours", lang, &[("n", &h)]),
        (_, h, m) => format("duration.hours_minutes", lang, &[("h", &h), ("m", &m)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every error has its catalogue rows in both languages: a missing row would show its key.
    #[test]
    fn every_error_has_words_in_both_languages() {
        let errors = [
            LockError::NoPin,
            LockError::InvalidPin(PinFormatError::NotDigits),
            LockError::InvalidPin(PinFormatError::TooShort),
            LockError::InvalidPin(PinFormatError::TooLong),
            LockError::WrongPin {
                wrong_tries: 1,
                tries_left_before_delay: 1,
                wait_secs: 0,
                tries_left_before_wipe: Some(1),
            },
            LockError::WrongPin {
                wrong_tries: 9,
                tries_left_before_delay: 0,
                wait_secs: 3660,
                tries_left_before_wipe: Some(3),
            },
            LockError::MustWait { wait_secs: 120 },
            LockError::MustWait { wait_secs: 7200 },
            LockError::Locked,
            LockError::CurrentPinRequired,
            LockError::WipeRequired,
            LockError::WipeAfterOutOfRange { min: 5, max: 100 },
            LockError::BiometricOff,
            LockError::Storage("x".into()),
            LockError::CorruptState("x".into()),
            LockError::Hash("x".into()),
        ];
        for e in &errors {
            for lang in Lang::ALL {
                let m = e.message(lang);
                assert!(!m.contains("pin.") && !m.contains('{'), "{e:?}: {m}");
            }
        }
        assert_eq!(
            errors[4].message(Lang::En),
            "Wrong PIN. 1 more try before you have to wait. Received cards will be erased after 1 more wrong PIN."
        );
        assert_eq!(
            errors[5].message(Lang::Zh),
            "PIN 码错误。请在 1 小时 1 分钟后重试。再错 3 次将清除所有收到的名片。"
        );
        assert_eq!(
            errors[6].message(Lang::En),
            "Too many wrong PINs. Try again in 2 min."
        );
    }
}
