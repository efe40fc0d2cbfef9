// Mirrors of the Rust types the commands return (livecard-format's Card; livecard-core's
// records). Field names are the card model's JSON names (the CLI's field names).

import { FIELDS } from '../generated/fields';

export interface Address {
  po_box: string;
  extended: string;
  street: string;
  locality: string;
  region: string;
  postal_code: string;
  country: string;
}

export interface Avatar {
  mime: string;
  /** base64 */
  data: string;
}

/** The field table (generated from livecard-format/src/fields.rs). */
type FieldRow = (typeof FIELDS)[number];
/** Every field key of the table. */
export type FieldKey = FieldRow['key'];

/** Fields added through the table later are optional string members (`wecom`, `telegram`). */
export interface Card extends Partial<Record<SingleField, string>> {
  name: string;
  family: string;
  given: string;
  /** null (or absent): no avatar; me_save takes null as "remove it". */
  avatar?: Avatar | null;
  company: string;
  title: string;
  industry: string;
  mobile: string[];
  phone: string[];
  fax: string[];
  email: string[];
  address: Address[];
  website: string[];
  qq: string;
  wechat: string;
  aliwangwang: string;
  msn: string;
  weibo: string;
  dingtalk: string;
  bulletin: string;
  temp_number: string;
  temp_until?: string;
}

/** Single-valued fields the editor shows (family/given come from the name, the avatar has
 * its own picker). */
export type SingleField = Exclude<Extract<FieldRow, { multi: false }>['key'], 'family' | 'given' | 'avatar'>;
export type MultiField = Extract<FieldRow, { multi: true }>['key'];
export type FieldName = SingleField | MultiField;

export const MULTI_FIELDS: readonly MultiField[] = ['mobile', 'phone', 'fax', 'email', 'address', 'website'];

export function emptyCard(): Card {
  return {
    name: '', family: '', given: '', company: '', title: '', industry: '',
    mobile: [], phone: [], fax: [], email: [], address: [], website: [],
    qq: '', wechat: '', aliwangwang: '', msn: '', weibo: '', dingtalk: '',
    bulletin: '', temp_number: '',
  };
}

export function addressLine(a: Address): string {
  return [a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code, a.country]
    .map((s) => (s ?? '').trim())
    .filter((s) => s.length > 0)
    .join(', ');
}

/** The name to show, as Card::display_name does in Rust. */
export function displayName(c: Card): string {
  if (c.name.trim()) return c.name.trim();
  const cjk = /[\u3400-\u9fff\uf900-\ufaff]/.test(c.family);
  const joined = (cjk ? `${c.family}${c.given}` : `${c.given} ${c.family}`).trim();
  if (joined) return joined;
  return [c.company, ...c.mobile, ...c.phone, ...c.email].find((s) => s.trim()) ?? '';
}

/** One of the user's own cards (livecard-core OwnCard): the card's fields flat, plus these. */
export interface OwnCard extends Card {
  id: string;
  version: number;
  default: boolean;
  created_at: string;
  updated_at: string;
}

export type Source = 'link' | 'qr' | 'nfc' | 'vcf' | 'mecard';
export type Status = 'active' | 'revoked' | 'deleted';
export type Sort = 'name' | 'updated' | 'company';

/** A received card with the recipient's own notes and tags (livecard-core ReceivedCard). */
export interface ReceivedCard {
  id: string;
  name: string;
  source: Source;
  live: boolean;
  status: Status;
  remote_id: string | null;
  remote_version: number | null;
  added_at: string;
  updated_at: string;
  last_seen_at: string | null;
  changed: boolean;
  notes: string;
  tags: string[];
  card: Card;
}

/** One window of the list (livecard-core CardWindow): `rows` are rows `offset…` of `total`. */
export interface CardWindow {
  total: number;
  offset: number;
  rows: CardSummary[];
}

/** A list or search row (livecard-core CardSummary). */
export interface CardSummary {
  id: string;
  name: string;
  company: string;
  title: string;
  source: Source;
  live: boolean;
  status: Status;
  changed: boolean;
  added_at: string;
  updated_at: string;
  tags: string[];
}

export type AddStatus = 'added' | 'updated' | 'unchanged';

/** What adding one card did (livecard-core AddOutcome). */
export interface AddOutcome {
  id: string;
  name: string;
  status: AddStatus;
  warnings: string[];
}

/** What an import did: one outcome per card kept, and why others were skipped. */
export interface AddReport {
  added: AddOutcome[];
  skipped: string[];
}
