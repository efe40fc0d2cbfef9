//! livecard's PIN lock (patent CN103051764A ¶0019): an optional 4–12 digit PIN guards the
//! received cards. Pure logic: no UI, no database. State is persisted through
//! [`LockStorage`] (the app backs it with the OS keystore) and time comes from [`Clock`].
//!
//! * PIN stored only as an Argon2id PHC hash with a random 16-byte salt ([`HashParams`]:
//!   m = 19 MiB, t = 2, p = 1 by default, per OWASP).
//! * Escalating waits after wrong PINs ([`Policy`]: 5 free, then 30 s, 1 min, 5 min, 15 min,
//!   then 1 h each), never more than 100 tries per rolling hour. The counter is saved before
//!   the PIN is checked and survives restarts; only a right PIN resets it.
//! * Clock changes: a wall clock set back restarts the wait (never shortens it); set forward,
//!   it is bounded by the boot clock where the platform has one (Linux/Android), else it can
//!   skip a wait — see docs/THREAT_MODEL.md.
//! * Auto-lock after a timeout in the background; locked at every start.
//! * Optional wipe-after-N (off by default): reported as [`UnlockOutcome::WipeRequired`]; the
//!   caller erases the received cards and calls [`Lock::confirm_wiped`].
//!
//! ```
//! use livecard_lock::{Lock, MemoryStorage, SystemClock, HashParams, Policy, UnlockOutcome};
//! let storage = MemoryStorage::new();
//! let mut lock = Lock::open_with(storage.clone(), SystemClock::new(), Policy::default(),
//!                                HashParams::INSECURE_FOR_TESTS)?;
//! lock.set_pin("2580", None)?;
//! // next app start:
//! let mut lock = Lock::open_with(storage, SystemClock::new(), Policy::default(),
//!                                HashParams::INSECURE_FOR_TESTS)?;
//! assert!(lock.ensure_unlocked().is_err());
//! assert_eq!(lock.unlock("2580")?, UnlockOutcome::Unlocked);
//! lock.ensure_unlocked()?;
//! # Ok::<(), livecard_lock::LockError>(())
//! ```

mod clock;
mod error;
mod lock;
mod pin;
mod policy;
mod storage;

pub use clock::{BootStamp, Clock, ManualClock, SystemClock};
pub use error::{Lang, LockError};
pub use lock::{Lock, LockStatus, UnlockOutcome, DEFAULT_AUTO_LOCK_SECS};
pub use pin::{validate_pin, HashParams, PinFormatError, PIN_MAX_LEN, PIN_MIN_LEN};
pub use policy::{Policy, WIPE_AFTER_MAX, WIPE_AFTER_MIN};
pub use storage::{FileStorage, LockStorage, MemoryStorage, StorageError};

#[cfg(test)]
mod tests {
    /// The app keeps the lock in a `Mutex` in shared state, which needs `Send`.
    #[test]
    fn lock_is_send() {
        fn send<T: Send>() {}
        send::<crate::Lock>();
        send::<crate::LockError>();
    }
}
