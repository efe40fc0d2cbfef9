// Cards that arrive from outside the app: tapped share links (cold start and warm) and NFC
// tags tapped while the app was closed. Rust adds them (queued while the PIN lock is shown)
// and keeps every result until the UI takes it, so nothing that arrived before the UI
// listened is lost. See src-tauri/src/incoming.rs.
import { call, onEvent } from './ipc';

export type { IncomingResult, Taken } from '../generated/types';
/** The `incoming` event's payload. */
export type { Ping as IncomingPing } from '../generated/types';
import type { Ping as IncomingPing } from '../generated/types';

/** Adds what can be added now (after an unlock too) and returns the results not yet taken. */
export const takeIncoming = () => call('incoming_take');

/** How many items wait and how many results are ready, without taking or adding any. */
export const incomingStatus = () => call('incoming_status');

/** Hear that something arrived. Resolves to the function that stops listening. */
export async function onIncoming(fn: (ping: IncomingPing) => void): Promise<() => void> {
  return onEvent('incoming', fn);
}
