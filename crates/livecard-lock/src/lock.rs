//! The lock itself.

use crate::clock::{BootStamp, Clock};
use crate::error::LockError;
use crate::pin::{hash_pin, validate_pin, verify_pin, HashParams};
use crate::policy::{Policy, WIPE_AFTER_MAX, WIPE_AFTER_MIN};
use crate::storage::LockStorage;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Default auto-lock timeout in the background, seconds.
pub const DEFAULT_AUTO_LOCK_SECS: u32 = 60;

const STATE_VERSION: u32 = 1;
const HOUR_MS: i64 = 3_600_000;

/// What is persisted, as JSON. Contains no PIN, only its Argon2id PHC hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    v: u32,
    /// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, or none when no PIN is set.
    pin_hash: Option<String>,
    /// Consecutive tries that were not (yet) confirmed right. Counted *before* the PIN is
    /// checked and reset to 0 when it is right, so killing the app mid-check costs a try.
    wrong_tries: u32,
    /// Wall time of the last counted try, Unix milliseconds.
    last_failure: Option<i64>,
    /// Boot clock at the last counted try (where the platform has one).
    last_failure_boot: Option<BootStamp>,
    /// Wall times (Unix ms) of the tries of the last hour (hourly cap). Integers keep the
    /// state small: at most 100 entries, about 1.7 KB in all, under Windows Credential
    /// Manager's 2,560-byte limit.
    recent_tries: Vec<i64>,
    auto_lock_secs: u32,
    wipe_after: Option<u32>,
    /// Wipe-after-N fired and the caller has not confirmed the wipe yet.
    wipe_pending: bool,
    /// The wipe was done for the current run of wrong PINs: further wrong PINs do not ask
    /// for it again. Cleared by a right PIN.
    #[serde(default)]
    wipe_done: bool,
    /// The owner allowed unlocking with the phone's biometrics (fingerprint, face) as well as
    /// the PIN. Off by default; off again when the PIN is removed.
    #[serde(default)]
    biometric: bool,
}

impl Default for State {
    fn default() -> Self {
        Self {
            v: STATE_VERSION,
            pin_hash: None,
            wrong_tries: 0,
            last_failure: None,
            last_failure_boot: None,
            recent_tries: Vec::new(),
            auto_lock_secs: DEFAULT_AUTO_LOCK_SECS,
            wipe_after: None,
            wipe_pending: false,
            wipe_done: false,
            biometric: false,
        }
    }
}

/// The lock's state for the UI and `livecard lock status --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LockStatus {
    /// A PIN is set.
    pub pin_set: bool,
    /// Card data is refused until the PIN is entered.
    pub locked: bool,
    /// Consecutive wrong PINs.
    pub wrong_tries: u32,
    /// Seconds before a PIN may be tried (0 = now).
    pub wait_secs: u64,
    /// Wrong PINs still allowed before waits start.
    pub tries_left_before_delay: u32,
    /// Auto-lock timeout in the background (0 = lock as soon as the app leaves the screen).
    pub auto_lock_secs: u32,
    /// Wipe-after-N setting (`None` = off, the default).
    pub wipe_after: Option<u32>,
    /// Wipe-after-N fired; the received cards must be erased (then `confirm_wiped`).
    pub wipe_pending: bool,
    /// Unlocking with the phone's biometrics is allowed (see [`Lock::unlock_biometric`]).
    pub biometric: bool,
    /// The lock state itself is gone (a data folder restored without its keystore): no PIN
    /// opens it. Never set by this crate; the app's core reports it (livecard-core
    /// `Core::lock_status`). Absent in older JSON = `false`.
    #[serde(default)]
    pub keys_missing: bool,
}

/// Result of a PIN check that did not fail.
#[must_use = "WipeRequired means the caller must erase the received cards"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlockOutcome {
    /// The PIN was right; the lock is open.
    Unlocked,
    /// Wipe-after-N fired (with this wrong PIN or earlier, unconfirmed): erase every received
    /// card, then call [`Lock::confirm_wiped`]. The lock stays locked.
    WipeRequired,
}

