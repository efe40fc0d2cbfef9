//! The PIN lock inside the core (issue 6 item 1): a [`livecard_lock::Lock`] behind a mutex,
//! its state in the [`SecretStore`] under [`LOCK_STATE_NAME`], and a guard that every
//! card-data method calls first.
//!
//! How the core learns that a PIN is set without opening the keystore: the non-secret flag
//! `meta.pin_set` in SQLite. No flag → the keystore is never touched (reading cards in a data
//! directory without a PIN needs no keystore, as before). Flag set → the lock is loaded from
//! the keystore on first use and starts locked; if its state is missing there, card data is
//! refused ([`CoreError::LockStateMissing`], kind `keys_missing`, fail closed) instead of
//! opening. The only ways out of that state are [`Core::recover_from_key_backup`] and
//! [`Core::start_over_without_keys`]; both are refused while the lock state exists.
//!
//! The flag is no weaker than the lock: whoever can edit the SQLite file can read the cards in
//! it directly (card data is protected at rest by the OS sandbox, not by the PIN).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use livecard_lock::{
    BootStamp, Clock, HashParams, Lock, LockStatus, LockStorage, MemoryStorage, Policy,
    StorageError, SystemClock, UnlockOutcome,
};

use crate::error::{CoreError, Result};
use crate::keystore::SecretStore;
use crate::store::Unlocked;
use crate::Core;

/// The lock's word that it was open (a token only [`Core::unlocked`] makes, through the
/// private guard here); [`crate::store::Store::unlocked`] takes it to hand out card data.
#[derive(Debug)]
pub(crate) struct LockOpen(());

#[cfg(test)]
impl LockOpen {
    /// The store's unit tests reach card data without a `Core`.
    pub(crate) fn for_tests() -> LockOpen {
        LockOpen(())
    }
}

/// The keystore entry holding the lock state (JSON with the Argon2id PIN hash, counters).
pub const LOCK_STATE_NAME: &str = "lock/state";

/// [`LockStorage`] over the core's [`SecretStore`], one entry.
struct KeystoreLockStorage(Arc<dyn SecretStore>);

impl LockStorage for KeystoreLockStorage {
    fn load(&self) -> std::result::Result<Option<Vec<u8>>, StorageError> {
        self.0
            .get(LOCK_STATE_NAME)
            .map(|v| v.map(|b| b.to_vec()))
            .map_err(|e| e.to_string().into())
    }

    fn save(&self, bytes: &[u8]) -> std::result::Result<(), StorageError> {
        self.0
            .set(LOCK_STATE_NAME, bytes)
            .map_err(|e| e.to_string().into())
    }
}

/// One clock shared by every lock this core opens (the lock is re-opened after a failed
/// load; a test keeps its own clone of a `ManualClock`).
#[derive(Clone)]
struct SharedClock(Arc<Mutex<Box<dyn Clock>>>);

impl SharedClock {
    fn get(&self) -> MutexGuard<'_, Box<dyn Clock>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for SharedClock {
    fn now(&self) -> DateTime<Utc> {
        self.get().now()
    }
    fn monotonic(&self) -> Duration {
        self.get().monotonic()
    }
    fn since_boot(&self) -> Option<BootStamp> {
        self.get().since_boot()
    }
}

/// The core's lock: not loaded until needed (and never loaded without `meta.pin_set`, unless
/// a lock operation asks for it).
pub(crate) struct LockCell {
    slot: Mutex<Option<Lock>>,
    clock: SharedClock,
    params: HashParams,
}

impl std::fmt::Debug for LockCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockCell")
            .field("lock", &*self.slot())
            .finish_non_exhaustive()
    }
}

impl Default for LockCell {
    fn default() -> Self {
        LockCell::new(Box::new(SystemClock::new()), HashParams::default())
    }
}

