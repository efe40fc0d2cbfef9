import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import SettingsScreen from '../screens/Settings.svelte';
import { session } from '../lib/session.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import type { AppInfo } from '../lib/api/settings';
import type { LockStatus } from '../lib/api/lock';

const desktop: AppInfo = {
  version: '0.1.0', data_dir: '/tmp/x', dev_hooks: false, platform: 'desktop', nfc: false, scanner: false, biometric: false,
};
const android: AppInfo = { ...desktop, platform: 'android', nfc: true, scanner: true, biometric: true };

const lock = (over: Partial<LockStatus> = {}): LockStatus => ({
  pin_set: false, locked: false, wrong_tries: 0, wait_secs: 0, tries_left_before_delay: 3,
  auto_lock_secs: 60, wipe_after: null, wipe_pending: false, biometric: false, keys_missing: false, ...over,
});

type Handler = (cmd: string, args: Record<string, unknown>) => unknown;

/** A fake core answering the settings screen; `extra` answers first. Records every call. */
function core(extra: Handler = () => undefined, info: AppInfo = desktop, lockStatus = lock()) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const r = extra(cmd, a);
    if (r !== undefined) return r;
    if (cmd === 'app_info') return info;
    if (cmd === 'lock_status') return lockStatus;
    if (cmd === 'settings_set') return a.settings;
    return null;
  });
  return calls;
}
type Call = { cmd: string; args: Record<string, unknown> };
const named = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === cmd);

beforeEach(() => {
  setLocale('en');
  session.settings = { server_url: '', language: 'en', theme: 'auto', onboarded: true, gestures: false, gestures_swapped: false };
  session.me = null;
});
afterEach(() => clearMocks());

describe('export all cards', () => {
  it('says where the cards went, and that a cancelled dialog saved nothing', async () => {
    let answer: { path: string | null; count: number } = { path: '/home/me/livecard.vcf', count: 3 };
    const calls = core((cmd) => (cmd === 'export_cards' ? answer : undefined));
    render(SettingsScreen);
    await fireEvent.click(screen.getByTestId('export-cards'));
    expect(await screen.findByTestId('export-result')).toHaveTextContent('Exported 3 cards to /home/me/livecard.vcf');
    answer = { path: null, count: 0 };
    await fireEvent.click(screen.getByTestId('export-cards'));
    await waitFor(() => expect(screen.getByTestId('export-result')).toHaveTextContent('Cancelled'));
    expect(screen.getByTestId('export-result')).not.toHaveTextContent('Exported');
    expect(named(calls, 'export_cards')).toHaveLength(2);
  });

  it('shows the core’s error', async () => {
    core((cmd) => {
      if (cmd === 'export_cards') throw { kind: 'io', message: 'disk full' };
    });
    render(SettingsScreen);
    await fireEvent.click(screen.getByTestId('export-cards'));
    expect(await screen.findByRole('alert')).toHaveTextContent('disk full');
  });
});

