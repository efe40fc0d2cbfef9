// The PIN lock as the UI sees it: whether the lock screen is up, the message under the PIN,
// and the live countdown of a wait. The core decides everything; this only mirrors it.
import { ApiError, onErrorKind } from './api/ipc';
import {
  isPinShaped, lockStatus, recoverFromBackup, startOver, unlock, unlockBiometric,
  type BiometricKind, type LockStatus,
} from './api/lock';
import type { MessageKey } from './i18n/index.svelte';

export interface LockMessage {
  key: MessageKey;
  params?: Record<string, string | number>;
}

export const lockState = $state<{
  /** The first lock_status answered. */
  checked: boolean;
  locked: boolean;
  pinSet: boolean;
  /** Seconds left before a PIN may be tried; counts down live. */
  waitSecs: number;
  messages: LockMessage[];
  busy: boolean;
  /** Bumped on every unlock so the screens behind remount and reload their data. */
  epoch: number;
  /** The lock state is gone (restored without the keystore): no PIN opens it; the lock
   *  screen offers restore-from-key-backup and start-over instead of the PIN pad. */
  keysMissing: boolean;
  /** Where the app goes once open, instead of its start screen (after a way out: Settings,
   *  to set a new PIN). Taken once by the app. */
  afterUnlock: 'settings' | null;
}>({
  checked: false, locked: false, pinSet: false, waitSecs: 0, messages: [], busy: false, epoch: 0,
  keysMissing: false, afterUnlock: null,
});

let timer: ReturnType<typeof setInterval> | undefined;

