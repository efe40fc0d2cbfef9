// The keys-missing lock screen (issue 13 item 1): the data folder came back without the
// phone's keystore, so no PIN opens it. The screen explains that and offers the two ways out
// (restore from key backup, start over) instead of a PIN pad that can only answer "locked".
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import LockScreen from '../screens/LockScreen.svelte';
import { lockState, refreshLock, watchLocked } from '../lib/lock.svelte';
import { cardsWindow } from '../lib/api/cards';
import { setLocale } from '../lib/i18n/index.svelte';
import type { LockStatus } from '../lib/api/lock';

const status = (over: Partial<LockStatus> = {}): LockStatus => ({
  pin_set: true, locked: true, wrong_tries: 0, wait_secs: 0, tries_left_before_delay: 5,
  auto_lock_secs: 60, wipe_after: null, wipe_pending: false, biometric: false, keys_missing: true, ...over,
});

const PASS = 'correct horse battery';
const BACKUP = [1, 2, 3, 250];

/** A fake core in the keys-missing state: the backup BACKUP opens with PASS, and two
 *  received cards are on the phone. Records every call with its arguments. */
function keysMissingCore() {
  const core = { s: status(), received: 2 };
  const calls: { cmd: string; args: unknown }[] = [];
  const reset = () => {
    core.s = status({ pin_set: false, locked: false, keys_missing: false });
  };
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === 'lock_status') return { ...core.s };
    if (cmd === 'lock_biometric_status') return { available: false, enabled: false, kind: 'none' };
    if (cmd === 'lock_unlock') {
      if (core.s.keys_missing) throw { kind: 'keys_missing', message: 'keys missing' };
      return { ...core.s };
    }
    if (cmd === 'lock_recover_from_backup') {
      if (!core.s.keys_missing) throw { kind: 'keys_present', message: 'intact' };
      const a = args as { bytes: number[]; passphrase: string };
      if (a.passphrase !== PASS || JSON.stringify(a.bytes) !== JSON.stringify(BACKUP)) {
        throw { kind: 'wrong_passphrase', message: 'wrong passphrase' };
      }
      reset();
      return { cards: ['card-1'], created: 0 };
    }
    if (cmd === 'lock_start_over') {
      if (!core.s.keys_missing) throw { kind: 'keys_present', message: 'intact' };
      const n = core.received;
      core.received = 0;
      reset();
      return n;
    }
    if (core.s.keys_missing && ['me_get', 'cards_window'].includes(cmd)) {
      throw { kind: 'keys_missing', message: 'keys missing' };
    }
    if (cmd === 'cards_window') return { total: 0, offset: 0, rows: [] };
    if (cmd === 'settings_get') return { server_url: '', language: 'en', theme: 'auto', onboarded: true, gestures: false };
    return null;
  }, { shouldMockEvents: true });
  return { core, calls };
}

const named = (calls: { cmd: string; args: unknown }[], cmd: string) => calls.filter((c) => c.cmd === cmd);

async function pickBackup(bytes: number[]) {
  const f = new File([new Uint8Array(bytes)], 'keys.lcbackup');
  await fireEvent.change(screen.getByTestId('keys-missing-file'), { target: { files: [f] } });
}

beforeEach(() => {
  setLocale('en');
  Object.assign(lockState, {
    checked: false, locked: false, pinSet: false, waitSecs: 0, messages: [], busy: false, epoch: 0,
    keysMissing: false, afterUnlock: null,
  });
});
afterEach(() => {
  cleanup();
  clearMocks();
});

