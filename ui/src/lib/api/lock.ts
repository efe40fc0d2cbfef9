import { ApiError, call } from './ipc';
import { MAX_BACKUP_BYTES, type Restored } from './backup';

/** The core's LockStatus (answers while locked). */
export interface LockStatus {
  pin_set: boolean;
  locked: boolean;
  wrong_tries: number;
  /** Seconds before a PIN may be tried (0 = now). */
  wait_secs: number;
  /** Wrong PINs still allowed before waits start. */
  tries_left_before_delay: number;
  /** Auto-lock timeout in the background (0 = at once). */
  auto_lock_secs: number;
  /** Wipe-after-N (null = off). */
  wipe_after: number | null;
  wipe_pending: boolean;
  /** Biometric unlock is turned on (see lock_biometric_status for the sensor). */
  biometric?: boolean;
  /** The lock state is gone (data restored without the phone's keystore): no PIN opens it;
   *  the ways out are {@link recoverFromBackup} and {@link startOver}. */
  keys_missing?: boolean;
}

export const lockStatus = () => call<LockStatus>('lock_status');
export const unlock = (pin: string) => call<LockStatus>('lock_unlock', { pin });
export const setPin = (newPin: string, current?: string) =>
  call<LockStatus>('lock_set_pin', { new: newPin, current: current ?? null });
export const removePin = (current: string) => call<LockStatus>('lock_remove', { current });
export const lockNow = () => call<LockStatus>('lock_now');
export const setAutoLock = (secs: number) => call<LockStatus>('lock_set_auto', { secs });
export const setWipeAfter = (n: number | null) => call<LockStatus>('lock_set_wipe_after', { n });

/** 4–12 ASCII digits, the core's rule (checked here only to answer before a round trip). */
export const isPinShaped = (pin: string) => /^[0-9]{4,12}$/.test(pin);

export type BiometricKind = 'fingerprint' | 'face' | 'iris' | 'none';

export interface BiometricStatus {
  /** The device has a biometric sensor with something enrolled. */
  available: boolean;
  /** The user turned biometric unlock on (needs a PIN). */
  enabled: boolean;
  kind: BiometricKind;
}

/** Answers while locked (the lock screen asks it). */
export const biometricStatus = () => call<BiometricStatus>('lock_biometric_status');
/** Needs a PIN set and the app unlocked. */
export const setBiometric = (enabled: boolean) => call<LockStatus>('lock_set_biometric', { enabled });
/** Rust shows the system prompt. Rejects with kind `biometric_failed` (cancelled or not
 *  recognised; the PIN still works), `biometric_off` (turned off meanwhile) or
 *  `unsupported`. */
export const unlockBiometric = () => call<LockStatus>('lock_unlock_biometric');

/** Keys missing only: restore the owner keys from a key backup file with its passphrase; the
 *  lock is reset (no PIN). Rejects with `wrong_passphrase` (nothing changed), `too_big`,
 *  `keys_present` (the lock is intact: use the PIN). */
export async function recoverFromBackup(file: Blob, passphrase: string): Promise<Restored> {
  if (file.size > MAX_BACKUP_BYTES) {
    throw new ApiError('too_big', `backup file is ${file.size} bytes; the limit is ${MAX_BACKUP_BYTES}`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  return call<Restored>('lock_recover_from_backup', { bytes: Array.from(bytes), passphrase });
}

/** Keys missing only: delete every received card and reset the lock (own cards stay).
 *  Resolves with how many received cards were deleted. */
export const startOver = () => call<number>('lock_start_over');
