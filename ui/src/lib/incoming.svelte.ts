// Incoming cards (tapped links, NFC tags) as the UI shows them: open the card that was added,
// or say in a notice why nothing was. Rust decides and queues; this only reacts.
import { incomingStatus, takeIncoming, type IncomingResult } from './api/incoming';
import type { MessageKey } from './i18n/index.svelte';
import { router } from './router.svelte';

export interface IncomingNotice {
  key: MessageKey;
  params: Record<string, string | number>;
  error: boolean;
}

export const incomingState = $state<{
  /** Items waiting for the PIN lock to open (shown on the lock screen). */
  waiting: number;
  notice: IncomingNotice | null;
}>({ waiting: 0, notice: null });

let seen = -1;

/** What to show for one result, and the card to open (if any). */
export function describe(r: IncomingResult): { notice: IncomingNotice | null; open: string | null } {
  if (r.error) {
    const key: MessageKey =
      r.error.kind === 'offline'
        ? 'incoming.offline'
        : r.error.kind === 'not_found'
          ? 'incoming.notFound'
          : r.error.kind === 'invalid_input'
            ? 'incoming.badLink'
            : 'incoming.failed';
    return { notice: { key, params: { message: r.error.message }, error: true }, open: null };
  }
  const last = r.added[r.added.length - 1];
  if (!last) return { notice: null, open: null };
  if (r.repeat) return { notice: null, open: last.id };
  return {
    notice: { key: `add.result.${last.status}` as MessageKey, params: { name: last.name }, error: false },
    open: last.id,
  };
}

/** Show results (oldest first): the last card added is opened, the last notice stays. */
export function show(results: IncomingResult[]) {
  let open: string | null = null;
  for (const r of results) {
    if (r.seq <= seen) continue;
    seen = r.seq;
    const d = describe(r);
    if (d.notice) incomingState.notice = d.notice;
    if (d.open) open = d.open;
  }
  if (open) {
    router.reset({ name: 'cards' });
    router.push({ name: 'detail', id: open });
  }
}

/** Take what Rust holds (it adds what it can first) and show it. Call when the app is
 *  unlocked and its session loaded: at start, after an unlock, and on every `incoming`. */
export async function pullIncoming(): Promise<void> {
  try {
    const taken = await takeIncoming();
    // An app without the handler (older core in a test double) answers nothing.
    if (!taken) return;
    incomingState.waiting = taken.waiting;
    show(taken.results);
  } catch (e) {
    incomingState.notice = {
      key: 'incoming.failed',
      params: { message: e instanceof Error ? e.message : String(e) },
      error: true,
    };
  }
}

/** While locked: how many items wait (for the lock screen's line). */
export async function refreshIncomingWaiting(): Promise<void> {
  try {
    incomingState.waiting = (await incomingStatus())?.waiting ?? 0;
  } catch {
    // Not knowing only hides the line.
  }
}

export function dismissNotice() {
  incomingState.notice = null;
}

/** For tests: forget the results already shown. */
export function resetIncoming() {
  seen = -1;
  incomingState.waiting = 0;
  incomingState.notice = null;
}
