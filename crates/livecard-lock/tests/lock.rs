//! Lock behaviour with a hand-driven clock and real storage (memory and files in a tempdir).

use chrono::{DateTime, TimeZone, Utc};
use livecard_lock::{
    Clock, FileStorage, HashParams, Lang, Lock, LockError, LockStatus, LockStorage, ManualClock,
    MemoryStorage, PinFormatError, Policy, StorageError, UnlockOutcome,
};

const PIN: &str = "2580";
const WRONG: &str = "0000";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

fn open_policy(st: &impl Clone2Storage, clock: &ManualClock, policy: Policy) -> Lock {
    Lock::open_with(
        st.boxed(),
        clock.clone(),
        policy,
        HashParams::INSECURE_FOR_TESTS,
    )
    .unwrap()
}

fn open(st: &impl Clone2Storage, clock: &ManualClock) -> Lock {
    open_policy(st, clock, Policy::default())
}

/// Storage handles that can be cloned into a new lock (a "restart" shares the backing store).
trait Clone2Storage {
    fn boxed(&self) -> Box<dyn LockStorage>;
}
impl Clone2Storage for MemoryStorage {
    fn boxed(&self) -> Box<dyn LockStorage> {
        Box::new(self.clone())
    }
}
impl Clone2Storage for FileStorage {
    fn boxed(&self) -> Box<dyn LockStorage> {
        Box::new(self.clone())
    }
}

/// A lock with PIN set, reopened (so it starts locked) — like the next app start.
fn locked_with_pin(policy: Policy) -> (MemoryStorage, ManualClock, Lock) {
    let st = MemoryStorage::new();
    let clock = ManualClock::new(t0());
    open_policy(&st, &clock, policy.clone())
        .set_pin(PIN, None)
        .unwrap();
    let lock = open_policy(&st, &clock, policy);
    (st, clock, lock)
}

fn wrong(lock: &mut Lock) -> (u32, u32, u64) {
    match lock.unlock(WRONG) {
        Err(LockError::WrongPin {
            wrong_tries,
            tries_left_before_delay,
            wait_secs,
            ..
        }) => (wrong_tries, tries_left_before_delay, wait_secs),
        other => panic!("expected WrongPin, got {other:?}"),
    }
}

fn must_wait(r: Result<UnlockOutcome, LockError>) -> u64 {
    match r {
        Err(LockError::MustWait { wait_secs }) => wait_secs,
        other => panic!("expected MustWait, got {other:?}"),
    }
}

#[test]
fn delay_schedule_exact_waits() {
    let (_st, clock, mut lock) = locked_with_pin(Policy::default());
    for n in 1..=4 {
        assert_eq!(wrong(&mut lock), (n, 5 - n, 0), "free try {n}");
    }
    let mut seen = Vec::new();
    for n in 5..=11 {
        let (tries, left, wait) = wrong(&mut lock);
        assert_eq!((tries, left), (n, 0));
        seen.push(wait);
        // One second before the end: still refused, with the exact remainder.
        clock.advance_secs(wait - 1);
        assert_eq!(must_wait(lock.unlock(WRONG)), 1);
        clock.advance_secs(1);
    }
    assert_eq!(seen, [30, 60, 300, 900, 3600, 3600, 3600]);
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    let s = lock.status().unwrap();
    assert_eq!((s.wrong_tries, s.wait_secs, s.locked), (0, 0, false));
}

#[test]
fn waiting_refuses_without_counting_or_checking() {
    let (st, clock, mut lock) = locked_with_pin(Policy::default());
    for _ in 0..5 {
        wrong(&mut lock);
    }
    let before = st.bytes();
    clock.advance_secs(10);
    // The right PIN is refused too: it is not even looked at.
    assert_eq!(must_wait(lock.unlock(PIN)), 20);
    // A malformed PIN during the wait gets the wait, not a format error.
    assert_eq!(must_wait(lock.unlock("x")), 20);
    assert_eq!(st.bytes(), before, "nothing persisted while waiting");
    assert_eq!(lock.status().unwrap().wrong_tries, 5);
    assert!(lock.is_locked());
    clock.advance_secs(20);
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    assert_eq!(lock.status().unwrap().wrong_tries, 0);
}

#[test]
fn right_pin_resets_the_counter() {
    let (_st, _clock, mut lock) = locked_with_pin(Policy::default());
    for _ in 0..4 {
        wrong(&mut lock);
    }
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.lock();
    // Five free tries again, not one.
    for n in 1..=4 {
        assert_eq!(wrong(&mut lock).2, 0, "try {n}");
    }
}

