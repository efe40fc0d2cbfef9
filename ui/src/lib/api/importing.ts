// Adding cards from outside: a .vcf file (read in the webview, no fs permission), or pasted
// vCard / MeCard text.
import { call } from './ipc';
import type { AddReport } from './types';

/** Import the bytes of a .vcf file (one or more cards; any charset the core understands). */
export async function importVcfFile(file: Blob): Promise<AddReport> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return call<AddReport>('import_vcf', { bytes: Array.from(bytes) });
}

/** Import pasted text: vCard or MeCard. */
export const importText = (text: string) => call<AddReport>('import_text', { text });
