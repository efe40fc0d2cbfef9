import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import LockScreen from '../screens/LockScreen.svelte';
import LockSettings from '../components/LockSettings.svelte';
import { lockState, markLocked, refreshLock, submitPin, tick, watchLocked } from '../lib/lock.svelte';
import { cardsWindow } from '../lib/api/cards';
import { setLocale } from '../lib/i18n/index.svelte';
import type { LockStatus } from '../lib/api/lock';

const status = (over: Partial<LockStatus> = {}): LockStatus => ({
  pin_set: true, locked: true, wrong_tries: 0, wait_secs: 0, tries_left_before_delay: 3,
  auto_lock_secs: 60, wipe_after: null, wipe_pending: false, biometric: false, keys_missing: false, ...over,
});

/** A fake core: PIN 2468, three free tries, then a 30 s wait. */
function fakeCore() {
  const s = status();
  const calls: string[] = [];
  mockIPC((cmd, args) => {
    calls.push(cmd);
    if (cmd === 'lock_status') return { ...s };
    if (cmd === 'lock_unlock') {
      if (s.wait_secs > 0) throw { kind: 'must_wait', message: 'wait', wait_secs: s.wait_secs };
      if ((args as { pin: string }).pin === '2468') {
        Object.assign(s, { locked: false, wrong_tries: 0, tries_left_before_delay: 3 });
        return { ...s };
      }
      s.wrong_tries += 1;
      s.tries_left_before_delay = Math.max(0, 3 - s.wrong_tries);
      if (s.wrong_tries >= 3) s.wait_secs = 30;
      throw { kind: 'wrong_pin', message: 'wrong PIN' };
    }
    if (cmd === 'cards_window') {
      if (s.locked) throw { kind: 'locked', message: 'locked' };
      return { total: 0, offset: 0, rows: [] };
    }
    return null;
  });
  return { s, calls };
}

async function typePin(pin: string) {
  for (const d of pin) await fireEvent.click(screen.getByTestId(`pin-key-${d}`));
  await fireEvent.click(screen.getByTestId('pin-submit'));
}

beforeEach(() => {
  setLocale('en');
  Object.assign(lockState, { checked: false, locked: false, pinSet: false, waitSecs: 0, messages: [], busy: false, epoch: 0 });
});
afterEach(() => {
  clearMocks();
  vi.useRealTimers();
});

describe('lock screen', () => {
  it('a wrong PIN says so with the tries left; the right one unlocks', async () => {
    fakeCore();
    await refreshLock();
    expect(lockState.locked).toBe(true);
    render(LockScreen);
    await typePin('1111');
    const msg = screen.getByTestId('lock-message');
    await waitFor(() => expect(msg).toHaveTextContent('Wrong PIN.'));
    expect(msg).toHaveTextContent('2 more tries');
    await typePin('2468');
    await waitFor(() => expect(lockState.locked).toBe(false));
    expect(lockState.epoch).toBe(1);
    expect(lockState.messages).toEqual([]);
  });

  it('refuses what is not 4–12 digits without asking the core', async () => {
    const { calls } = fakeCore();
    expect(await submitPin('12')).toBe(false);
    expect(await submitPin('1234567890123')).toBe(false);
    expect(lockState.messages[0].key).toBe('lock.pinFormat');
    expect(calls).not.toContain('lock_unlock');
  });

  it('counts a wait down live and keeps the button off until it ends', async () => {
    fakeCore();
    vi.useFakeTimers();
    await refreshLock();
    render(LockScreen);
    for (const pin of ['1111', '2222', '3333']) await submitPin(pin);
    expect(lockState.waitSecs).toBe(30);
    await fireEvent.click(screen.getByTestId('pin-key-2'));
    expect(screen.getByTestId('lock-wait')).toHaveTextContent('30 s');
    expect(screen.getByTestId('pin-submit')).toBeDisabled();
    await vi.advanceTimersByTimeAsync(5000);
    expect(screen.getByTestId('lock-wait')).toHaveTextContent('25 s');
    for (let i = 0; i < 25; i++) tick();
    await vi.advanceTimersByTimeAsync(0);
    expect(screen.queryByTestId('lock-wait')).toBeNull();
    expect(screen.getByTestId('pin-submit')).not.toBeDisabled();
  });

  it('shows the wiped message and stays locked', async () => {
    mockIPC((cmd) => {
      if (cmd === 'lock_status') return status({ wrong_tries: 10 });
      if (cmd === 'lock_unlock') throw { kind: 'wiped', message: 'wiped' };
    });
    render(LockScreen);
    expect(await submitPin('9999')).toBe(false);
    expect(await screen.findByText(/received cards on this phone were erased/)).toBeInTheDocument();
    expect(lockState.locked).toBe(true);
  });

  it('any command answering `locked` brings the lock screen up', async () => {
    fakeCore();
    const stop = watchLocked();
    await expect(cardsWindow('', 'name', 0, 50)).rejects.toMatchObject({ kind: 'locked' });
    expect(lockState.locked).toBe(true);
    stop();
    lockState.locked = false;
    await expect(cardsWindow('', 'name', 0, 50)).rejects.toMatchObject({ kind: 'locked' });
    expect(lockState.locked).toBe(false);
    markLocked();
    expect(lockState.locked).toBe(true);
  });
});