#[test]
fn counter_and_wait_survive_restart() {
    let (st, clock, mut lock) = locked_with_pin(Policy::default());
    for _ in 0..5 {
        wrong(&mut lock);
    }
    clock.advance_secs(30);
    assert_eq!(wrong(&mut lock), (6, 0, 60));
    drop(lock);
    clock.advance_secs(15);
    let mut lock = open(&st, &clock);
    let s = lock.status().unwrap();
    assert_eq!(
        s,
        LockStatus {
            pin_set: true,
            locked: true,
            wrong_tries: 6,
            wait_secs: 45,
            tries_left_before_delay: 0,
            auto_lock_secs: 60,
            wipe_after: None,
            wipe_pending: false,
            biometric: false,
            keys_missing: false,
        }
    );
    assert_eq!(must_wait(lock.unlock(PIN)), 45);
}

/// Each CLI run is a new process: it opens the lock from storage, tries `--pin` once, exits.
#[test]
fn three_cli_processes_share_counter_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock-state.json");
    let clock = ManualClock::new(t0());
    let run = |pin: &str| -> Result<UnlockOutcome, LockError> {
        let mut lock = open(&FileStorage::new(&path), &clock);
        assert!(lock.is_locked(), "every process starts locked");
        let r = lock.unlock(pin);
        if matches!(r, Ok(UnlockOutcome::Unlocked)) {
            lock.ensure_unlocked().unwrap();
        } else {
            assert!(matches!(lock.ensure_unlocked(), Err(LockError::Locked)));
        }
        r
    };
    // Process 1: `lock set-pin 2580`.
    open(&FileStorage::new(&path), &clock)
        .set_pin(PIN, None)
        .unwrap();
    // Processes 2..6: five wrong PINs; the fifth starts the 30 s wait.
    for n in 1..=5u32 {
        let e = run(WRONG).unwrap_err();
        assert!(
            matches!(e, LockError::WrongPin { wrong_tries, .. } if wrong_tries == n),
            "{e:?}"
        );
    }
    // Process 7, ten seconds later, with the right PIN: refused, 20 s left.
    clock.advance_secs(10);
    assert_eq!(must_wait(run(PIN)), 20);
    // Process 8 after the wait: unlocked; process 9 starts locked again and needs the PIN.
    clock.advance_secs(20);
    assert_eq!(run(PIN).unwrap(), UnlockOutcome::Unlocked);
    let e = run(WRONG).unwrap_err();
    assert!(matches!(e, LockError::WrongPin { wrong_tries: 1, .. }));
}

#[test]
fn hourly_cap_with_waits_elapsed() {
    // Short waits so 100 tries fit in an hour; the cap is what stops the 101st.
    let policy = Policy {
        free_tries: 5,
        delays_secs: vec![1, 2],
        max_tries_per_hour: 100,
    };
    let (st, clock, mut lock) = locked_with_pin(policy.clone());
    let start = clock.now();
    let mut last_wait = 0;
    for n in 1..=100u32 {
        clock.advance_secs(last_wait.max(1));
        let (tries, _, wait) = wrong(&mut lock);
        assert_eq!(tries, n);
        last_wait = wait;
    }
    // The first try was at start + 1 s.
    let elapsed = (clock.now() - start).num_seconds() as u64 - 1;
    assert!(elapsed < 3600, "100 tries took {elapsed} s");
    // The 100th wrong PIN already reports the cap's wait, longer than the schedule's 2 s.
    assert_eq!(last_wait, 3600 - elapsed);
    clock.advance_secs(2);
    // The 101st is refused — right PIN included — until the first try leaves the hour.
    let wait = must_wait(lock.unlock(PIN));
    assert_eq!(wait, 3600 - elapsed - 2);
    // Also after a restart.
    drop(lock);
    let mut lock = open_policy(&st, &clock, policy);
    assert_eq!(must_wait(lock.unlock(PIN)), wait);
    clock.advance_secs(wait - 1);
    assert_eq!(must_wait(lock.unlock(PIN)), 1);
    clock.advance_secs(1);
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
}

