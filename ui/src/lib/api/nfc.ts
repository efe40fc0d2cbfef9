// NFC on phones (the Rust shell drives the NFC plugin and hands the payload to the core).
// Desktop rejects with kind `unsupported`; a tag problem is kind `nfc` with a message.
import { call } from './ipc';
import type { AddReport } from './types';

export interface NfcWritten {
  /** Bytes written to the tag (the link record, plus the offline copy when it fits). */
  bytes: number;
  /** The signed offline copy is on the tag too (else the link alone fitted). */
  offline_included?: boolean;
  /** Fields left out of the offline copy to fit the tag (the link brings them). */
  dropped_fields?: string[];
}

/** Wait for a tag, read it and add the card it holds. */
export const nfcRead = () => call<AddReport>('nfc_read');

/** Write my card's share link (and offline copy) to a tag. Kind `invalid_input` when the
 *  card is not published yet. */
export const nfcWriteMyCard = () => call<NfcWritten>('nfc_write_my_card');
