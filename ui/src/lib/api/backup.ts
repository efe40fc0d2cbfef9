// Export of all cards (.vcf) and the encrypted backup of my keys (passphrase, Argon2id in
// Rust). Rust opens the native save dialog; `path: null` means the user cancelled it.
import { ApiError, call } from './ipc';

export type { Exported } from '../generated/types';
/** What restoring a key backup did (livecard-core KeysImported). */
export type { KeysImported as Restored } from '../generated/types';
import type { KeysImported as Restored } from '../generated/types';

/** The core's rule for a backup passphrase (checked here only to answer before a round trip). */
export const MIN_PASSPHRASE = 8;
/** A key backup is small; anything bigger is not one. */
export const MAX_BACKUP_BYTES = 1024 * 1024;

export const exportCards = () => call('export_cards');

export const exportKeyBackup = (passphrase: string) => call('export_key_backup', { passphrase });

/** Restore keys from a backup file read in the webview (no fs permission). Rejects with kind
 *  `too_big` over {@link MAX_BACKUP_BYTES} without asking Rust; a wrong passphrase is kind
 *  `wrong_passphrase`. */
export async function importKeyBackup(file: Blob, passphrase: string): Promise<Restored> {
  if (file.size > MAX_BACKUP_BYTES) {
    throw new ApiError('too_big', `backup file is ${file.size} bytes; the limit is ${MAX_BACKUP_BYTES}`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  return call('import_key_backup', { bytes: Array.from(bytes), passphrase });
}