impl LockCell {
    pub(crate) fn new(clock: Box<dyn Clock>, params: HashParams) -> Self {
        LockCell {
            slot: Mutex::new(None),
            clock: SharedClock(Arc::new(Mutex::new(clock))),
            params,
        }
    }

    fn slot(&self) -> MutexGuard<'_, Option<Lock>> {
        // Lock methods save before they adopt a new state, so a panic cannot leave it torn.
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Core {
    /// Uses `clock` for the PIN lock instead of the system clock (tests drive time with
    /// `livecard_lock::ManualClock`). Call before any lock operation.
    pub fn with_lock_clock(mut self, clock: Box<dyn Clock>) -> Core {
        let params = self.lock.params;
        self.lock = LockCell::new(clock, params);
        self
    }

    /// TEST ONLY: cheap Argon2 parameters for the PIN hash, so tests run fast. Production
    /// uses the OWASP parameters (`HashParams::default()`).
    #[doc(hidden)]
    pub fn with_insecure_pin_hash_for_tests(mut self) -> Core {
        self.lock.params = HashParams::INSECURE_FOR_TESTS;
        self
    }

    /// Runs `f` on the loaded lock, loading it from the keystore first if needed. Fails closed
    /// when `meta.pin_set` is on but the keystore holds no PIN.
    async fn with_lock<T>(
        &self,
        f: impl FnOnce(&mut Lock) -> std::result::Result<T, livecard_lock::LockError>,
    ) -> Result<T> {
        {
            let mut slot = self.lock.slot();
            if let Some(l) = slot.as_mut() {
                return Ok(f(l)?);
            }
        }
        let flag = self.store.pin_set_flag().await?;
        let mut lock = Lock::open_with(
            KeystoreLockStorage(self.secrets.clone()),
            self.lock.clock.clone(),
            Policy::default(),
            self.lock.params,
        )?;
        let pin_set = lock.status()?.pin_set;
        if flag && !pin_set {
            return Err(CoreError::LockStateMissing {
                store: self.secrets.describe(),
            });
        }
        if pin_set && !flag {
            // The flag was lost (e.g. a failed write after set_pin): put it back.
            self.store.set_pin_set_flag(true).await?;
        }
        let mut slot = self.lock.slot();
        let l = slot.get_or_insert(lock);
        Ok(f(l)?)
    }

    /// The lock's word that it is open: `Err` of kind `locked` while the PIN lock is locked
    /// (or `keys_missing`). The only maker of a [`LockOpen`].
    async fn ensure_unlocked(&self) -> Result<LockOpen> {
        {
            let slot = self.lock.slot();
            if let Some(l) = slot.as_ref() {
                l.ensure_unlocked()?;
                return Ok(LockOpen(()));
            }
        }
        if !self.store.pin_set_flag().await? {
            return Ok(LockOpen(()));
        }
        self.with_lock(|l| l.ensure_unlocked()).await?;
        Ok(LockOpen(()))
    }

    /// The guard at the top of every method that returns, exports or changes card data: the
    /// card data itself ([`Unlocked`]), or `Err` of kind `locked` while the PIN lock is locked.
    pub(crate) async fn unlocked(&self) -> Result<Unlocked<'_>> {
        let open = self.ensure_unlocked().await?;
        Ok(self.store.unlocked(open))
    }

    /// Defaults of a lock without a PIN, from a throwaway in-memory lock.
    fn no_pin_status(&self) -> Result<LockStatus> {
        let mut l = Lock::open_with(
            MemoryStorage::new(),
            self.lock.clock.clone(),
            Policy::default(),
            self.lock.params,
        )?;
        Ok(l.status()?)
    }

