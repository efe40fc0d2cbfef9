// Cards that arrive from outside the app: tapped share links (cold start and warm) and NFC
// tags tapped while the app was closed. Rust adds them (queued while the PIN lock is shown)
// and keeps every result until the UI takes it, so nothing that arrived before the UI
// listened is lost. See src-tauri/src/incoming.rs.
import { listen } from '@tauri-apps/api/event';
import { call, type FieldError } from './ipc';
import type { AddOutcome } from './types';

/** What became of one incoming item. */
export interface IncomingResult {
  /** Increasing per app run. */
  seq: number;
  source: 'link' | 'nfc';
  /** The cards added or updated (empty on error). */
  added: AddOutcome[];
  /** The same link again, already added earlier: open the card, announce nothing. */
  repeat: boolean;
  error: { kind: string; message: string; fields?: FieldError[] } | null;
}

export interface Taken {
  results: IncomingResult[];
  /** Items still waiting for the PIN lock to open. */
  waiting: number;
}

/** The `incoming` event's payload. */
export interface IncomingPing {
  waiting: number;
  ready: number;
}

/** Adds what can be added now (after an unlock too) and returns the results not yet taken. */
export const takeIncoming = () => call<Taken>('incoming_take');

/** How many items wait and how many results are ready, without taking or adding any. */
export const incomingStatus = () => call<IncomingPing>('incoming_status');

/** Hear that something arrived. Resolves to the function that stops listening. */
export async function onIncoming(fn: (ping: IncomingPing) => void): Promise<() => void> {
  return listen<IncomingPing>('incoming', (e) => fn(e.payload));
}