describe('biometric unlock on the lock screen', () => {
  /** The fake core plus a sensor; `unlockBio` answers lock_unlock_biometric. */
  function bioCore(enabled: boolean, unlockBio: (s: LockStatus) => unknown) {
    const core = fakeCore();
    const base = core.calls;
    mockIPC((cmd, args) => {
      base.push(cmd);
      if (cmd === 'lock_biometric_status') return { available: true, enabled, kind: 'face' };
      if (cmd === 'lock_unlock_biometric') return unlockBio(core.s);
      if (cmd === 'lock_status') return { ...core.s };
      if (cmd === 'lock_unlock') {
        if ((args as { pin: string }).pin === '2468') {
          core.s.locked = false;
          return { ...core.s };
        }
        throw { kind: 'wrong_pin', message: 'wrong PIN' };
      }
      return null;
    });
    return core;
  }
  const count = (calls: string[], cmd: string) => calls.filter((c) => c === cmd).length;

  it('prompts once when the lock screen appears; a failure leaves the PIN pad working', async () => {
    const { calls } = bioCore(true, () => {
      throw { kind: 'biometric_failed', message: 'user cancelled' };
    });
    await refreshLock();
    render(LockScreen);
    await waitFor(() => expect(count(calls, 'lock_unlock_biometric')).toBe(1));
    await waitFor(() =>
      expect(screen.getByTestId('lock-message')).toHaveTextContent('Not recognised or cancelled. Enter your PIN.'),
    );
    expect(lockState.locked).toBe(true);
    expect(screen.getByTestId('biometric-unlock')).toHaveTextContent('Use face');
    expect(screen.getByTestId('biometric-unlock')).not.toBeDisabled();
    // No second automatic prompt; the PIN still unlocks.
    expect(count(calls, 'lock_unlock_biometric')).toBe(1);
    await typePin('2468');
    await waitFor(() => expect(lockState.locked).toBe(false));
    expect(lockState.epoch).toBe(1);
  });

  it('the button asks again, and a recognised face unlocks', async () => {
    let tries = 0;
    const { calls } = bioCore(true, (s) => {
      tries += 1;
      if (tries === 1) throw { kind: 'biometric_failed', message: 'not recognised' };
      s.locked = false;
      return { ...s };
    });
    await refreshLock();
    render(LockScreen);
    await screen.findByText(/Not recognised or cancelled/);
    await fireEvent.click(screen.getByTestId('biometric-unlock'));
    await waitFor(() => expect(lockState.locked).toBe(false));
    expect(count(calls, 'lock_unlock_biometric')).toBe(2);
    expect(lockState.epoch).toBe(1);
    expect(lockState.messages).toEqual([]);
  });

  it('says so when the device cannot do it, and the PIN pad stays', async () => {
    bioCore(true, () => {
      throw { kind: 'unsupported', message: 'no biometric hardware' };
    });
    await refreshLock();
    render(LockScreen);
    expect(await screen.findByText(/not available here/)).toBeInTheDocument();
    expect(screen.getByTestId('pin-input')).toBeInTheDocument();
    expect(lockState.locked).toBe(true);
  });

  it('turned off in the core meanwhile: says so and leaves the PIN', async () => {
    bioCore(true, () => {
      throw { kind: 'biometric_off', message: 'off' };
    });
    await refreshLock();
    render(LockScreen);
    expect(await screen.findByText(/fingerprint or face is off/)).toBeInTheDocument();
    expect(lockState.locked).toBe(true);
    expect(screen.getByTestId('pin-submit')).toBeInTheDocument();
  });

  it('turned off: no button and no prompt', async () => {
    const { calls } = bioCore(false, () => {
      throw new Error('must not be asked');
    });
    await refreshLock();
    render(LockScreen);
    await waitFor(() => expect(calls).toContain('lock_biometric_status'));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId('biometric-unlock')).toBeNull();
    expect(calls).not.toContain('lock_unlock_biometric');
  });
});