#[test]
fn default_policy_never_allows_more_than_100_tries_in_an_hour() {
    let (_st, clock, mut lock) = locked_with_pin(Policy::default());
    let mut tries_in_first_hour = 0;
    let mut t = 0;
    while t < 3600 {
        match lock.unlock(WRONG) {
            Err(LockError::WrongPin { .. }) => tries_in_first_hour += 1,
            Err(LockError::MustWait { .. }) => {}
            other => panic!("{other:?}"),
        }
        clock.advance_secs(1);
        t += 1;
    }
    // 5 free + after waits of 30, 60, 300, 900 s → 9 tries; the next wait is an hour.
    assert_eq!(tries_in_first_hour, 9);
}

#[test]
fn clock_set_back_does_not_shorten_the_wait() {
    let (_st, clock, mut lock) = locked_with_pin(Policy::default());
    for _ in 0..5 {
        wrong(&mut lock);
    }
    clock.advance_secs(30);
    assert_eq!(wrong(&mut lock), (6, 0, 60));
    clock.advance_secs(40);
    assert_eq!(lock.status().unwrap().wait_secs, 20);
    // A day back: the wait restarts in full (60 s), it does not shrink and does not become
    // a day long either.
    clock.shift_wall_secs(-86_400);
    assert_eq!(lock.status().unwrap().wait_secs, 60);
    assert_eq!(must_wait(lock.unlock(PIN)), 60);
    clock.advance_secs(59);
    assert_eq!(must_wait(lock.unlock(PIN)), 1);
    clock.advance_secs(1);
    assert_eq!(
        wrong(&mut lock).2,
        300,
        "counter not reset by the clock change"
    );
    // Back again by a small amount (less than elapsed): still never shorter.
    clock.advance_secs(100);
    clock.shift_wall_secs(-50);
    assert_eq!(lock.status().unwrap().wait_secs, 250);
}

#[test]
fn clock_set_forward_is_stopped_by_the_boot_clock_until_reboot() {
    let st = MemoryStorage::new();
    let clock = ManualClock::with_boot_clock(t0());
    open(&st, &clock).set_pin(PIN, None).unwrap();
    let mut lock = open(&st, &clock);
    for _ in 0..5 {
        wrong(&mut lock);
    }
    clock.shift_wall_secs(86_400);
    assert_eq!(
        must_wait(lock.unlock(PIN)),
        30,
        "same boot: wall jump ignored"
    );
    // Documented limit: after a reboot the boot clock cannot vouch for the elapsed time.
    clock.reboot();
    assert_eq!(wrong(&mut lock).2, 60);
}

#[test]
fn clock_set_forward_without_boot_clock_skips_one_wait() {
    // Documented limit (THREAT_MODEL.md): with no boot clock, each wall-clock jump skips one
    // wait; the counter keeps growing, so every later try needs another jump.
    let (_st, clock, mut lock) = locked_with_pin(Policy::default());
    for _ in 0..5 {
        wrong(&mut lock);
    }
    clock.shift_wall_secs(30);
    assert_eq!(wrong(&mut lock), (6, 0, 60));
    assert_eq!(must_wait(lock.unlock(PIN)), 60);
}

