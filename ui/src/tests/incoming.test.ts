import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import App from '../App.svelte';
import {
  describe as describeResult, incomingState, pullIncoming, resetIncoming, show,
} from '../lib/incoming.svelte';
import type { IncomingResult } from '../lib/api/incoming';
import { lockState } from '../lib/lock.svelte';
import { router } from '../lib/router.svelte';
import { setLocale, t } from '../lib/i18n/index.svelte';
import type { LockStatus } from '../lib/api/lock';

const outcome = (id: string, name: string, status: 'added' | 'updated' | 'unchanged' = 'added') =>
  ({ id, name, status, warnings: [] });

const result = (seq: number, over: Partial<IncomingResult> = {}): IncomingResult => ({
  seq, source: 'link', added: [], repeat: false, error: null, ...over,
});

beforeEach(() => {
  setLocale('en');
  resetIncoming();
  router.reset({ name: 'cards' });
  Object.assign(lockState, { checked: false, locked: false, pinSet: false, waitSecs: 0, messages: [], busy: false, epoch: 0 });
});
afterEach(() => {
  clearMocks();
});

describe('what an incoming result shows', () => {
  it('an added card is announced and opened; a repeat is opened silently', () => {
    const added = describeResult(result(0, { added: [outcome('A1', '张三')] }));
    expect(added.open).toBe('A1');
    expect(t(added.notice!.key, added.notice!.params)).toBe('Added 张三');
    const again = describeResult(result(1, { added: [outcome('A1', '张三', 'unchanged')], repeat: true }));
    expect(again).toEqual({ notice: null, open: 'A1' });
  });

  it('errors say why, in both languages, and open nothing', () => {
    const kinds: [string, string][] = [
      ['offline', 'incoming.offline'], ['not_found', 'incoming.notFound'],
      ['invalid_input', 'incoming.badLink'], ['server', 'incoming.failed'],
    ];
    for (const [kind, key] of kinds) {
      const d = describeResult(result(0, { error: { kind, message: 'why' } as IncomingResult['error'] }));
      expect(d.open).toBeNull();
      expect(d.notice).toEqual({ key, params: { message: 'why' }, error: true });
    }
    const d = describeResult(result(0, { error: { kind: 'offline', message: 'no route' } }));
    expect(t(d.notice!.key, d.notice!.params)).toContain('nothing was added');
    setLocale('zh');
    expect(t(d.notice!.key, d.notice!.params)).toContain('未添加');
  });

  it('opens the last card of a batch on top of the card list; a result is shown once', () => {
    router.reset({ name: 'settings' });
    show([result(0, { added: [outcome('A1', 'A')] }), result(1, { added: [outcome('B2', 'B')] })]);
    expect(router.current).toEqual({ name: 'detail', id: 'B2' });
    router.back();
    expect(router.current).toEqual({ name: 'cards' });
    expect(t(incomingState.notice!.key, incomingState.notice!.params)).toBe('Added B');
    // The same results again (an echo) change nothing.
    router.reset({ name: 'me' });
    show([result(1, { added: [outcome('B2', 'B')] })]);
    expect(router.current).toEqual({ name: 'me' });
  });
});

describe('taking results from Rust', () => {
  it('pullIncoming takes, counts the waiting items and opens the card', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'incoming_take') return { results: [result(3, { added: [outcome('C3', 'Li')] })], waiting: 0 };
      return null;
    });
    await pullIncoming();
    expect(calls).toEqual(['incoming_take']);
    expect(router.current).toEqual({ name: 'detail', id: 'C3' });
    expect(incomingState.waiting).toBe(0);
  });

  it('a failing take becomes a notice, nothing is lost silently', async () => {
    mockIPC(() => {
      throw { kind: 'internal', message: 'bridge down' };
    });
    await pullIncoming();
    expect(incomingState.notice?.error).toBe(true);
    expect(t(incomingState.notice!.key, incomingState.notice!.params)).toContain('bridge down');
  });
});

const lockStatus = (locked: boolean): LockStatus => ({
  pin_set: true, locked, wrong_tries: 0, wait_secs: 0, tries_left_before_delay: 3,
  auto_lock_secs: 60, wipe_after: null, wipe_pending: false, biometric: false, keys_missing: false,
});

describe('the app with incoming links', () => {
  it('while locked the lock screen says a card waits; after the PIN it is added and opened', async () => {
    const core = { locked: true, waiting: 1 };
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === 'lock_status') return lockStatus(core.locked);
      if (cmd === 'lock_unlock') {
        if ((args as { pin: string }).pin !== '2468') throw { kind: 'wrong_pin', message: 'wrong' };
        core.locked = false;
        return lockStatus(false);
      }
      if (cmd === 'incoming_status') return { waiting: core.waiting, ready: 0 };
      if (cmd === 'incoming_take') {
        if (core.locked) return { results: [], waiting: core.waiting };
        core.waiting = 0;
        return { results: [result(0, { added: [outcome('L1', 'Link Person')] })], waiting: 0 };
      }
      if (core.locked && ['me_get', 'cards_window'].includes(cmd)) throw { kind: 'locked', message: 'locked' };
      if (cmd === 'settings_get') return { server_url: '', language: 'en', theme: 'auto', onboarded: true, gestures: false };
      if (cmd === 'cards_window') return { total: 0, offset: 0, rows: [] };
      return null;
    }, { shouldMockEvents: true });
    render(App);
    expect(await screen.findByTestId('incoming-waiting')).toHaveTextContent('added after you enter your PIN');
    expect(calls).not.toContain('incoming_take');
    for (const d of '2468') await fireEvent.click(screen.getByTestId(`pin-key-${d}`));
    await fireEvent.click(screen.getByTestId('pin-submit'));
    expect(await screen.findByTestId('incoming-notice')).toHaveTextContent('Added Link Person');
    await waitFor(() => expect(router.current).toEqual({ name: 'detail', id: 'L1' }));
    await fireEvent.click(screen.getByTestId('incoming-dismiss'));
    expect(screen.queryByTestId('incoming-notice')).toBeNull();
    cleanup();
  });

  it('a link that arrives while the app runs is taken on the event', async () => {
    let ready: IncomingResult[] = [];
    mockIPC((cmd) => {
      if (cmd === 'lock_status') return { ...lockStatus(false), pin_set: false };
      if (cmd === 'incoming_take') {
        const results = ready;
        ready = [];
        return { results, waiting: 0 };
      }
      if (cmd === 'settings_get') return { server_url: '', language: 'zh', theme: 'auto', onboarded: true, gestures: false };
      if (cmd === 'cards_window') return { total: 0, offset: 0, rows: [] };
      return null;
    }, { shouldMockEvents: true });
    render(App);
    await screen.findByTestId('tab-cards');
    ready = [result(0, { error: { kind: 'not_found', message: 'gone' } })];
    await emit('incoming', { waiting: 0, ready: 1 });
    expect(await screen.findByTestId('incoming-notice')).toHaveTextContent('服务器上没有这张名片');
    cleanup();
  });
});