describe('lock settings', () => {
  it('sets a PIN, then needs the current one to change or remove it', async () => {
    const seen: unknown[] = [];
    let s = status({ pin_set: false, locked: false });
    mockIPC((cmd, args) => {
      if (cmd === 'lock_status') return s;
      if (cmd === 'lock_set_pin') {
        seen.push(args);
        s = status({ locked: false });
        return s;
      }
      if (cmd === 'lock_remove') {
        seen.push(args);
        throw { kind: 'wrong_pin', message: 'wrong PIN' };
      }
      if (cmd === 'lock_set_wipe_after') {
        seen.push(args);
        s = status({ locked: false, wipe_after: (args as { n: number | null }).n });
        return s;
      }
    });
    render(LockSettings);
    const save = await screen.findByTestId('pin-save');
    expect(screen.queryByTestId('pin-current')).toBeNull();
    await fireEvent.input(screen.getByTestId('pin-new'), { target: { value: '12' } });
    await fireEvent.click(save);
    expect(screen.getByRole('alert')).toHaveTextContent('4 to 12 digits');
    await fireEvent.input(screen.getByTestId('pin-new'), { target: { value: '2468' } });
    await fireEvent.click(save);
    expect(await screen.findByTestId('lock-ok')).toHaveTextContent('PIN saved');
    expect(seen[0]).toEqual({ new: '2468', current: null });
    expect(screen.getByTestId('pin-current')).toBeInTheDocument();
    expect(screen.getByTestId('wipe-after')).not.toBeChecked();
    expect(screen.getByText(/cannot be undone/)).toBeInTheDocument();
    await fireEvent.input(screen.getByTestId('pin-current'), { target: { value: '1111' } });
    await fireEvent.click(screen.getByTestId('pin-remove'));
    expect(await screen.findByRole('alert')).toHaveTextContent('wrong PIN');
    expect(seen[1]).toEqual({ current: '1111' });
    await fireEvent.click(screen.getByTestId('wipe-after'));
    await waitFor(() => expect(screen.getByTestId('wipe-after')).toBeChecked());
    expect(seen[2]).toEqual({ n: 10 });
  });
});

describe('app start', () => {
  it('starts on the lock screen when locked and loads the cards only after the PIN', async () => {
    const { default: App } = await import('../App.svelte');
    const { session } = await import('../lib/session.svelte');
    session.ready = false;
    const calls: string[] = [];
    const row = {
      id: '1', name: 'Secret Person', company: '', title: '', source: 'vcf', live: false, status: 'active',
      changed: false, added_at: '2026-11-25T00:00:00Z', updated_at: '2026-11-25T00:00:00Z', tags: [],
    };
    const core = status();
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === 'lock_status') return { ...core };
      if (cmd === 'lock_unlock') {
        if ((args as { pin: string }).pin !== '2468') throw { kind: 'wrong_pin', message: 'wrong' };
        core.locked = false;
        return { ...core };
      }
      if (core.locked && ['me_get', 'cards_window'].includes(cmd)) throw { kind: 'locked', message: 'locked' };
      if (cmd === 'settings_get') return { server_url: '', language: 'en', theme: 'auto', onboarded: true, gestures: false };
      if (cmd === 'cards_window') return { total: 1, offset: 0, rows: [row] };
      return null;
    }, { shouldMockEvents: true });
    render(App);
    expect(await screen.findByTestId('lock-screen')).toBeInTheDocument();
    expect(calls).not.toContain('me_get');
    expect(calls).not.toContain('cards_window');
    expect(screen.queryByTestId('tab-cards')).toBeNull();
    await typePin('2468');
    expect(await screen.findByText('Secret Person')).toBeInTheDocument();
    expect(screen.queryByTestId('lock-screen')).toBeNull();
    // Unmount while the event mocks are still there (the app stops listening on unmount).
    cleanup();
  });
});