enum Verdict {
    Right,
    Wrong,
    Wipe,
}

/// The PIN lock. Construct it from storage at every app start ([`Lock::open`]); it starts
/// locked when a PIN is set. Not thread-safe by itself: keep it behind a `Mutex`.
pub struct Lock {
    storage: Box<dyn LockStorage>,
    clock: Box<dyn Clock>,
    policy: Policy,
    params: HashParams,
    state: State,
    unlocked: bool,
    /// Wall and monotonic time when the app went to the background while unlocked.
    background_since: Option<(DateTime<Utc>, Duration)>,
}

impl std::fmt::Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lock")
            .field("pin_set", &self.state.pin_hash.is_some())
            .field("unlocked", &self.unlocked)
            .field("wrong_tries", &self.state.wrong_tries)
            .finish_non_exhaustive()
    }
}

impl Lock {
    /// Opens the lock from storage with the default [`Policy`] and OWASP Argon2id parameters.
    pub fn open(
        storage: impl LockStorage + 'static,
        clock: impl Clock + 'static,
    ) -> Result<Lock, LockError> {
        Self::open_with(storage, clock, Policy::default(), HashParams::default())
    }

    /// Opens the lock with an explicit policy and hash parameters (tests use cheap ones).
    pub fn open_with(
        storage: impl LockStorage + 'static,
        clock: impl Clock + 'static,
        policy: Policy,
        params: HashParams,
    ) -> Result<Lock, LockError> {
        let state = match storage.load().map_err(LockError::Storage)? {
            None => State::default(),
            Some(bytes) => {
                let s: State = serde_json::from_slice(&bytes)
                    .map_err(|e| LockError::CorruptState(e.to_string()))?;
                if s.v != STATE_VERSION {
                    return Err(LockError::CorruptState(format!(
                        "state version {} (this build reads {STATE_VERSION})",
                        s.v
                    )));
                }
                s
            }
        };
        Ok(Lock {
            storage: Box::new(storage),
            clock: Box::new(clock),
            policy,
            params,
            unlocked: state.pin_hash.is_none(),
            state,
            background_since: None,
        })
    }

    /// True while card data must be refused (a PIN is set and not entered, or a wipe is due).
    pub fn is_locked(&self) -> bool {
        self.state.pin_hash.is_some() && (!self.unlocked || self.state.wipe_pending)
    }

    /// Call at the top of every operation that returns card data.
    pub fn ensure_unlocked(&self) -> Result<(), LockError> {
        if self.state.wipe_pending {
            return Err(LockError::WipeRequired);
        }
        if self.is_locked() {
            return Err(LockError::Locked);
        }
        Ok(())
    }

    /// Locks now (the user tapped "lock").
    pub fn lock(&mut self) {
        if self.state.pin_hash.is_some() {
            self.unlocked = false;
        }
    }

    /// Current state. May write storage (when the wall clock went back, stored times are
    /// moved to now so the wait restarts rather than shrinks).
    pub fn status(&mut self) -> Result<LockStatus, LockError> {
        self.rebase_clock()?;
        Ok(LockStatus {
            pin_set: self.state.pin_hash.is_some(),
            locked: self.is_locked(),
            wrong_tries: self.state.wrong_tries,
            wait_secs: self.wait_secs_now(),
            tries_left_before_delay: self.policy.tries_left_before_delay(self.state.wrong_tries),
            auto_lock_secs: self.state.auto_lock_secs,
            wipe_after: self.state.wipe_after,
            wipe_pending: self.state.wipe_pending,
            biometric: self.state.biometric,
            keys_missing: false,
        })
    }