#[test]
fn wipe_after_n_when_enabled() {
    let (st, clock, mut lock) = locked_with_pin(Policy::default());
    assert!(matches!(
        lock.set_wipe_after(Some(7)),
        Err(LockError::Locked)
    ));
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    assert!(matches!(
        lock.set_wipe_after(Some(3)),
        Err(LockError::WipeAfterOutOfRange { min: 5, max: 100 })
    ));
    lock.set_wipe_after(Some(7)).unwrap();
    lock.lock();
    for n in 1..=6u32 {
        match lock.unlock(WRONG) {
            Err(LockError::WrongPin {
                tries_left_before_wipe,
                wait_secs,
                ..
            }) => {
                assert_eq!(tries_left_before_wipe, Some(7 - n));
                clock.advance_secs(wait_secs);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(lock.unlock(WRONG).unwrap(), UnlockOutcome::WipeRequired);
    assert!(matches!(
        lock.ensure_unlocked(),
        Err(LockError::WipeRequired)
    ));
    // Until the caller confirms the wipe, even the right PIN and a restart keep asking for it.
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::WipeRequired);
    drop(lock);
    let mut lock = open(&st, &clock);
    assert!(lock.status().unwrap().wipe_pending);
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::WipeRequired);
    lock.confirm_wiped().unwrap();
    let s = lock.status().unwrap();
    assert!(s.locked && !s.wipe_pending && s.pin_set);
    assert_eq!(s.wrong_tries, 7, "counter not reset by the wipe");
    // Another wrong PIN after the wipe: the schedule goes on (8th → 15 min), no second wipe.
    clock.advance_secs(s.wait_secs);
    assert_eq!(wrong(&mut lock).2, 900);
    clock.advance_secs(900);
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    // A right PIN re-arms it: seven more wrong PINs wipe again.
    lock.lock();
    for _ in 0..6 {
        let (_, _, wait) = wrong(&mut lock);
        clock.advance_secs(wait);
    }
    assert_eq!(lock.unlock(WRONG).unwrap(), UnlockOutcome::WipeRequired);
}

#[test]
fn wipe_still_fires_if_the_app_died_before_saving_it() {
    // State as left by a crash right after the 7th try was counted, before the wipe flag.
    let (st, clock, mut lock) = locked_with_pin(Policy::default());
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.set_wipe_after(Some(7)).unwrap();
    drop(lock);
    let mut state: serde_json::Value = serde_json::from_slice(&st.bytes().unwrap()).unwrap();
    state["wrong_tries"] = 7.into();
    st.save(&serde_json::to_vec(&state).unwrap()).unwrap();
    let mut lock = open(&st, &clock);
    assert_eq!(lock.unlock(WRONG).unwrap(), UnlockOutcome::WipeRequired);
}

#[test]
fn wipe_never_fires_when_disabled() {
    let policy = Policy {
        free_tries: 5,
        delays_secs: vec![1],
        max_tries_per_hour: 100,
    };
    let (_st, clock, mut lock) = locked_with_pin(policy);
    assert_eq!(lock.status().unwrap().wipe_after, None, "off by default");
    for _ in 0..150 {
        match lock.unlock(WRONG) {
            Err(LockError::WrongPin {
                tries_left_before_wipe: None,
                ..
            }) => {}
            Err(LockError::MustWait { .. }) => {}
            other => panic!("{other:?}"),
        }
        clock.advance_secs(60);
    }
    assert!(!lock.status().unwrap().wipe_pending);
}

#[test]
fn pin_format_errors_are_not_counted() {
    let (_st, _clock, mut lock) = locked_with_pin(Policy::default());
    let cases = [
        ("123", PinFormatError::TooShort),
        ("1234567890123", PinFormatError::TooLong),
        ("12a4", PinFormatError::NotDigits),
        ("１２３４", PinFormatError::NotDigits),
        (" 2580", PinFormatError::NotDigits),
    ];
    for (pin, want) in cases {
        match lock.unlock(pin) {
            Err(LockError::InvalidPin(got)) => assert_eq!(got, want, "{pin:?}"),
            other => panic!("{pin:?}: {other:?}"),
        }
    }
    assert_eq!(lock.status().unwrap().wrong_tries, 0);
    let st = MemoryStorage::new();
    let mut fresh = open(&st, &ManualClock::new(t0()));
    assert!(matches!(
        fresh.set_pin("12", None),
        Err(LockError::InvalidPin(PinFormatError::TooShort))
    ));
    assert!(matches!(fresh.unlock(PIN), Err(LockError::NoPin)));
    assert!(st.bytes().is_none());
}

#[test]
fn changing_the_pin_needs_the_current_one_and_obeys_the_waits() {
    let (_st, _clock, mut lock) = locked_with_pin(Policy::default());
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    assert!(matches!(
        lock.set_pin("1111", None),
        Err(LockError::CurrentPinRequired)
    ));
    for _ in 0..5 {
        assert!(matches!(
            lock.set_pin("1111", Some(WRONG)),
            Err(LockError::WrongPin { .. })
        ));
    }
    // The change dialog is no way around the wait.
    assert!(matches!(
        lock.set_pin("1111", Some(PIN)),
        Err(LockError::MustWait { wait_secs: 30 })
    ));
    let (st, clock, mut lock) = locked_with_pin(Policy::default());
    lock.set_pin("13579", Some(PIN)).unwrap();
    assert!(!lock.is_locked());
    let mut lock = open(&st, &clock);
    assert_eq!(wrong_with(&mut lock, PIN), 1, "old PIN no longer works");
    assert_eq!(lock.unlock("13579").unwrap(), UnlockOutcome::Unlocked);
}

fn wrong_with(lock: &mut Lock, pin: &str) -> u32 {
    match lock.unlock(pin) {
        Err(LockError::WrongPin { wrong_tries, .. }) => wrong_tries,
        other => panic!("{other:?}"),
    }
}

#[test]
fn remove_pin() {
    let (st, clock, mut lock) = locked_with_pin(Policy::default());
    assert!(matches!(
        lock.remove_pin(WRONG),
        Err(LockError::WrongPin { wrong_tries: 1, .. })
    ));
    lock.remove_pin(PIN).unwrap();
    let mut lock = open(&st, &clock);
    let s = lock.status().unwrap();
    assert!(!s.pin_set && !s.locked && s.wrong_tries == 0);
    lock.ensure_unlocked().unwrap();
    assert!(matches!(lock.remove_pin(PIN), Err(LockError::NoPin)));
}

#[test]
fn locked_on_start_only_with_a_pin() {
    let st = MemoryStorage::new();
    let clock = ManualClock::new(t0());
    let lock = open(&st, &clock);
    lock.ensure_unlocked().unwrap();
    drop(lock);
    open(&st, &clock).set_pin(PIN, None).unwrap();
    let lock = open(&st, &clock);
    assert!(matches!(lock.ensure_unlocked(), Err(LockError::Locked)));
}

#[test]
fn auto_lock_after_timeout_in_background() {
    let (_st, clock, mut lock) = locked_with_pin(Policy::default());
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.on_background();
    clock.advance_secs(59);
    assert!(!lock.on_foreground(), "59 s away: still open");
    lock.ensure_unlocked().unwrap();
    lock.on_background();
    clock.advance_secs(60);
    assert!(lock.on_foreground(), "60 s away: locked");
    assert!(matches!(lock.ensure_unlocked(), Err(LockError::Locked)));

    // Wall clock set back while away: the monotonic clock still counts.
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.on_background();
    clock.shift_wall_secs(-3600);
    clock.advance_secs(61);
    assert!(lock.on_foreground());

    // Monotonic clock stopped in deep sleep (only the wall clock moved): locked too.
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.on_background();
    clock.shift_wall_secs(600);
    assert!(lock.on_foreground());

    // Timeout 0: locked the moment the app leaves the screen.
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.set_auto_lock_secs(0).unwrap();
    lock.on_background();
    assert!(matches!(lock.ensure_unlocked(), Err(LockError::Locked)));
    assert!(matches!(
        lock.set_auto_lock_secs(600),
        Err(LockError::Locked)
    ));
    assert_eq!(lock.status().unwrap().auto_lock_secs, 0);
}

#[test]
fn persisted_state_holds_only_an_argon2id_hash_and_stays_small() {
    let policy = Policy {
        free_tries: 100,
        delays_secs: vec![0],
        max_tries_per_hour: 100,
    };
    let (st, clock, mut lock) = locked_with_pin(policy);
    for _ in 0..100 {
        let _ = lock.unlock("99999999");
        clock.advance_secs(1);
    }
    let bytes = st.bytes().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"pin_hash\":\"$argon2id$v=19$"), "{text}");
    assert!(!text.contains(PIN));
    // Windows Credential Manager stores at most 2,560 bytes per credential.
    assert!(bytes.len() < 2560, "{} bytes", bytes.len());
}