    /// The lock's state (works while locked). Without a PIN set, the keystore is not opened.
    /// In the keys-missing state (`meta.pin_set` on, no lock state in the keystore) it answers
    /// `keys_missing: true` (with `pin_set` and `locked`) instead of an error, so the app can
    /// offer the ways out.
    pub async fn lock_status(&self) -> Result<LockStatus> {
        let loaded = self.lock.slot().is_some();
        if !loaded && !self.store.pin_set_flag().await? {
            return self.no_pin_status();
        }
        match self.with_lock(|l| l.status()).await {
            Err(CoreError::LockStateMissing { .. }) => {
                let mut st = self.no_pin_status()?;
                st.pin_set = true;
                st.locked = true;
                st.keys_missing = true;
                Ok(st)
            }
            r => r,
        }
    }

    /// The keys-missing state: `meta.pin_set` is on but the keystore holds no lock state (the
    /// data folder came back from a backup without the keystore). Never true once a lock was
    /// loaded, since then its state exists.
    async fn keys_missing(&self) -> Result<bool> {
        let loaded = self.lock.slot().is_some();
        if loaded || !self.store.pin_set_flag().await? {
            return Ok(false);
        }
        let mut lock = Lock::open_with(
            KeystoreLockStorage(self.secrets.clone()),
            self.lock.clock.clone(),
            Policy::default(),
            self.lock.params,
        )?;
        Ok(!lock.status()?.pin_set)
    }

    /// Refuses unless in the keys-missing state: the ways out below must never bypass an
    /// intact PIN.
    async fn ensure_keys_missing(&self) -> Result<()> {
        if self.keys_missing().await? {
            Ok(())
        } else {
            Err(CoreError::KeysNotMissing)
        }
    }

    /// The lock is reset after a way out: no PIN (the flag off, nothing in the keystore).
    async fn reset_missing_lock(&self) -> Result<()> {
        self.store.set_pin_set_flag(false).await?;
        *self.lock.slot() = None;
        Ok(())
    }

    /// Way out 1 of the keys-missing state: restore the owner keys from a key backup (see
    /// [`Core::import_keys`]). The backup must hold the key of an own card of this database
    /// (else kind `invalid_input`: someone else's backup opens nothing here), and the right
    /// passphrase proves its owner: the keys come back and,
    /// since the backup holds no PIN state, the lock is reset (no PIN; the app asks for a new
    /// one). A wrong passphrase ([`CoreError::WrongPassphrase`]) or a damaged file changes
    /// nothing. Refused ([`CoreError::KeysNotMissing`], kind `keys_present`) unless the keys
    /// are missing.
    pub async fn recover_from_key_backup(
        &self,
        file: &[u8],
        passphrase: &str,
    ) -> Result<crate::backup::KeysImported> {
        self.ensure_keys_missing().await?;
        // The keys-missing way out: the lock cannot open (its state is gone), and restoring
        // the owner's keys is exactly what a correct passphrase is allowed to do here.
        let db = self.store.unlocked(LockOpen(()));
        let imported = self
            .import_keys_unguarded(db, file, passphrase, true)
            .await?;
        self.reset_missing_lock().await?;
        Ok(imported)
    }

    /// Way out 2 of the keys-missing state: start over on this phone. Every received card
    /// (with its notes, tags and history: all the PIN guarded) is deleted and the lock reset
    /// (no PIN). Own cards stay; a published one cannot be published again until its keys are
    /// restored from a key backup. Returns how many received cards were deleted. Refused
    /// ([`CoreError::KeysNotMissing`], kind `keys_present`) unless the keys are missing.
    pub async fn start_over_without_keys(&self) -> Result<u64> {
        self.ensure_keys_missing().await?;
        let erased = self.store.delete_all_received().await?;
        self.reset_missing_lock().await?;
        Ok(erased)
    }

    /// Enters the PIN and returns the new status. A wrong PIN is an error of kind
    /// `wrong_pin` (with the tries left and the wait), during a wait `must_wait` (the PIN is
    /// not checked). When wipe-after-N fires, every received card is deleted in one
    /// transaction and the error is [`CoreError::Wiped`]; the lock stays locked.
    pub async fn unlock(&self, pin: &str) -> Result<LockStatus> {
        match self.with_lock(|l| l.unlock(pin)).await? {
            UnlockOutcome::Unlocked => self.with_lock(|l| l.status()).await,
            UnlockOutcome::WipeRequired => {
                let erased = self.store.delete_all_received().await?;
                self.with_lock(|l| l.confirm_wiped()).await?;
                Err(CoreError::Wiped { erased })
            }
        }
    }

