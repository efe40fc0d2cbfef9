// Live updates and "send mine back" (issue 16): the `card-changed` event Rust emits while the
// window is in front (src-tauri/src/watch.rs), the reply command and the inbox of replies.
import { listen } from '@tauri-apps/api/event';
import { call } from './ipc';

/** One received card that changed (the `card-changed` event's payload). */
export interface WatchUpdate {
  /** Local id of the received card. */
  id: string;
  card_id: string;
  version: number;
  /** Field names that changed (empty for a status change). */
  changed: string[];
  status: 'active' | 'revoked' | 'deleted';
}

export interface ReplySent {
  to: string;
  card_id: string;
  /** Unix seconds. */
  expires: number;
}

export interface InboxEntry {
  msg: string;
  card_id: string | null;
  sender: string;
  name: string;
  note: string;
  sent: number;
  received: number;
  state: 'new' | 'accepted' | 'ignored' | 'blocked' | 'pending';
  to: string;
  error: string | null;
}

/** Hear live changes. Resolves to the function that stops listening. */
export async function onCardChanged(fn: (u: WatchUpdate) => void): Promise<() => void> {
  return listen<WatchUpdate>('card-changed', (e) => fn(e.payload));
}

/** Send my card back to the owner of received card `id`. */
export const replySend = (id: string, note?: string) => call<ReplySent>('reply_send', { id, note: note ?? null });

export const inboxList = () => call<InboxEntry[]>('inbox_list');

export const inboxSet = (msg: string, action: 'accept' | 'ignore' | 'block') =>
  call<InboxEntry>('inbox_set', { msg, action });