#[test]
fn damaged_state_keeps_the_lock_closed() {
    let st = MemoryStorage::new();
    st.save(b"{not json").unwrap();
    let r = Lock::open_with(
        st.clone(),
        ManualClock::new(t0()),
        Policy::default(),
        HashParams::INSECURE_FOR_TESTS,
    );
    assert!(matches!(r, Err(LockError::CorruptState(_))));
}

struct FailingStorage(MemoryStorage);
impl LockStorage for FailingStorage {
    fn load(&self) -> Result<Option<Vec<u8>>, StorageError> {
        self.0.load()
    }
    fn save(&self, _: &[u8]) -> Result<(), StorageError> {
        Err("disk full".into())
    }
}

#[test]
fn a_try_that_cannot_be_recorded_is_not_checked() {
    let (st, clock, lock) = locked_with_pin(Policy::default());
    drop(lock);
    let mut lock = Lock::open_with(
        FailingStorage(st),
        clock,
        Policy::default(),
        HashParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    // Even the right PIN does not open a lock that cannot count the try.
    assert!(matches!(lock.unlock(PIN), Err(LockError::Storage(_))));
    assert!(lock.is_locked());
}

#[test]
fn status_json_shape() {
    let (_st, _clock, mut lock) = locked_with_pin(Policy::default());
    wrong(&mut lock);
    let v = serde_json::to_value(lock.status().unwrap()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"pin_set": true, "locked": true, "wrong_tries": 1, "wait_secs": 0,
            "tries_left_before_delay": 4, "auto_lock_secs": 60, "wipe_after": null,
            "wipe_pending": false, "biometric": false, "keys_missing": false})
    );
}

