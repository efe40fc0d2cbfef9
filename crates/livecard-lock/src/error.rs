//! Errors and their UI text (English and 中文).

use crate::pin::PinFormatError;
use crate::storage::StorageError;
use serde::{Deserialize, Serialize};

/// UI language for [`LockError::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// 简体中文.
    Zh,
}

impl Lang {
    /// `zh`, `zh-CN`, `zh_Hans` … → Zh; anything else → En.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

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

    /// Text for the user in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, LockError::NoPin) => "No PIN is set.".into(),
            (Lang::Zh, LockError::NoPin) => "尚未设置 PIN 码。".into(),
            (Lang::En, LockError::InvalidPin(f)) => match f {
                PinFormatError::NotDigits => "A PIN may contain only the digits 0–9.".into(),
                PinFormatError::TooShort => "A PIN needs at least 4 digits.".into(),
                PinFormatError::TooLong => "A PIN has at most 12 digits.".into(),
            },
            (Lang::Zh, LockError::InvalidPin(f)) => match f {
                PinFormatError::NotDigits => "PIN 码只能包含数字 0–9。".into(),
                PinFormatError::TooShort => "PIN 码至少需要 4 位数字。".into(),
                PinFormatError::TooLong => "PIN 码最多 12 位数字。".into(),
            },
            (
                Lang::En,
                LockError::WrongPin {
                    tries_left_before_delay,
                    wait_secs,
                    tries_left_before_wipe,
                    ..
                },
            ) => {
                let mut s = String::from("Wrong PIN.");
                if *wait_secs > 0 {
                    s.push_str(&format!(" Try again in {}.", duration_en(*wait_secs)));
                } else if *tries_left_before_delay > 0 {
                    s.push_str(&format!(
                        " {tries_left_before_delay} more {} before you have to wait.",
                        if *tries_left_before_delay == 1 {
                            "try"
                        } else {
                            "tries"
                        }
                    ));
                }
                if let Some(n) = tries_left_before_wipe {
                    s.push_str(&format!(
                        " Received cards will be erased after {n} more wrong {}.",
                        if *n == 1 { "PIN" } else { "PINs" }
                    ));
                }
                s
            }
            (
                Lang::Zh,
                LockError::WrongPin {
                    tries_left_before_delay,
                    wait_secs,
                    tries_left_before_wipe,
                    ..
                },
            ) => {
                let mut s = String::from("PIN 码错误。");
                if *wait_secs > 0 {
                    s.push_str(&format!("请在{}后重试。", duration_zh(*wait_secs)));
                } else if *tries_left_before_delay > 0 {
                    s.push_str(&format!(
                        "还可尝试 {tries_left_before_delay} 次，之后需要等待。"
                    ));
                }
                if let Some(n) = tries_left_before_wipe {
                    s.push_str(&format!("再错 {n} 次将清除所有收到的名片。"));
                }
                s
            }
            (Lang::En, LockError::MustWait { wait_secs }) => format!(
                "Too many wrong PINs. Try again in {}.",
                duration_en(*wait_secs)
            ),
            (Lang::Zh, LockError::MustWait { wait_secs }) => {
                format!(
                    "PIN 码错误次数过多，请在{}后重试。",
                    duration_zh(*wait_secs)
                )
            }
            (Lang::En, LockError::Locked) => "Locked. Enter your PIN.".into(),
            (Lang::Zh, LockError::Locked) => "已锁定，请输入 PIN 码。".into(),
            (Lang::En, LockError::CurrentPinRequired) => "Enter your current PIN.".into(),
            (Lang::Zh, LockError::CurrentPinRequired) => "请输入当前 PIN 码。".into(),
            (Lang::En, LockError::WipeRequired) => {
                "Too many wrong PINs: received cards are being erased.".into()
            }
            (Lang::Zh, LockError::WipeRequired) => {
                "PIN 码错误次数过多：正在清除收到的名片。".into()
            }
            (Lang::En, LockError::WipeAfterOutOfRange { min, max }) => {
                format!("Choose between {min} and {max} wrong PINs.")
            }
            (Lang::Zh, LockError::WipeAfterOutOfRange { min, max }) => {
                format!("请选择 {min} 到 {max} 次之间。")
            }
            (Lang::En, LockError::BiometricOff) => {
                "Unlocking with fingerprint or face is off; enter your PIN.".into()
            }
            (Lang::Zh, LockError::BiometricOff) => "未开启指纹/面容解锁，请输入 PIN 码。".into(),
            (Lang::En, LockError::Storage(_)) => {
                "The lock settings could not be saved or read.".into()
            }
            (Lang::Zh, LockError::Storage(_)) => "无法读取或保存锁定设置。".into(),
            (Lang::En, LockError::CorruptState(_)) => "The lock settings are damaged.".into(),
            (Lang::Zh, LockError::CorruptState(_)) => "锁定设置已损坏。".into(),
            (Lang::En, LockError::Hash(_)) => "The PIN could not be processed.".into(),
            (Lang::Zh, LockError::Hash(_)) => "无法处理 PIN 码。".into(),
        }
    }
}

fn duration_en(secs: u64) -> String {
    let m = secs.div_ceil(60);
    match (secs, m / 60, m % 60) {
        (s, _, _) if s < 60 => format!("{s} s"),
        (_, 0, m) => format!("{m} min"),
        (_, h, 0) => format!("{h} h"),
        (_, h, m) => format!("{h} h {m} min"),
    }
}

fn duration_zh(secs: u64) -> String {
    let m = secs.div_ceil(60);
    match (secs, m / 60, m % 60) {
        (s, _, _) if s < 60 => format!(" {s} 秒"),
        (_, 0, m) => format!(" {m} 分钟"),
        (_, h, 0) => format!(" {h} 小时"),
        (_, h, m) => format!(" {h} 小时 {m} 分钟"),
    }
}
