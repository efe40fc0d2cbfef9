import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import CardDetail from '../screens/CardDetail.svelte';
import MyCard from '../screens/MyCard.svelte';
import Add from '../screens/Add.svelte';
import { session } from '../lib/session.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { minutesAgo, type CardView } from '../lib/api/sync';
import { runSync, syncState } from '../lib/sync.svelte';
import { startCountdown } from '../lib/gesture-countdown';
import { emptyCard, type OwnCard, type ReceivedCard } from '../lib/api/types';

const LINK = 'http://127.0.0.1:8787/c/ABCDEFGH#secretsecret';

function received(over: Partial<ReceivedCard> = {}): ReceivedCard {
  return {
    id: 'r1', name: '李四', source: 'link', live: true, status: 'active', remote_id: 'ABCDEFGH',
    remote_version: 1, added_at: '2026-11-25T00:00:00Z', updated_at: '2026-11-25T00:00:00Z',
    last_seen_at: null, synced_at: null, changed: false, notes: '', tags: [], display: {},
    card: { ...emptyCard(), name: '李四', mobile: ['+8613800138000'] },
    ...over,
  };
}

const view = (over: Partial<CardView> = {}): CardView => ({
  card: received(), changes: [], partial: false, synced_at: null, refresh: null, ...over,
});

const fields = [
  {
    field: 'mobile', index: 0, value: '+8613800138000', label_key: 'field.mobile', primary: false,
    actions: [
      { kind: 'call', label_key: 'action.call', url: 'tel:+8613800138000', copy_text: null, fallback: null, primary: true },
      { kind: 'copy', label_key: 'action.copy', url: null, copy_text: '+8613800138000', fallback: null, primary: false },
    ],
  },
];

beforeEach(() => {
  setLocale('en');
  session.settings = { server_url: 'http://127.0.0.1:8787', language: 'en', theme: 'auto', onboarded: true, gestures: false, gestures_swapped: false };
  session.me = null;
});
afterEach(() => {
  clearMocks();
  vi.useRealTimers();
});

describe('helpers', () => {
  it('counts whole minutes since a sync', () => {
    const now = new Date('2026-11-25T10:10:30Z');
    expect(minutesAgo(null, now)).toBeNull();
    expect(minutesAgo('2026-11-25T10:10:00Z', now)).toBe(0);
    expect(minutesAgo('2026-11-25T10:05:00Z', now)).toBe(5);
  });

  it('the countdown ticks 3, 2, 1 and runs at 0; cancel stops it', () => {
    vi.useFakeTimers();
    const ticks: number[] = [];
    let ran = 0;
    startCountdown(3, (n) => ticks.push(n), () => (ran += 1));
    vi.advanceTimersByTime(3000);
    expect(ticks).toEqual([3, 2, 1, 0]);
    expect(ran).toBe(1);
    const c = startCountdown(3, () => {}, () => (ran += 1));
    vi.advanceTimersByTime(1500);
    c.cancel();
    vi.advanceTimersByTime(5000);
    expect(ran).toBe(1);
  });
});

describe('batch sync', () => {
  it('never runs two at once and bumps the generation when cards changed', async () => {
    let calls = 0;
    let release: () => void = () => {};
    mockIPC(async (cmd) => {
      if (cmd !== 'sync_now') return null;
      calls += 1;
      await new Promise<void>((r) => (release = r));
      return {
        ran: true,
        status: { at: '2026-11-25T00:00:00Z', offline: false, report: { checked: 1, updated: 1, gone: 0, revoked: 0, refused: 0, unknown: 0, requests: 1, outbox_replayed: 0, outbox_pending: 0, errors: [] } },
      };
    });
    const g = syncState.generation;
    const a = runSync();
    const b = runSync();
    await waitFor(() => expect(calls).toBe(1));
    release();
    await Promise.all([a, b]);
    expect(calls).toBe(1);
    expect(syncState.generation).toBe(g + 1);
    expect(syncState.running).toBe(false);
  });
});

