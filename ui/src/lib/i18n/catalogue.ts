// Error kinds and field labels from the one catalogue (crates/livecard-i18n and the field table
// of livecard-format), generated into ../generated/messages.json by
// crates/livecard-i18n/tests/generated.rs: the same words Rust renders. Error kinds are
// rendered here at display time, in the user's language.
import messages from '../generated/messages.json';
import { ApiError, type ErrorKind } from '../api/ipc';
import type { Locale } from './index.svelte';

type Catalogue = Record<Locale, Record<string, string>>;
const catalogue: Catalogue = messages;

/** The catalogue's words for an error kind, or undefined for a kind without a row. */
export function errorText(loc: Locale, kind: string): string | undefined {
  return catalogue[loc][`error.${kind}`] ?? catalogue.en[`error.${kind}`];
}

/** A field's label ("Mobile" / "手机"), or the key itself for an unknown field. */
export function fieldLabel(loc: Locale, key: string): string {
  return catalogue[loc][`field.${key}`] ?? catalogue.en[`field.${key}`] ?? key;
}

/** Kinds whose message carries details worth showing after the catalogue's words. */
const DETAILED = new Set<ErrorKind>([
  'invalid_input',
  'import_failed',
  'server',
  'refused',
  'storage',
  'keystore',
  'internal',
  'io',
  'nfc',
  'share',
]);

/** What to show for an error: the catalogue's words for its kind in `loc` (with the
 *  message's details for the kinds that carry them), else the message. */
export function describeError(loc: Locale, e: unknown): string {
  if (e instanceof ApiError) {
    const text = errorText(loc, e.kind);
    if (!text) return e.message;
    return DETAILED.has(e.kind as ErrorKind) && e.message ? `${text} ${e.message}` : text;
  }
  return e instanceof Error ? e.message : String(e);
}