    /// Enters the PIN. Order of checks: no PIN set → `NoPin`; pending wipe →
    /// `Ok(WipeRequired)`; still waiting → `MustWait` (PIN not checked, nothing counted);
    /// bad format → `InvalidPin` (not counted); then the try is counted and saved, the PIN
    /// checked, and a right PIN resets the counter and unlocks.
    pub fn unlock(&mut self, pin: &str) -> Result<UnlockOutcome, LockError> {
        match self.check(pin)? {
            Verdict::Right => {
                self.unlocked = true;
                Ok(UnlockOutcome::Unlocked)
            }
            Verdict::Wipe => Ok(UnlockOutcome::WipeRequired),
            Verdict::Wrong => Err(self.wrong_pin_error()),
        }
    }

    /// Sets or changes the PIN. With no PIN set, `current` is ignored. With a PIN set,
    /// `current` is required even when unlocked (someone picking up an unlocked phone must
    /// not be able to lock the owner out), and it is checked like [`Lock::unlock`] — same
    /// counter, same waits. Leaves the lock unlocked and the counter at 0.
    pub fn set_pin(&mut self, new: &str, current: Option<&str>) -> Result<(), LockError> {
        validate_pin(new).map_err(LockError::InvalidPin)?;
        if self.state.pin_hash.is_some() {
            let current = current.ok_or(LockError::CurrentPinRequired)?;
            self.check_for_change(current)?;
        }
        let hash = hash_pin(new, self.params).map_err(LockError::Hash)?;
        let mut next = self.state.clone();
        next.pin_hash = Some(hash);
        next.wrong_tries = 0;
        next.last_failure = None;
        next.last_failure_boot = None;
        next.recent_tries.clear();
        self.commit(next)?;
        self.unlocked = true;
        Ok(())
    }

    /// Removes the PIN (checked like [`Lock::unlock`]); wipe-after-N is switched off with it.
    pub fn remove_pin(&mut self, current: &str) -> Result<(), LockError> {
        if self.state.pin_hash.is_none() {
            return Err(LockError::NoPin);
        }
        self.check_for_change(current)?;
        let next = State {
            auto_lock_secs: self.state.auto_lock_secs,
            ..State::default()
        };
        self.commit(next)?;
        self.unlocked = true;
        Ok(())
    }

    /// Sets the auto-lock timeout (0 = lock as soon as the app goes to the background).
    /// Refused while locked.
    pub fn set_auto_lock_secs(&mut self, secs: u32) -> Result<(), LockError> {
        self.ensure_unlocked()?;
        let mut next = self.state.clone();
        next.auto_lock_secs = secs;
        self.commit(next)
    }

    /// Turns wipe-after-N on (`Some(n)`, 5 ≤ n ≤ 100) or off (`None`). Needs a PIN and an
    /// unlocked lock. Off by default; the UI must warn that it erases every received card.
    pub fn set_wipe_after(&mut self, n: Option<u32>) -> Result<(), LockError> {
        if self.state.pin_hash.is_none() {
            return Err(LockError::NoPin);
        }
        self.ensure_unlocked()?;
        if let Some(n) = n {
            if !(WIPE_AFTER_MIN..=WIPE_AFTER_MAX).contains(&n) {
                return Err(LockError::WipeAfterOutOfRange {
                    min: WIPE_AFTER_MIN,
                    max: WIPE_AFTER_MAX,
                });
            }
        }
        let mut next = self.state.clone();
        next.wipe_after = n;
        self.commit(next)
    }

    /// Allows or stops unlocking with biometrics. Needs a PIN (biometrics are a shortcut to
    /// the PIN, never a replacement: the PIN still opens the lock) and an unlocked lock.
    pub fn set_biometric(&mut self, enabled: bool) -> Result<(), LockError> {
        if self.state.pin_hash.is_none() {
            return Err(LockError::NoPin);
        }
        self.ensure_unlocked()?;
        let mut next = self.state.clone();
        next.biometric = enabled;
        self.commit(next)
    }