#[test]
fn messages_in_english_and_chinese() {
    let errors = [
        LockError::NoPin,
        LockError::InvalidPin(PinFormatError::TooShort),
        LockError::WrongPin {
            wrong_tries: 5,
            tries_left_before_delay: 0,
            wait_secs: 30,
            tries_left_before_wipe: Some(2),
        },
        LockError::MustWait { wait_secs: 3599 },
        LockError::Locked,
        LockError::CurrentPinRequired,
        LockError::WipeRequired,
        LockError::WipeAfterOutOfRange { min: 5, max: 100 },
        LockError::CorruptState("x".into()),
    ];
    for e in &errors {
        let en = e.message(Lang::En);
        let zh = e.message(Lang::Zh);
        assert!(en.is_ascii() || en.contains('–'), "{en}");
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        assert_ne!(en, zh);
        assert!(!e.code().is_empty());
    }
    assert_eq!(
        errors[2].message(Lang::En),
        "Wrong PIN. Try again in 30 s. Received cards will be erased after 2 more wrong PINs."
    );
    assert_eq!(
        errors[3].message(Lang::Zh),
        "PIN 码错误次数过多，请在 1 小时后重试。"
    );
    assert_eq!(Lang::from_tag("zh-CN"), Lang::Zh);
    assert_eq!(Lang::from_tag("en-US"), Lang::En);
}

#[test]
fn biometric_unlock_only_when_turned_on_with_a_pin() {
    // No PIN: nothing to turn on.
    let st = MemoryStorage::new();
    let clock = ManualClock::new(t0());
    assert!(matches!(
        open(&st, &clock).set_biometric(true),
        Err(LockError::NoPin)
    ));

    let (st, clock, mut lock) = locked_with_pin(Policy::default());
    // Off by default: a biometric success does not open the lock.
    assert!(!lock.status().unwrap().biometric);
    assert!(matches!(
        lock.unlock_biometric(),
        Err(LockError::BiometricOff)
    ));
    // Turning it on needs the lock open.
    assert!(matches!(lock.set_biometric(true), Err(LockError::Locked)));
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.set_biometric(true).unwrap();

    // Persisted: the next start is locked, and biometrics open it and reset the counter,
    // even during a wait after wrong PINs.
    let mut lock = open(&st, &clock);
    assert!(lock.status().unwrap().biometric);
    for _ in 0..6 {
        let _ = lock.unlock(WRONG);
    }
    let s = lock.status().unwrap();
    assert!(s.locked && s.wrong_tries > 0 && s.wait_secs > 0, "{s:?}");
    lock.unlock_biometric().unwrap();
    let s = lock.status().unwrap();
    assert!(!s.locked && s.wrong_tries == 0 && s.wait_secs == 0, "{s:?}");

    // Changing the PIN keeps it; removing the PIN turns it off.
    lock.set_pin("24680", Some(PIN)).unwrap();
    assert!(lock.status().unwrap().biometric);
    lock.remove_pin("24680").unwrap();
    assert!(!lock.status().unwrap().biometric);
    let mut lock = open(&st, &clock);
    assert!(!lock.status().unwrap().biometric);
    assert!(matches!(lock.unlock_biometric(), Err(LockError::NoPin)));
}

#[test]
fn biometric_unlock_does_not_skip_a_pending_wipe() {
    let (_st, clock, mut lock) = locked_with_pin(Policy::default());
    assert_eq!(lock.unlock(PIN).unwrap(), UnlockOutcome::Unlocked);
    lock.set_biometric(true).unwrap();
    lock.set_wipe_after(Some(5)).unwrap();
    lock.lock();
    for _ in 1..5 {
        let (_, _, wait) = wrong(&mut lock);
        clock.advance_secs(wait);
    }
    assert_eq!(lock.unlock(WRONG).unwrap(), UnlockOutcome::WipeRequired);
    assert!(matches!(
        lock.unlock_biometric(),
        Err(LockError::WipeRequired)
    ));
}
