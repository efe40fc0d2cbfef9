// Adding cards from a .vcf file (read in the webview, no fs permission). Pasted text goes
// through scan.ts (addScannedText).
import { call } from './ipc';
import type { AddReport } from './types';

/** Import the bytes of a .vcf file (one or more cards; any charset the core understands). */
export async function importVcfFile(file: Blob): Promise<AddReport> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return call('import_vcf', { bytes: Array.from(bytes) });
}
