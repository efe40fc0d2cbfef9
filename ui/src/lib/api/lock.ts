import { ApiError, call } from './ipc';
import { MAX_BACKUP_BYTES, type Restored } from './backup';

export type { BiometricStatus, LockStatus } from '../generated/types';

export const lockStatus = () => call('lock_status');
export const unlock = (pin: string) => call('lock_unlock', { pin });
export const setPin = (newPin: string, current?: string) =>
  call('lock_set_pin', { new: newPin, current: current ?? null });
export const removePin = (current: string) => call('lock_remove', { current });
export const lockNow = () => call('lock_now');
export const setAutoLock = (secs: number) => call('lock_set_auto', { secs });
export const setWipeAfter = (n: number | null) => call('lock_set_wipe_after', { n });

/** 4–12 ASCII digits, the core's rule (checked here only to answer before a round trip). */
export const isPinShaped = (pin: string) => /^[0-9]{4,12}$/.test(pin);

/** Which sensor (the Rust BiometricStatus.kind). */
export type BiometricKind = 'fingerprint' | 'face' | 'iris' | 'none';

/** Answers while locked (the lock screen asks it). */
export const biometricStatus = () => call('lock_biometric_status');
/** Needs a PIN set and the app unlocked. */
export const setBiometric = (enabled: boolean) => call('lock_set_biometric', { enabled });
/** Rust shows the system prompt. Rejects with kind `biometric_failed` (cancelled or not
 *  recognised; the PIN still works), `biometric_off` (turned off meanwhile) or
 *  `unsupported`. */
export const unlockBiometric = () => call('lock_unlock_biometric');

/** Keys missing only: restore the owner keys from a key backup file with its passphrase; the
 *  lock is reset (no PIN). Rejects with `wrong_passphrase` (nothing changed), `too_big`,
 *  `keys_present` (the lock is intact: use the PIN). */
export async function recoverFromBackup(file: Blob, passphrase: string): Promise<Restored> {
  if (file.size > MAX_BACKUP_BYTES) {
    throw new ApiError('too_big', `backup file is ${file.size} bytes; the limit is ${MAX_BACKUP_BYTES}`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  return call('lock_recover_from_backup', { bytes: Array.from(bytes), passphrase });
}

/** Keys missing only: delete every received card and reset the lock (own cards stay).
 *  Resolves with how many received cards were deleted. */
export const startOver = () => call('lock_start_over');