    /// Sets the PIN (4–12 digits), or changes it: then `current` is required. Leaves the core
    /// unlocked.
    pub async fn set_pin(&self, new: &str, current: Option<&str>) -> Result<LockStatus> {
        // Keystore first, then the flag: a lost flag is healed on the next load, while a flag
        // without a PIN in the keystore would lock the user out.
        self.with_lock(|l| l.set_pin(new, current)).await?;
        self.store.set_pin_set_flag(true).await?;
        self.with_lock(|l| l.status()).await
    }

    /// Removes the PIN (the current one is required); wipe-after-N goes off with it.
    pub async fn remove_pin(&self, current: &str) -> Result<LockStatus> {
        // Load (fails closed if the state is missing) before touching the flag.
        self.with_lock(|l| l.status()).await?;
        // Flag off first, restored if the PIN is refused: a flag left on after the PIN is
        // gone would lock the user out.
        self.store.set_pin_set_flag(false).await?;
        if let Err(e) = self.with_lock(|l| l.remove_pin(current)).await {
            self.store.set_pin_set_flag(true).await?;
            return Err(e);
        }
        self.with_lock(|l| l.status()).await
    }

    /// Locks now (the user tapped "lock"). No effect without a PIN.
    pub async fn lock_now(&self) -> Result<LockStatus> {
        if !self.store.pin_set_flag().await? && self.lock.slot().is_none() {
            return self.lock_status().await;
        }
        self.with_lock(|l| {
            l.lock();
            l.status()
        })
        .await
    }

    /// Wipe-after-N: `Some(n)` (5–100) erases the received cards after n wrong PINs in a row;
    /// `None` (the default) never. Needs a PIN and an unlocked core.
    pub async fn set_wipe_after(&self, n: Option<u32>) -> Result<LockStatus> {
        self.with_lock(|l| {
            l.set_wipe_after(n)?;
            l.status()
        })
        .await
    }

    /// Allows or stops unlocking with the phone's biometrics. Needs a PIN and an unlocked
    /// core.
    pub async fn set_biometric(&self, enabled: bool) -> Result<LockStatus> {
        self.with_lock(|l| {
            l.set_biometric(enabled)?;
            l.status()
        })
        .await
    }

    /// Call only after the platform's biometric prompt succeeded (the app shell runs it;
    /// the webview cannot): opens the lock when the owner turned biometrics on. Errors:
    /// `biometric_off`, `no_pin`, `wipe_required`.
    pub async fn unlock_after_biometric(&self) -> Result<LockStatus> {
        self.with_lock(|l| {
            l.unlock_biometric()?;
            l.status()
        })
        .await
    }

    /// Auto-lock timeout in the background, seconds (0 = at once). Needs an unlocked core.
    pub async fn set_auto_lock_secs(&self, secs: u32) -> Result<LockStatus> {
        self.with_lock(|l| {
            l.set_auto_lock_secs(secs)?;
            l.status()
        })
        .await
    }

    /// The app left the screen (starts the auto-lock timer).
    pub fn on_background(&self) {
        if let Some(l) = self.lock.slot().as_mut() {
            l.on_background();
        }
    }

    /// The app is back: locks if it was away at least the timeout. Returns whether the core is
    /// locked now (a lock not loaded yet is reported as unlocked here; the guard still loads
    /// it, locked, when a PIN is set).
    pub fn on_foreground(&self) -> bool {
        match self.lock.slot().as_mut() {
            Some(l) => l.on_foreground(),
            None => false,
        }
    }
}