    /// The platform confirmed the owner's fingerprint or face (the caller ran the system
    /// prompt and it succeeded): unlocks like a right PIN and resets the wrong-PIN counter.
    /// Refused when biometrics are off (`BiometricOff`) or a wipe is pending. The waits after
    /// wrong PINs do not apply: they slow down guessing a PIN, and the system prompt has its
    /// own lock-out after failed matches.
    pub fn unlock_biometric(&mut self) -> Result<(), LockError> {
        if self.state.pin_hash.is_none() {
            return Err(LockError::NoPin);
        }
        if self.state.wipe_pending {
            return Err(LockError::WipeRequired);
        }
        if !self.state.biometric {
            return Err(LockError::BiometricOff);
        }
        let mut next = self.state.clone();
        next.wrong_tries = 0;
        next.last_failure = None;
        next.last_failure_boot = None;
        next.recent_tries.clear();
        next.wipe_done = false;
        self.commit(next)?;
        self.unlocked = true;
        Ok(())
    }

    /// The caller erased the received cards after `WipeRequired`. The PIN stays and the lock
    /// stays locked; the wrong-try counter is *not* reset (the owner's own cards and keys are
    /// still behind the PIN), so further guesses keep the growing waits. Further wrong PINs do
    /// not ask for another wipe until a right PIN has been entered.
    pub fn confirm_wiped(&mut self) -> Result<(), LockError> {
        if !self.state.wipe_pending {
            return Ok(());
        }
        let mut next = self.state.clone();
        next.wipe_pending = false;
        next.wipe_done = true;
        self.commit(next)?;
        self.unlocked = false;
        Ok(())
    }

    /// The app left the screen. With timeout 0 it locks at once.
    pub fn on_background(&mut self) {
        if !self.is_locked() && self.state.pin_hash.is_some() {
            if self.state.auto_lock_secs == 0 {
                self.unlocked = false;
            } else {
                self.background_since = Some((self.clock.now(), self.clock.monotonic()));
            }
        }
    }

    /// The app is back on screen: locks if it was away at least the timeout, measured by the
    /// wall clock *or* the monotonic clock, whichever says longer (setting the wall clock back
    /// does not keep it open; a monotonic clock that stops in deep sleep does not either).
    /// Returns whether the lock is now locked.
    pub fn on_foreground(&mut self) -> bool {
        if let Some((wall, mono)) = self.background_since.take() {
            let wall_ms = (self.clock.now() - wall).num_milliseconds().max(0) as u128;
            let mono_ms = self.clock.monotonic().saturating_sub(mono).as_millis();
            let away_ms = wall_ms.max(mono_ms);
            if away_ms >= u128::from(self.state.auto_lock_secs) * 1000 {
                self.unlocked = false;
            }
        }
        self.is_locked()
    }

    // ----- internals -----

    fn check_for_change(&mut self, current: &str) -> Result<(), LockError> {
        match self.check(current)? {
            Verdict::Right => Ok(()),
            Verdict::Wipe => Err(LockError::WipeRequired),
            Verdict::Wrong => Err(self.wrong_pin_error()),
        }
    }

    fn check(&mut self, pin: &str) -> Result<Verdict, LockError> {
        let hash = self.state.pin_hash.clone().ok_or(LockError::NoPin)?;
        if self.state.wipe_pending {
            return Ok(Verdict::Wipe);
        }
        self.rebase_clock()?;
        let wait = self.wait_secs_now();
        if wait > 0 {
            return Err(LockError::MustWait { wait_secs: wait });
        }
        validate_pin(pin).map_err(LockError::InvalidPin)?;

        // Count the try and make it durable before looking at the PIN.
        let now = self.clock.now().timestamp_millis();
        let mut counted = self.state.clone();
        counted.wrong_tries = counted.wrong_tries.saturating_add(1);
        counted.last_failure = Some(now);
        counted.last_failure_boot = self.clock.since_boot();
        counted
            .recent_tries
            .retain(|t| now.saturating_sub(*t) < HOUR_MS);
        counted.recent_tries.push(now);
        self.commit(counted)?;

        if verify_pin(pin, &hash).map_err(LockError::Hash)? {
            let mut next = self.state.clone();
            next.wrong_tries = 0;
            next.last_failure = None;
            next.last_failure_boot = None;
            next.recent_tries.clear();
            next.wipe_done = false;
            self.commit(next)?;
            return Ok(Verdict::Right);
        }
        if let Some(n) = self.state.wipe_after {
            // `>=`, not `==`: if the app died between counting the N-th try and saving the
            // wipe flag, the next wrong PIN still fires it.
            if self.state.wrong_tries >= n && !self.state.wipe_done {
                let mut next = self.state.clone();
                next.wipe_pending = true;
                self.commit(next)?;
                self.unlocked = false;
                return Ok(Verdict::Wipe);
            }
        }
        Ok(Verdict::Wrong)
    }

