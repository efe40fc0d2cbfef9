// Batch sync of all live cards: on start, when the window gets focus or becomes visible, and
// every few minutes. Never two at once (the Rust side refuses a second one too).
import { syncNow, type SyncStatus } from './api/sync';
import { onCardChanged, type WatchUpdate } from './api/live';

export const SYNC_EVERY_MS = 3 * 60 * 1000;

export const syncState = $state<{
  last: SyncStatus | null;
  running: boolean;
  generation: number;
  error: string;
  /** The last live change (watch stream, issue 16): shown as "what changed" on its card. */
  live: WatchUpdate | null;
}>({
  live: null,
  last: null,
  running: false,
  generation: 0,
  error: '',
});

let inFlight: Promise<void> | null = null;

/** Run one batch sync unless one is running; bumps `generation` when cards changed. */
export function runSync(): Promise<void> {
  if (inFlight) return inFlight;
  syncState.running = true;
  inFlight = (async () => {
    try {
      const run = await syncNow();
      if (run.status) {
        const r = run.status.report;
        const changed = r.updated + r.gone + r.revoked > 0;
        syncState.last = run.status;
        if (changed) syncState.generation += 1;
      }
      syncState.error = '';
    } catch (e) {
      syncState.error = e instanceof Error ? e.message : String(e);
    } finally {
      syncState.running = false;
      inFlight = null;
    }
  })();
  return inFlight;
}

/** Start the triggers; returns a function that stops them. */
export function startAutoSync(win: Window = window, doc: Document = document): () => void {
  void runSync();
  const onFocus = () => void runSync();
  const onVisible = () => {
    if (doc.visibilityState === 'visible') void runSync();
  };
  win.addEventListener('focus', onFocus);
  doc.addEventListener('visibilitychange', onVisible);
  const timer = win.setInterval(() => void runSync(), SYNC_EVERY_MS);
  // Live changes pushed while the window is in front: the list and the open card reload.
  let unlisten: (() => void) | null = null;
  let stopped = false;
  onCardChanged((u) => {
    syncState.live = u;
    syncState.generation += 1;
  })
    .then((f) => (stopped ? f() : (unlisten = f)))
    .catch(() => {});
  return () => {
    stopped = true;
    unlisten?.();
    win.removeEventListener('focus', onFocus);
    doc.removeEventListener('visibilitychange', onVisible);
    win.clearInterval(timer);
  };
}