describe('key backup', () => {
  it('asks the passphrase twice, warns, and checks length and match before asking the core', async () => {
    const calls = core((cmd) => (cmd === 'export_key_backup' ? { path: '/home/me/keys.lcbackup', count: 1 } : undefined));
    render(SettingsScreen);
    expect(screen.getByText(/cannot be opened by anyone/)).toBeInTheDocument();
    const p1 = screen.getByTestId('backup-pass');
    const p2 = screen.getByTestId('backup-pass2');
    expect(p1).toHaveAttribute('type', 'password');
    await fireEvent.input(p1, { target: { value: 'short' } });
    await fireEvent.input(p2, { target: { value: 'short' } });
    await fireEvent.click(screen.getByTestId('backup-keys'));
    expect(screen.getByTestId('backup-error')).toHaveTextContent('at least 8 characters');
    await fireEvent.input(p1, { target: { value: 'correct horse' } });
    await fireEvent.input(p2, { target: { value: 'correct hose' } });
    await fireEvent.click(screen.getByTestId('backup-keys'));
    expect(screen.getByTestId('backup-error')).toHaveTextContent('differ');
    expect(named(calls, 'export_key_backup')).toHaveLength(0);
    await fireEvent.input(p2, { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByTestId('backup-keys'));
    expect(await screen.findByTestId('backup-result')).toHaveTextContent('/home/me/keys.lcbackup');
    expect(named(calls, 'export_key_backup').map((c) => c.args)).toEqual([{ passphrase: 'correct horse' }]);
    // The passphrase does not linger in the form.
    expect(p1).toHaveValue('');
    expect(p2).toHaveValue('');
  });

  it('a cancelled save dialog says so; an unpublished card shows the core’s reason', async () => {
    let n = 0;
    core((cmd) => {
      if (cmd !== 'export_key_backup') return undefined;
      n += 1;
      if (n === 1) return { path: null, count: 0 };
      throw { kind: 'invalid_input', message: 'publish your card first: there are no keys to back up' };
    });
    render(SettingsScreen);
    await fireEvent.input(screen.getByTestId('backup-pass'), { target: { value: '12345678' } });
    await fireEvent.input(screen.getByTestId('backup-pass2'), { target: { value: '12345678' } });
    await fireEvent.click(screen.getByTestId('backup-keys'));
    expect(await screen.findByTestId('backup-result')).toHaveTextContent('Cancelled');
    await fireEvent.click(screen.getByTestId('backup-keys'));
    expect(await screen.findByTestId('backup-error')).toHaveTextContent('publish your card first');
  });
});

describe('restore keys', () => {
  const file = (bytes: number[] | Uint8Array, name = 'keys.lcbackup') => new File([new Uint8Array(bytes)], name);

  async function pick(f: File) {
    await fireEvent.change(screen.getByTestId('restore-file'), { target: { files: [f] } });
  }

  it('sends the file’s bytes and the passphrase; a wrong passphrase says so, the right one restores', async () => {
    const calls = core((cmd, args) => {
      if (cmd === 'import_key_backup') {
        if (args.passphrase !== 'right passphrase') throw { kind: 'wrong_passphrase', message: 'decryption failed' };
        return { cards: ['o1', 'o2'], created: 1 };
      }
      if (cmd === 'me_get') return null;
    });
    render(SettingsScreen);
    expect(screen.getByTestId('restore-keys')).toBeDisabled();
    await pick(file([1, 2, 3, 250]));
    await fireEvent.input(screen.getByTestId('restore-pass'), { target: { value: 'wrong one' } });
    await fireEvent.click(screen.getByTestId('restore-keys'));
    expect(await screen.findByTestId('restore-error')).toHaveTextContent('Wrong passphrase');
    expect(screen.queryByTestId('restore-result')).toBeNull();
    await fireEvent.input(screen.getByTestId('restore-pass'), { target: { value: 'right passphrase' } });
    await fireEvent.click(screen.getByTestId('restore-keys'));
    expect(await screen.findByTestId('restore-result')).toHaveTextContent('Restored 2 cards (1 new on this phone)');
    expect(screen.queryByTestId('restore-error')).toBeNull();
    expect(named(calls, 'import_key_backup').map((c) => c.args)).toEqual([
      { bytes: [1, 2, 3, 250], passphrase: 'wrong one' },
      { bytes: [1, 2, 3, 250], passphrase: 'right passphrase' },
    ]);
    // My card may be back: reloaded.
    await waitFor(() => expect(named(calls, 'me_get')).toHaveLength(1));
  });

  it('refuses a file over 1 MiB without sending it', async () => {
    const calls = core();
    render(SettingsScreen);
    await pick(file(new Uint8Array(1024 * 1024 + 1)));
    expect(screen.getByTestId('restore-error')).toHaveTextContent('too big');
    await fireEvent.input(screen.getByTestId('restore-pass'), { target: { value: 'whatever1' } });
    await fireEvent.click(screen.getByTestId('restore-keys'));
    expect(await screen.findByTestId('restore-error')).toHaveTextContent('too big');
    expect(named(calls, 'import_key_backup')).toHaveLength(0);
  });
});

describe('gesture swap', () => {
  it('is offered only with gestures on, and saves gestures_swapped', async () => {
    const calls = core();
    render(SettingsScreen);
    expect(screen.queryByTestId('gestures-swap')).toBeNull();
    await fireEvent.click(screen.getByTestId('gestures'));
    const swap = await screen.findByTestId('gestures-swap');
    expect(swap).not.toBeChecked();
    expect(screen.getByText(/Lift the phone to your ear to call/)).toBeInTheDocument();
    await fireEvent.click(swap);
    await waitFor(() => expect(screen.getByTestId('gestures-swap')).toBeChecked());
    const saved = named(calls, 'settings_set').map((c) => c.args.settings);
    expect(saved.at(-1)).toMatchObject({ gestures: true, gestures_swapped: true });
    expect(screen.getByText(/Lift the phone to send an SMS, put it down to call/)).toBeInTheDocument();
  });
});

describe('preference refused', () => {
  it('says why and puts the toggle back', async () => {
    core((cmd) => {
      if (cmd === 'settings_set') throw { kind: 'io', message: 'settings file is read-only' };
    });
    render(SettingsScreen);
    await fireEvent.click(screen.getByTestId('gestures'));
    expect(await screen.findByRole('alert')).toHaveTextContent('read-only');
    expect(screen.getByTestId('gestures')).not.toBeChecked();
    expect(screen.queryByTestId('gestures-swap')).toBeNull();
  });
});

describe('biometric toggle', () => {
  const bio = (over = {}) => ({ available: true, enabled: false, kind: 'fingerprint', ...over });

  it('on a phone with a sensor and a PIN: shown, and turning it on asks the core', async () => {
    let enabled = false;
    const calls = core(
      (cmd, args) => {
        if (cmd === 'lock_biometric_status') return bio({ enabled });
        if (cmd === 'lock_set_biometric') {
          enabled = args.enabled as boolean;
          return lock({ pin_set: true });
        }
      },
      android,
      lock({ pin_set: true }),
    );
    render(SettingsScreen);
    const toggle = await screen.findByTestId('biometric-toggle');
    expect(toggle).not.toBeChecked();
    expect(screen.getByLabelText('Unlock with fingerprint')).toBe(toggle);
    await fireEvent.click(toggle);
    await waitFor(() => expect(screen.getByTestId('biometric-toggle')).toBeChecked());
    expect(named(calls, 'lock_set_biometric').map((c) => c.args)).toEqual([{ enabled: true }]);
    expect(screen.getByTestId('lock-ok')).toHaveTextContent('Biometric unlock on');
  });

  it('a refusal from the core is shown and the toggle goes back', async () => {
    core(
      (cmd) => {
        if (cmd === 'lock_biometric_status') return bio();
        if (cmd === 'lock_set_biometric') throw { kind: 'locked', message: 'unlock first' };
      },
      android,
      lock({ pin_set: true }),
    );
    render(SettingsScreen);
    await fireEvent.click(await screen.findByTestId('biometric-toggle'));
    expect(await screen.findByRole('alert')).toHaveTextContent('unlock first');
    await waitFor(() => expect(screen.getByTestId('biometric-toggle')).not.toBeChecked());
  });

  it('hidden on desktop, without a PIN, and without an enrolled sensor', async () => {
    const cases: [AppInfo, LockStatus, ReturnType<typeof bio>][] = [
      [desktop, lock({ pin_set: true }), bio()],
      [android, lock({ pin_set: false }), bio()],
      [android, lock({ pin_set: true }), bio({ available: false })],
    ];
    for (const [info, st, b] of cases) {
      const calls = core((cmd) => (cmd === 'lock_biometric_status' ? b : undefined), info, st);
      const { unmount } = render(SettingsScreen);
      await screen.findByTestId('lock-settings');
      await waitFor(() => expect(named(calls, 'lock_status').length).toBeGreaterThan(0));
      await waitFor(() => expect(named(calls, 'app_info').length).toBeGreaterThan(0));
      // Give pending answers a turn, then check.
      await new Promise((r) => setTimeout(r, 0));
      expect(screen.queryByTestId('biometric-toggle')).toBeNull();
      unmount();
      clearMocks();
    }
  });
});