describe('keys missing on the lock screen', () => {
  it('explains the state and offers the two ways out instead of the PIN pad (en and zh)', async () => {
    keysMissingCore();
    await refreshLock();
    expect(lockState.locked).toBe(true);
    expect(lockState.keysMissing).toBe(true);
    render(LockScreen);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent("This phone's keys are missing");
    expect(screen.getByTestId('keys-missing-explain')).toHaveTextContent('no PIN can open it');
    expect(screen.getByTestId('keys-missing-restore')).toBeDisabled();
    expect(screen.getByTestId('keys-missing-start-over')).toBeEnabled();
    expect(screen.queryByTestId('pin-input')).toBeNull();
    expect(screen.queryByTestId('pin-submit')).toBeNull();
    cleanup();
    setLocale('zh');
    render(LockScreen);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('本机的密钥丢失');
    expect(screen.getByTestId('keys-missing-start-over')).toHaveTextContent('删除收到的名片并重新开始');
  });

  it('a card command answering keys_missing brings this screen up', async () => {
    keysMissingCore();
    const stop = watchLocked();
    await expect(cardsWindow('', 'name', 0, 50)).rejects.toMatchObject({ kind: 'keys_missing' });
    await waitFor(() => expect(lockState.keysMissing).toBe(true));
    expect(lockState.locked).toBe(true);
    stop();
  });

  it('restore: a wrong passphrase changes nothing; the right one restores and offers to set a PIN', async () => {
    const { core, calls } = keysMissingCore();
    await refreshLock();
    render(LockScreen);
    await pickBackup(BACKUP);
    await fireEvent.input(screen.getByTestId('keys-missing-pass'), { target: { value: 'not it at all' } });
    await fireEvent.click(screen.getByTestId('keys-missing-restore'));
    await waitFor(() =>
      expect(screen.getByTestId('lock-message')).toHaveTextContent('Wrong passphrase, or the file is not a livecard key backup. Nothing was changed.'));
    expect(core.s.keys_missing).toBe(true);
    expect(lockState.locked).toBe(true);
    expect(screen.queryByTestId('keys-missing-done')).toBeNull();

    await fireEvent.input(screen.getByTestId('keys-missing-pass'), { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('keys-missing-restore'));
    expect(await screen.findByTestId('keys-missing-done')).toHaveTextContent('The keys of 1 of your cards are back. The PIN was cleared.');
    expect(named(calls, 'lock_recover_from_backup').map((c) => c.args)).toEqual([
      { bytes: BACKUP, passphrase: 'not it at all' },
      { bytes: BACKUP, passphrase: PASS },
    ]);
    expect(lockState.messages).toEqual([]);
    // The app opens only when the user goes on, on Settings to set a new PIN.
    expect(lockState.epoch).toBe(0);
    await fireEvent.click(screen.getByTestId('keys-missing-set-pin'));
    await waitFor(() => expect(lockState.epoch).toBe(1));
    expect(lockState.locked).toBe(false);
    expect(lockState.keysMissing).toBe(false);
    expect(lockState.afterUnlock).toBe('settings');
  });

  it('a file too big to be a key backup is refused without asking the core', async () => {
    const { calls } = keysMissingCore();
    await refreshLock();
    render(LockScreen);
    await pickBackup(Array.from(new Uint8Array(1024 * 1024 + 1)));
    expect(screen.getByTestId('lock-message')).toHaveTextContent('too big to be a key backup');
    await fireEvent.input(screen.getByTestId('keys-missing-pass'), { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('keys-missing-restore'));
    await waitFor(() => expect(lockState.busy).toBe(false));
    expect(named(calls, 'lock_recover_from_backup')).toHaveLength(0);
    expect(lockState.keysMissing).toBe(true);
  });

  it('start over asks in an in-app dialog; Cancel deletes nothing, OK deletes the received cards', async () => {
    const { core, calls } = keysMissingCore();
    await refreshLock();
    render(LockScreen);
    await fireEvent.click(screen.getByTestId('keys-missing-start-over'));
    expect(await screen.findByTestId('confirm-dialog')).toHaveTextContent('Delete every card you received on this phone');
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    await waitFor(() => expect(screen.queryByTestId('confirm-dialog')).toBeNull());
    expect(named(calls, 'lock_start_over')).toHaveLength(0);
    expect(core.received).toBe(2);

    await fireEvent.click(screen.getByTestId('keys-missing-start-over'));
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    expect(await screen.findByTestId('keys-missing-done')).toHaveTextContent('2 received cards were deleted. The PIN was cleared.');
    expect(named(calls, 'lock_start_over')).toHaveLength(1);
    expect(core.received).toBe(0);
    await fireEvent.click(screen.getByTestId('keys-missing-later'));
    await waitFor(() => expect(lockState.epoch).toBe(1));
    expect(lockState.locked).toBe(false);
    expect(lockState.afterUnlock).toBeNull();
  });

  it('when the core says the lock is intact after all, the PIN pad comes back', async () => {
    const { core } = keysMissingCore();
    await refreshLock();
    render(LockScreen);
    // The keystore came back meanwhile (e.g. an encrypted backup finished restoring).
    core.s = status({ keys_missing: false });
    await fireEvent.click(screen.getByTestId('keys-missing-start-over'));
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    expect(await screen.findByTestId('pin-input')).toBeInTheDocument();
    expect(lockState.keysMissing).toBe(false);
    expect(lockState.locked).toBe(true);
    expect(screen.queryByTestId('keys-missing-done')).toBeNull();
  });
});

describe('app start with keys missing', () => {
  it('shows the ways out, and after a restore lands on Settings to set a new PIN', async () => {
    const { default: App } = await import('../App.svelte');
    const { session } = await import('../lib/session.svelte');
    session.ready = false;
    const { calls } = keysMissingCore();
    render(App);
    expect(await screen.findByTestId('keys-missing-explain')).toBeInTheDocument();
    expect(screen.queryByTestId('tab-cards')).toBeNull();
    expect(named(calls, 'cards_window')).toHaveLength(0);
    await pickBackup(BACKUP);
    await fireEvent.input(screen.getByTestId('keys-missing-pass'), { target: { value: PASS } });
    await fireEvent.click(screen.getByTestId('keys-missing-restore'));
    await fireEvent.click(await screen.findByTestId('keys-missing-set-pin'));
    const tab = await screen.findByTestId('tab-settings');
    await waitFor(() => expect(tab).toHaveAttribute('aria-current', 'page'));
    expect(screen.queryByTestId('lock-screen')).toBeNull();
    expect(lockState.afterUnlock).toBeNull();
  }, 20_000); // compiling the whole app on first import is slow on a busy machine
});