/** One second passed (the interval calls this; tests call it too). */
export function tick() {
  lockState.waitSecs = Math.max(0, lockState.waitSecs - 1);
  if (lockState.waitSecs === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

function startCountdown(secs: number) {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  lockState.waitSecs = secs;
  if (secs > 0) timer = setInterval(tick, 1000);
}

function apply(s: LockStatus) {
  lockState.keysMissing = !!s.keys_missing;
  lockState.locked = s.locked;
  lockState.pinSet = s.pin_set;
  lockState.checked = true;
  startCountdown(s.locked ? s.wait_secs : 0);
}

/** Ask the core; on failure assume nothing is locked (the next card command would say so). */
export async function refreshLock(): Promise<LockStatus | null> {
  try {
    const s = await lockStatus();
    apply(s);
    return s;
  } catch {
    lockState.checked = true;
    return null;
  }
}

/** A command answered `locked`, or the window came back after the timeout. */
export function markLocked() {
  if (lockState.locked) return;
  lockState.locked = true;
  lockState.messages = [];
  void refreshLock();
}

/** Route every `locked` (and `keys_missing`) error to the lock screen. Returns the function
 *  that stops it. */
export function watchLocked(): () => void {
  const a = onErrorKind('locked', () => markLocked());
  const b = onErrorKind('keys_missing', () => markLocked());
  return () => {
    a();
    b();
  };
}

/** What a keys-missing way out did (the lock screen shows it until the user goes on). */
export type WayOut = { kind: 'restored'; cards: number } | { kind: 'startedOver'; erased: number };

async function wayOut(run: () => Promise<WayOut>): Promise<WayOut | null> {
  if (lockState.busy) return null;
  lockState.busy = true;
  try {
    const done = await run();
    lockState.messages = [];
    return done;
  } catch (e) {
    const kind = e instanceof ApiError ? e.kind : 'internal';
    if (kind === 'wrong_passphrase') lockState.messages = [{ key: 'keysMissing.wrongPass' }];
    else if (kind === 'too_big') lockState.messages = [{ key: 'backup.fileTooBig', params: { max: 1 } }];
    else if (kind === 'keys_present') {
      // The lock is intact after all: back to the PIN pad.
      lockState.messages = [];
      await refreshLock();
    } else {
      lockState.messages = [{ key: 'common.error', params: { message: e instanceof Error ? e.message : String(e) } }];
    }
    return null;
  } finally {
    lockState.busy = false;
  }
}

/** Keys missing: restore the owner keys from a key backup. The lock is reset (no PIN); the
 *  app stays on the lock screen until {@link leaveKeysMissing}. Null when it failed (the
 *  message says why; nothing changed). */
export function restoreKeysFromBackup(file: Blob, passphrase: string): Promise<WayOut | null> {
  return wayOut(async () => ({ kind: 'restored', cards: (await recoverFromBackup(file, passphrase)).cards.length }));
}

/** Keys missing: delete the received cards and reset the lock (call after the in-app
 *  confirmation). */
export function startOverWithoutKeys(): Promise<WayOut | null> {
  return wayOut(async () => ({ kind: 'startedOver', erased: await startOver() }));
}

/** After a way out: open the app, on Settings (to set a new PIN) or on its start screen. */
export async function leaveKeysMissing(toSettings: boolean) {
  lockState.afterUnlock = toSettings ? 'settings' : null;
  try {
    const s = await lockStatus();
    apply(s);
    if (!s.locked) lockState.epoch += 1;
  } catch (e) {
    lockState.messages = [{ key: 'common.error', params: { message: e instanceof Error ? e.message : String(e) } }];
  }
}

/** Enter a PIN. True when the core is now unlocked. */
export async function submitPin(pin: string): Promise<boolean> {
  if (!isPinShaped(pin)) {
    lockState.messages = [{ key: 'lock.pinFormat' }];
    return false;
  }
  lockState.busy = true;
  try {
    const s = await unlock(pin);
    apply(s);
    lockState.messages = [];
    if (!s.locked) lockState.epoch += 1;
    return !s.locked;
  } catch (e) {
    const kind = e instanceof ApiError ? e.kind : 'internal';
    if (kind === 'wiped') {
      lockState.messages = [{ key: 'lock.wiped' }];
      await refreshLock();
    } else if (kind === 'wrong_pin') {
      const s = await refreshLock();
      const msgs: LockMessage[] = [{ key: 'lock.wrong' }];
      if (s && s.wait_secs === 0 && s.tries_left_before_delay > 0) {
        msgs.push({ key: 'lock.triesLeft', params: { n: s.tries_left_before_delay } });
      }
      lockState.messages = msgs;
    } else if (kind === 'must_wait') {
      lockState.messages = [];
      await refreshLock();
    } else {
      lockState.messages = [{ key: 'common.error', params: { message: e instanceof Error ? e.message : String(e) } }];
    }
    return false;
  } finally {
    lockState.busy = false;
  }
}

/** The label for biometric unlock of this kind: the settings toggle or the lock screen button. */
export function biometricKey(kind: BiometricKind, use: 'setting' | 'button'): MessageKey {
  const k = kind === 'fingerprint' || kind === 'face' || kind === 'iris' ? kind : 'any';
  return `lock.bio.${use}.${k}` as MessageKey;
}

/** Unlock with the system's biometric prompt (Rust shows it). True when now unlocked; a
 *  cancel or a failure leaves the PIN pad as it was, with a line saying so. */
export async function submitBiometric(): Promise<boolean> {
  if (lockState.busy) return false;
  lockState.busy = true;
  try {
    const s = await unlockBiometric();
    apply(s);
    lockState.messages = [];
    if (!s.locked) lockState.epoch += 1;
    return !s.locked;
  } catch (e) {
    const kind = e instanceof ApiError ? e.kind : 'internal';
    if (kind === 'biometric_failed') {
      lockState.messages = [{ key: 'lock.bio.failed' }];
    } else if (kind === 'unsupported') {
      lockState.messages = [{ key: 'lock.bio.unsupported' }];
    } else if (kind === 'biometric_off') {
      lockState.messages = [{ key: 'lock.bio.offNow' }];
    } else if (kind === 'wiped') {
      lockState.messages = [{ key: 'lock.wiped' }];
      await refreshLock();
    } else {
      lockState.messages = [{ key: 'common.error', params: { message: e instanceof Error ? e.message : String(e) } }];
    }
    return false;
  } finally {
    lockState.busy = false;
  }
}
