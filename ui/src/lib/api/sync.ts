// Sharing, publishing and live updates: my card's link and QR, publish, reset link, adding by
// link or QR image, open-cached-then-refresh, and the batch sync.
import { call } from './ipc';
import type { ReceivedCard } from './types';

export interface MyShare {
  published: boolean;
  /** The share link (carries the share secret in its #fragment). */
  link: string | null;
  /** The link's QR code, an SVG document made by the Rust core. */
  qr_svg: string | null;
  /** Own-card edits waiting to be uploaded. */
  pending: number;
  has_server: boolean;
}

export type PublishState =
  | { state: 'published'; link: string; version: number }
  | { state: 'waiting'; message: string }
  | { state: 'no_server' };

/** One changed field of a received card (newest first in a history). */
export interface Change {
  version: number;
  field: string;
  old: string;
  new: string;
  at: string;
}

export type Refresh =
  | { result: 'not_live' }
  | { result: 'unchanged' }
  | { result: 'updated'; changes: number }
  | { result: 'revoked' }
  | { result: 'deleted' }
  | { result: 'unknown' }
  | { result: 'refused'; reason: string }
  | { result: 'offline'; message: string };

export interface CardView {
  card: ReceivedCard;
  changes: Change[];
  partial: boolean;
  /** When this card last heard from its server (this run). */
  synced_at: string | null;
  refresh: Refresh | null;
}

export interface SyncReport {
  checked: number;
  updated: number;
  gone: number;
  revoked: number;
  refused: number;
  unknown: number;
  requests: number;
  outbox_replayed: number;
  outbox_pending: number;
  errors: string[];
}

export interface SyncStatus {
  at: string;
  offline: boolean;
  report: SyncReport;
}

export interface SyncRun {
  /** False when a sync was already running (nothing done). */
  ran: boolean;
  status: SyncStatus | null;
}

export const myShare = () => call<MyShare>('me_share');
export const offlineQr = () => call<string>('me_offline_qr');
export const publishMe = () => call<PublishState>('me_publish');
/** New share link: old holders keep their copy and stop receiving updates. */
export const resetLink = () => call<MyShare>('me_reset_link');

/** The cached copy at once (marks the card seen). */
export const cardView = (id: string) => call<CardView>('card_view', { id });
/** Ask the card's server for a newer version (conditional request). */
export const cardRefresh = (id: string) => call<CardView>('card_refresh', { id });

export const syncNow = () => call<SyncRun>('sync_now');
export const syncStatus = () => call<SyncStatus | null>('sync_status');

/** Minutes since `iso` (0 for under a minute), or null. */
export function minutesAgo(iso: string | null, now: Date = new Date()): number | null {
  if (!iso) return null;
  const ms = now.getTime() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return null;
  return Math.max(0, Math.floor(ms / 60000));
}
