// Live updates and "send mine back" (issue 16): the `card-changed` event Rust emits while the
// window is in front (src-tauri/src/watch.rs), the reply command and the inbox of replies.
import { call, onEvent } from './ipc';

import type { WatchUpdate } from '../generated/types';

export type { InboxEntry, ReplySent, WatchUpdate } from '../generated/types';

/** Hear live changes. Resolves to the function that stops listening. */
export async function onCardChanged(fn: (u: WatchUpdate) => void): Promise<() => void> {
  return onEvent('card-changed', fn);
}

/** Send my card back to the owner of received card `id`. */
export const replySend = (id: string, note?: string) => call('reply_send', { id, note: note ?? null });

export const inboxList = () => call('inbox_list');

export const inboxSet = (msg: string, action: 'accept' | 'ignore' | 'block') =>
  call('inbox_set', { msg, action });