    fn wrong_pin_error(&self) -> LockError {
        let wrong = self.state.wrong_tries;
        LockError::WrongPin {
            wrong_tries: wrong,
            tries_left_before_delay: self.policy.tries_left_before_delay(wrong),
            wait_secs: self.wait_secs_now(),
            tries_left_before_wipe: self.state.wipe_after.map(|n| n.saturating_sub(wrong)),
        }
    }

    /// Saves `next` and only then adopts it, so memory never runs ahead of storage.
    fn commit(&mut self, next: State) -> Result<(), LockError> {
        let bytes = serde_json::to_vec(&next).map_err(|e| LockError::Storage(Box::new(e)))?;
        self.storage.save(&bytes).map_err(LockError::Storage)?;
        self.state = next;
        Ok(())
    }

    /// If the wall clock is now earlier than stored try times (someone set it back), move
    /// those times to now: the wait then restarts in full instead of growing by however far
    /// the clock went back, and never shrinks.
    fn rebase_clock(&mut self) -> Result<(), LockError> {
        let now = self.clock.now().timestamp_millis();
        let future_last = self.state.last_failure.is_some_and(|t| t > now);
        let future_recent = self.state.recent_tries.iter().any(|t| *t > now);
        if !future_last && !future_recent {
            return Ok(());
        }
        let mut next = self.state.clone();
        if future_last {
            next.last_failure = Some(now);
        }
        for t in next.recent_tries.iter_mut() {
            if *t > now {
                *t = now;
            }
        }
        self.commit(next)
    }

    /// Seconds until the next try is allowed: the larger of the delay-schedule wait and the
    /// hourly-cap wait.
    fn wait_secs_now(&self) -> u64 {
        let now = self.clock.now().timestamp_millis();
        let mut wait_ms: i64 = 0;
        if let Some(last) = self.state.last_failure {
            let need_ms = (self.policy.wait_after(self.state.wrong_tries) as i64) * 1000;
            let mut elapsed_ms = now.saturating_sub(last).max(0);
            // Same boot: the boot clock cannot be set, so a wall clock set forward gains
            // nothing until the phone is rebooted.
            if let (Some(then), Some(b)) = (&self.state.last_failure_boot, self.clock.since_boot())
            {
                if then.boot_id == b.boot_id {
                    let boot_elapsed = b.since_boot_ms.saturating_sub(then.since_boot_ms);
                    elapsed_ms = elapsed_ms.min(i64::try_from(boot_elapsed).unwrap_or(i64::MAX));
                }
            }
            wait_ms = wait_ms.max(need_ms - elapsed_ms);
        }
        let cap = self.policy.max_tries_per_hour as usize;
        if cap > 0 {
            let mut in_hour: Vec<i64> = self
                .state
                .recent_tries
                .iter()
                .copied()
                .filter(|t| now.saturating_sub(*t) < HOUR_MS)
                .collect();
            if in_hour.len() >= cap {
                in_hour.sort();
                // The try that has to leave the window before one more is allowed.
                let oldest = in_hour[in_hour.len() - cap];
                wait_ms = wait_ms.max(oldest.saturating_add(HOUR_MS).saturating_sub(now));
            }
        }
        if wait_ms <= 0 {
            0
        } else {
            (wait_ms as u64).div_ceil(1000)
        }
    }
}
