// NFC on phones (the Rust shell drives our livecard-nfc plugin and hands its answer to the
// core). Desktop rejects with kind `unsupported`. Tag problems have their own kinds
// (`nfc_cancelled`, `nfc_locked`, `nfc_too_small`, `nfc_not_ndef`, `nfc_empty`,
// `nfc_tag_lost`, `nfc_off`, `nfc_timeout`, `nfc_verify_failed`); anything else is `nfc`.
import { call } from './ipc';
import type { MessageKey } from '../i18n/index.svelte';

export type { NfcReadReport, NfcWritten, TagInfo } from '../generated/types';
import type { TagInfo } from '../generated/types';

/** Wait for a tag, read it and add the card it holds. */
export const nfcRead = () => call('nfc_read');

/** Write my card's share link (and offline copy, when the tag has room) to a tag, then read
 *  it back. Kind `invalid_input`/`not_found` when the card is not published yet. */
export const nfcWriteMyCard = () => call('nfc_write_my_card');

/** Stop waiting for a tag: the pending read or write rejects with kind `nfc_cancelled`. */
export const nfcCancel = () => call('nfc_cancel');

/** The message for an NFC error kind (null: not an NFC kind, or the generic `nfc`). */
export function nfcErrorKey(kind: string): MessageKey | null {
  const keys: Record<string, MessageKey> = {
    nfc_cancelled: 'nfc.cancelled',
    nfc_locked: 'nfc.locked',
    nfc_too_small: 'nfc.tooSmall',
    nfc_not_ndef: 'nfc.notNdef',
    nfc_empty: 'nfc.empty',
    nfc_tag_lost: 'nfc.tagLost',
    nfc_off: 'nfc.off',
    nfc_timeout: 'nfc.timeout',
    nfc_verify_failed: 'nfc.verifyFailed',
  };
  return keys[kind] ?? null;
}

/** "NTAG215, 496 bytes" style label parts, or null when the phone said nothing useful. */
export function tagLabel(tag: TagInfo | undefined): { type: string; size: number | null } | null {
  if (!tag) return null;
  const type = tag.chip ? tag.chip.toUpperCase() : (tag.tech ?? []).filter((x) => x !== 'Ndef')[0] ?? '';
  const size = tag.max_size ?? null;
  if (!type && size === null) return null;
  return { type, size };
}
