// The Rust types the commands take and return are generated from the Rust definitions
// (../generated/types.ts, written by src-tauri/tests/ipc_types.rs with ts-rs; field names are
// the card model's JSON names, the CLI's field names). This module re-exports them and adds
// what only the UI needs: the field-name unions, emptyCard, addressLine, displayName.

import { FIELDS } from '../generated/fields';
import type { Address, Card } from '../generated/types';

export type {
  AddOutcome,
  AddReport,
  AddStatus,
  Address,
  Avatar,
  Card,
  CardSummary,
  CardWindow,
  OwnCard,
  ReceivedCard,
  Sort,
  Source,
  Status,
} from '../generated/types';

/** The field table (generated from livecard-format/src/fields.rs). */
type FieldRow = (typeof FIELDS)[number];
/** Every field key of the table. */
export type FieldKey = FieldRow['key'];

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
