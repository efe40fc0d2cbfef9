// Sharing, publishing and live updates: my card's link and QR, publish, reset link, adding by
// link or QR image, open-cached-then-refresh, and the batch sync.
import { call } from './ipc';

export type {
  CardView,
  Change,
  MyShare,
  PublishState,
  Refresh,
  SyncReport,
  SyncRun,
  SyncStatus,
} from '../generated/types';

export const myShare = () => call('me_share');
export const offlineQr = () => call('me_offline_qr');
export const publishMe = () => call('me_publish');
/** New share link: old holders keep their copy and stop receiving updates. */
export const resetLink = () => call('me_reset_link');

/** The cached copy at once (marks the card seen). */
export const cardView = (id: string) => call('card_view', { id });
/** Ask the card's server for a newer version (conditional request). */
export const cardRefresh = (id: string) => call('card_refresh', { id });

export const syncNow = () => call('sync_now');
export const syncStatus = () => call('sync_status');

/** Minutes since `iso` (0 for under a minute), or null. */
export function minutesAgo(iso: string | null, now: Date = new Date()): number | null {
  if (!iso) return null;
  const ms = now.getTime() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return null;
  return Math.max(0, Math.floor(ms / 60000));
}