describe('card detail', () => {
  it('shows the cached copy at once, then the refreshed value, badge and history', async () => {
    let refreshDone: (v: CardView) => void = () => {};
    mockIPC((cmd) => {
      if (cmd === 'card_view') return view();
      if (cmd === 'card_refresh') return new Promise((r) => (refreshDone = r));
      if (cmd === 'card_actions') return fields;
      if (cmd === 'action_labels') return { 'action.call': 'Call', 'action.copy': 'Copy', 'field.mobile': 'Mobile' };
      return null;
    });
    render(CardDetail, { id: 'r1' });
    // Cached data is on screen while the refresh is still out.
    expect(await screen.findByTestId('detail-name')).toHaveTextContent('李四');
    expect(await screen.findByText('+8613800138000')).toBeInTheDocument();
    expect(screen.getByTestId('detail-sync')).toHaveTextContent('Not synced yet');
    refreshDone(
      view({
        card: received({ changed: true, card: { ...emptyCard(), name: '李四', mobile: ['+8613900139000'] } }),
        changes: [{ version: 2, field: 'mobile', old: '+8613800138000', new: '+8613900139000', at: '2026-11-25T00:00:00Z' }],
        synced_at: new Date().toISOString(),
        refresh: { result: 'updated', changes: 1 },
      }),
    );
    expect(await screen.findByTestId('detail-changed')).toHaveTextContent('Changed');
    expect(await screen.findByTestId('detail-history')).toHaveTextContent('+8613800138000');
    expect(screen.getByTestId('detail-history')).toHaveTextContent('+8613900139000');
    expect(screen.getByTestId('detail-sync')).toHaveTextContent('Synced just now');
    expect(screen.getByRole('button', { name: 'Call +8613800138000' })).toBeInTheDocument();
  });

  it('keeps the "changed" badge for the visit when the refresh finds nothing new', async () => {
    // A live update applied the change before the card was opened: the cached copy says
    // changed, opening marked it seen, so the refresh's copy says changed = false.
    let refreshDone: (v: CardView) => void = () => {};
    const now = { ...emptyCard(), name: '李四', mobile: ['+8613900139000'] };
    mockIPC((cmd) => {
      if (cmd === 'card_view') return view({ card: received({ changed: true, card: now }) });
      if (cmd === 'card_refresh') return new Promise((r) => (refreshDone = r));
      if (cmd === 'card_actions') return fields;
      if (cmd === 'action_labels') return {};
      return null;
    });
    render(CardDetail, { id: 'r1' });
    expect(await screen.findByTestId('detail-changed')).toHaveTextContent('Changed');
    refreshDone(view({ card: received({ changed: false, card: now }), synced_at: new Date().toISOString(), refresh: { result: 'unchanged' } }));
    await waitFor(() => expect(screen.getByTestId('detail-sync')).toHaveTextContent('Synced'));
    expect(screen.getByTestId('detail-changed')).toHaveTextContent('Changed');
  });

  it('the temporary-number banner: the number alone on its own line, its buttons wrapping below it', async () => {
    const temp = {
      field: 'temp_number', index: 0, value: '+8613700137000', label_key: 'field.temp_number', primary: true,
      valid_until: '2099-12-31T10:00:00Z',
      actions: [
        { kind: 'call', label_key: 'action.call', url: 'tel:+8613700137000', copy_text: null, fallback: null, primary: true },
        { kind: 'sms', label_key: 'action.sms', url: 'sms:+8613700137000', copy_text: null, fallback: null, primary: false },
        { kind: 'copy', label_key: 'action.copy', url: null, copy_text: '+8613700137000', fallback: null, primary: false },
      ],
    };
    mockIPC((cmd) => {
      if (cmd === 'card_view' || cmd === 'card_refresh') return view();
      if (cmd === 'card_actions') return [temp, ...fields];
      if (cmd === 'action_labels') return { 'action.call': 'Call', 'action.sms': 'Text', 'action.copy': 'Copy' };
      return null;
    });
    render(CardDetail, { id: 'r1' });
    const number = await screen.findByTestId('detail-temp-number');
    expect(number.textContent).toBe('+8613700137000');
    expect(number.querySelector('button')).toBeNull();
    const acts = screen.getByTestId('detail-temp-actions');
    expect(acts.contains(number)).toBe(false);
    expect(number.compareDocumentPosition(acts) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(acts.querySelectorAll('button')).toHaveLength(3);
    expect(screen.getByRole('button', { name: 'Call +8613700137000' })).toBeInTheDocument();
    // It is not listed a second time among the fields.
    expect(screen.getByTestId('detail-actions').textContent).not.toContain('+8613700137000');
  });

  it('marks offline and cards that no longer update', async () => {
    mockIPC((cmd) => {
      if (cmd === 'card_view') return view();
      if (cmd === 'card_refresh') return view({ refresh: { result: 'offline', message: 'down' } });
      if (cmd === 'card_actions') return [];
      if (cmd === 'action_labels') return {};
      return null;
    });
    render(CardDetail, { id: 'r1' });
    expect(await screen.findByTestId('detail-offline')).toHaveTextContent('Offline');
  });

  it('says a revoked card no longer updates and offers no refresh', async () => {
    mockIPC((cmd) => {
      if (cmd === 'card_view' || cmd === 'card_refresh') return view({ card: received({ status: 'revoked' }) });
      if (cmd === 'card_actions') return [];
      if (cmd === 'action_labels') return {};
      return null;
    });
    render(CardDetail, { id: 'r1' });
    expect(await screen.findByTestId('detail-gone')).toHaveTextContent('no longer updating');
    expect(screen.queryByTestId('detail-refresh')).toBeNull();
  });
});

describe('my card', () => {
  const me: OwnCard = { ...emptyCard(), name: '张三', id: 'o1', version: 1, is_default: true } as unknown as OwnCard;

  it('shows the QR and link once published', async () => {
    session.me = me;
    mockIPC((cmd) => {
      if (cmd === 'me_share') return { published: true, link: LINK, qr_svg: '<svg data-test="qr"></svg>', pending: 0, has_server: true };
      return null;
    });
    render(MyCard);
    const qr = await screen.findByTestId('me-qr');
    expect(qr.querySelector('svg')).not.toBeNull();
    expect(screen.getByTestId('me-link')).toHaveTextContent(LINK);
    expect(screen.getByTestId('me-reset')).toBeInTheDocument();
  });

  it('reset link asks in the app first: cancel changes nothing, confirm makes a new link', async () => {
    session.me = me;
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'me_share' || cmd === 'me_reset_link') {
        return { published: true, link: LINK, qr_svg: '<svg></svg>', pending: 0, has_server: true };
      }
      return null;
    });
    render(MyCard);
    await fireEvent.click(await screen.findByTestId('me-reset'));
    const dialog = await screen.findByTestId('confirm-dialog');
    expect(dialog).toHaveTextContent('stops receiving');
    expect(screen.getByTestId('confirm-cancel')).toHaveFocus();
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    await waitFor(() => expect(screen.queryByTestId('confirm-dialog')).toBeNull());
    expect(calls).not.toContain('me_reset_link');
    await fireEvent.click(screen.getByTestId('me-reset'));
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    await waitFor(() => expect(calls).toContain('me_reset_link'));
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
  });

  it('shows "waiting to upload" while edits wait in the outbox', async () => {
    session.me = me;
    mockIPC((cmd) => {
      if (cmd === 'me_share') return { published: false, link: null, qr_svg: null, pending: 1, has_server: true };
      return null;
    });
    render(MyCard);
    expect(await screen.findByTestId('me-waiting')).toHaveTextContent('Waiting to upload');
  });
});

