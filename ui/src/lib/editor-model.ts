// The editor's form model, kept apart from the component so it can be unit-tested:
// a card becomes strings the inputs bind to, and strings become a card again.
import {
  addressLine,
  emptyCard,
  type Address,
  type Avatar,
  type Card,
  type MultiField,
  type SingleField,
} from './api/types';
import type { FieldError } from './api/ipc';
import { FIELDS } from './generated/fields';
import { shownValue, storedValue } from './phone-display';

/** Phone-kind fields: the editor shows them as the core formats them (`display`). */
const PHONES: readonly string[] = FIELDS.filter((f) => f.kind === 'phone').map((f) => f.key);

export const SECTIONS: { key: string; fields: (SingleField | MultiField)[] }[] = [
  { key: 'editor.section.name', fields: ['name'] },
  { key: 'editor.section.work', fields: ['company', 'title', 'industry'] },
  { key: 'editor.section.contact', fields: ['mobile', 'phone', 'fax', 'email', 'address', 'website'] },
  // Messengers and handles: every `handle` row of the field table, in its order.
  { key: 'editor.section.im', fields: FIELDS.filter((f) => f.kind === 'handle').map((f) => f.key as SingleField) },
  { key: 'editor.section.extra', fields: ['bulletin', 'temp_number', 'temp_until'] },
];

/** The single-valued fields of the table (family/given: from the name; avatar: its picker). */
export const SINGLE: SingleField[] = FIELDS.filter(
  (f) => !f.multi && !['family', 'given', 'avatar'].includes(f.key),
).map((f) => f.key as SingleField);
export const MULTI: MultiField[] = FIELDS.filter((f) => f.multi).map((f) => f.key as MultiField);

export interface Form {
  single: Record<SingleField, string>;
  multi: Record<MultiField, string[]>;
  /** The avatar as it will be saved (null: none). */
  avatar: Avatar | null;
}

/** `2026-11-25T10:00:00Z` → the `datetime-local` value in this device's time zone. */
export function toLocalInput(rfc3339: string | undefined): string {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (device time zone) → RFC 3339 in UTC; '' stays ''. */
export function fromLocalInput(v: string): string {
  if (!v.trim()) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The form for a card; phone numbers as the core shows them (`display` of the own card
 *  record, e.g. "138 0013 8000"), so the user edits what they read. */
export function cardToForm(card: Card | null): Form {
  const c = card ?? emptyCard();
  const single = {} as Record<SingleField, string>;
  for (const f of SINGLE) {
    single[f] = f === 'temp_until' ? toLocalInput(c.temp_until ?? undefined) : shownValue(card, f, 0, String(c[f] ?? ''));
  }
  const multi = {} as Record<MultiField, string[]>;
  for (const f of MULTI) {
    const values = f === 'address' ? c.address.map(addressLine) : c[f].map((v, i) => shownValue(card, f, i, v));
    multi[f] = values.length ? values : [''];
  }
  const avatar = c.avatar ? { mime: c.avatar.mime, data: c.avatar.data } : null;
  return { single, multi, avatar };
}

/** Build the card to save. Structured addresses the user did not touch are kept as they were,
 *  and so are phone numbers still as the core showed them (the stored E.164), so an untouched
 *  card saves unchanged; a number the user changed goes to the core as typed. */
export function formToCard(form: Form, original: Card | null): Card {
  const base = original ? plainCopy(original) : emptyCard();
  const card: Card = { ...base };
  for (const f of SINGLE) {
    const v = form.single[f].trim();
    if (f === 'temp_until') {
      const iso = fromLocalInput(v);
      if (iso) card.temp_until = iso;
      else delete card.temp_until;
    } else {
      card[f] = PHONES.includes(f) ? storedValue(original, f, [String(base[f] ?? '')], v) : v;
    }
  }
  for (const f of MULTI) {
    const values = form.multi[f].map((v) => v.trim()).filter((v) => v.length > 0);
    if (f === 'address') {
      const before = original?.address ?? [];
      card.address = values.map(
        (line): Address =>
          before.find((a) => addressLine(a) === line) ?? {
            po_box: '', extended: '', street: line, locality: '', region: '', postal_code: '', country: '',
          },
      );
    } else {
      card[f] = PHONES.includes(f) ? values.map((v) => storedValue(original, f, base[f], v)) : values;
    }
  }
  // null tells the core to remove it.
  card.avatar = form.avatar ? { mime: form.avatar.mime, data: form.avatar.data } : null;
  if (card.name !== (original?.name ?? '')) {
    // Let the core split the new name into family/given.
    card.family = '';
    card.given = '';
  }
  return card;
}

/** Group the core's field errors by field for display in place. */
export function errorsByField(errors: FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
  }
  return out;
}

// Svelte state proxies cannot be structuredClone'd; JSON round-trip is enough for a card.
function plainCopy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