describe('add', () => {
  it('whatever is pasted goes to add_scanned_text as typed (trimmed), and the result shows', async () => {
    const seen: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      seen.push({ cmd, args });
      if (cmd === 'add_scanned_text') {
        return { added: [{ id: 'r1', name: '李四', status: 'added', warnings: [] }], skipped: [] };
      }
      return null;
    });
    render(Add);
    await fireEvent.input(screen.getByTestId('paste'), { target: { value: `  ${LINK}\n` } });
    await fireEvent.click(screen.getByTestId('paste-add'));
    expect(await screen.findByTestId('add-results')).toHaveTextContent('Added 李四');
    expect(seen.filter((c) => c.cmd === 'add_scanned_text').map((c) => c.args)).toEqual([{ text: LINK, pasted: true }]);
    expect(seen.map((c) => c.cmd)).not.toContain('add_link');
    expect(seen.map((c) => c.cmd)).not.toContain('import_text');
  });
});

describe('gestures on the card detail', () => {
  it('starts a classifier, shows the countdown on a hit, and Cancel closes it without opening', async () => {
    session.settings = { ...session.settings, gestures: true };
    const cmds: string[] = [];
    mockIPC((cmd) => {
      cmds.push(cmd);
      if (cmd === 'card_view' || cmd === 'card_refresh') return view();
      if (cmd === 'card_actions') return fields;
      if (cmd === 'action_labels') return { 'gesture.lift_up': 'Lift to ear' };
      if (cmd === 'app_info') return { version: '0', data_dir: '/x', dev_hooks: true };
      if (cmd === 'gesture_feed') return { gesture: 'lift_up', action: fields[0].actions[0] };
      return null;
    });
    render(CardDetail, { id: 'r1' });
    await waitFor(() => expect(cmds).toContain('gesture_start'));
    const dev = await waitFor(() => {
      const d = (window as unknown as { __livecardDev?: { feedGesture: (s: unknown[], n?: number) => Promise<unknown> } }).__livecardDev;
      expect(d).toBeDefined();
      return d!;
    });
    await dev.feedGesture([{ t_ms: 0, x: 0, y: 9.8, z: 0 }], 30);
    expect(await screen.findByTestId('gesture-countdown')).toHaveTextContent('Calling +8613800138000 in 30');
    await fireEvent.click(screen.getByTestId('gesture-cancel'));
    await waitFor(() => expect(screen.queryByTestId('gesture-countdown')).toBeNull());
    expect(cmds).not.toContain('plugin:opener|open_url');
  });

  it('stays off unless the user opted in', async () => {
    const cmds: string[] = [];
    mockIPC((cmd) => {
      cmds.push(cmd);
      if (cmd === 'card_view' || cmd === 'card_refresh') return view();
      if (cmd === 'card_actions') return fields;
      if (cmd === 'action_labels') return {};
      return null;
    });
    render(CardDetail, { id: 'r1' });
    await screen.findByTestId('detail-name');
    await waitFor(() => expect(cmds).toContain('card_refresh'));
    expect(cmds).not.toContain('gesture_start');
    expect(screen.queryByTestId('detail-gestures')).toBeNull();
  });
});
