// Phone-only ways in and out: camera QR scan and NFC read on the Add screen, NFC write on my
// card. Desktop builds (app_info.nfc / scanner false) show none of them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Add from '../screens/Add.svelte';
import MyCard from '../screens/MyCard.svelte';
import { session } from '../lib/session.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { emptyCard, type AddReport, type OwnCard } from '../lib/api/types';
import type { AppInfo } from '../lib/api/settings';
import type { NfcWritten } from '../lib/api/nfc';

const desktop: AppInfo = {
  version: '0.1.0', data_dir: '/tmp/x', dev_hooks: false, platform: 'desktop', nfc: false, scanner: false, biometric: false,
};
const android: AppInfo = { ...desktop, platform: 'android', nfc: true, scanner: true, biometric: true };
const report = (name: string): AddReport => ({ added: [{ id: 'r1', name, status: 'added', warnings: [] }], skipped: [] });

type Call = { cmd: string; args: Record<string, unknown> };
type Handler = (cmd: string, args: Record<string, unknown>) => unknown;
function core(info: AppInfo, extra: Handler = () => undefined) {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const r = extra(cmd, a);
    if (r !== undefined) return r;
    if (cmd === 'app_info') return info;
    return null;
  });
  return calls;
}
const cmds = (calls: Call[]) => calls.map((c) => c.cmd);

beforeEach(() => {
  setLocale('en');
  session.settings = { server_url: 'http://127.0.0.1:8787', language: 'en', theme: 'auto', onboarded: true, gestures: false, gestures_swapped: false };
  session.me = null;
});
afterEach(() => clearMocks());

describe('add on a desktop', () => {
  it('offers no camera or NFC; the QR image, paste and .vcf fallbacks stay', async () => {
    const calls = core(desktop);
    render(Add);
    await waitFor(() => expect(cmds(calls)).toContain('app_info'));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId('scan-camera')).toBeNull();
    expect(screen.queryByTestId('nfc-read')).toBeNull();
    expect(screen.getByTestId('qr-file')).toBeInTheDocument();
    expect(screen.getByTestId('paste')).toBeInTheDocument();
    expect(screen.getByTestId('vcf-file')).toBeInTheDocument();
    expect(cmds(calls).some((c) => c.startsWith('plugin:barcode-scanner'))).toBe(false);
  });
});

describe('add on a phone', () => {
  it('scans a QR code with the camera and hands its text to add_scanned_text', async () => {
    const calls = core(android, (cmd) => {
      if (cmd === 'plugin:barcode-scanner|check_permissions') return { camera: 'granted' };
      if (cmd === 'plugin:barcode-scanner|scan') return { content: 'LC1:ABCDEF', format: 'QR_CODE', bounds: null };
      if (cmd === 'add_scanned_text') return report('王五');
    });
    render(Add);
    await fireEvent.click(await screen.findByTestId('scan-camera'));
    expect(await screen.findByTestId('add-results')).toHaveTextContent('Added 王五');
    const scan = calls.find((c) => c.cmd === 'plugin:barcode-scanner|scan');
    expect(scan?.args).toMatchObject({ formats: ['QR_CODE'], windowed: true });
    expect(calls.filter((c) => c.cmd === 'add_scanned_text').map((c) => c.args)).toEqual([{ text: 'LC1:ABCDEF' }]);
    // Buttons sit above the desktop fallbacks.
    const scanBtn = screen.getByTestId('scan-camera');
    expect(scanBtn.compareDocumentPosition(screen.getByTestId('vcf-file')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('a cancelled scan adds nothing and says nothing', async () => {
    const calls = core(android, (cmd) => {
      if (cmd === 'plugin:barcode-scanner|check_permissions') return { camera: 'granted' };
      if (cmd === 'plugin:barcode-scanner|scan') throw 'Scan cancelled';
    });
    render(Add);
    await fireEvent.click(await screen.findByTestId('scan-camera'));
    await waitFor(() => expect(screen.getByTestId('scan-camera')).not.toBeDisabled());
    expect(cmds(calls)).toContain('plugin:barcode-scanner|scan');
    expect(cmds(calls)).not.toContain('add_scanned_text');
    expect(screen.queryByTestId('add-error')).toBeNull();
    expect(screen.queryByTestId('add-results')).toBeNull();
  });

  it('asks for the camera; when refused, says so and offers the system settings', async () => {
    const calls = core(android, (cmd) => {
      if (cmd === 'plugin:barcode-scanner|check_permissions') return { camera: 'prompt' };
      if (cmd === 'plugin:barcode-scanner|request_permissions') return { camera: 'denied' };
    });
    render(Add);
    await fireEvent.click(await screen.findByTestId('scan-camera'));
    expect(await screen.findByTestId('add-error')).toHaveTextContent('may not use the camera');
    expect(cmds(calls)).not.toContain('plugin:barcode-scanner|scan');
    await fireEvent.click(screen.getByTestId('camera-settings'));
    await waitFor(() => expect(cmds(calls)).toContain('plugin:barcode-scanner|open_app_settings'));
  });

  it('a QR the core cannot use shows the core’s reason', async () => {
    core(android, (cmd) => {
      if (cmd === 'plugin:barcode-scanner|check_permissions') return { camera: 'granted' };
      if (cmd === 'plugin:barcode-scanner|scan') return { content: 'hello', format: 'QR_CODE', bounds: null };
      if (cmd === 'add_scanned_text') throw { kind: 'invalid_input', message: 'not a livecard link, offline card, vCard or MeCard' };
    });
    render(Add);
    await fireEvent.click(await screen.findByTestId('scan-camera'));
    expect(await screen.findByTestId('add-error')).toHaveTextContent('not a livecard link');
  });

  it('reads an NFC tag: "hold the tag" while waiting, then the card', async () => {
    let answer: (r: AddReport) => void = () => {};
    const calls = core(android, (cmd) => {
      if (cmd === 'nfc_read') return new Promise((r) => (answer = r));
    });
    render(Add);
    await fireEvent.click(await screen.findByTestId('nfc-read'));
    expect(await screen.findByTestId('nfc-waiting')).toHaveTextContent('Hold the tag near the phone');
    expect(screen.getByTestId('nfc-read')).toBeDisabled();
    // A tag may never come: the other ways in stay usable meanwhile.
    expect(screen.getByTestId('scan-camera')).not.toBeDisabled();
    expect(screen.getByTestId('vcf-file')).not.toBeDisabled();
    answer(report('赵六'));
    expect(await screen.findByTestId('add-results')).toHaveTextContent('Added 赵六');
    expect(screen.queryByTestId('nfc-waiting')).toBeNull();
    expect(calls.find((c) => c.cmd === 'nfc_read')?.args).toEqual({});
  });

  it('an NFC failure says what happened and the button works again', async () => {
    core(android, (cmd) => {
      if (cmd === 'nfc_read') throw { kind: 'nfc', message: 'the tag was moved away too soon' };
    });
    render(Add);
    await fireEvent.click(await screen.findByTestId('nfc-read'));
    expect(await screen.findByTestId('add-error')).toHaveTextContent('NFC: the tag was moved away too soon');
    expect(screen.getByTestId('nfc-read')).not.toBeDisabled();
  });

  it('NFC: Cancel while waiting stops the read quietly; the tag type and size are shown', async () => {
    let reject: (e: unknown) => void = () => {};
    let answer: (r: unknown) => void = () => {};
    let n = 0;
    const calls = core(android, (cmd) => {
      if (cmd === 'nfc_read') {
        n += 1;
        return new Promise((res, rej) => (n === 1 ? (reject = rej) : (answer = res)));
      }
      if (cmd === 'nfc_cancel') {
        reject({ kind: 'nfc_cancelled', message: 'Cancelled' });
        return null;
      }
    });
    render(Add);
    await fireEvent.click(await screen.findByTestId('nfc-read'));
    await fireEvent.click(await screen.findByTestId('nfc-cancel'));
    await waitFor(() => expect(screen.queryByTestId('nfc-waiting')).toBeNull());
    expect(screen.queryByTestId('add-error')).toBeNull();
    expect(cmds(calls)).toContain('nfc_cancel');
    await fireEvent.click(screen.getByTestId('nfc-read'));
    await screen.findByTestId('nfc-cancel');
    answer({ ...report('钱七'), tag: { chip: 'ntag215', max_size: 496, writable: true, tech: ['NfcA', 'Ndef'] } });
    expect(await screen.findByTestId('nfc-tag')).toHaveTextContent('Tag: NTAG215, 496 bytes');
    expect(screen.queryByTestId('nfc-cancel')).toBeNull();
  });

  it('NFC: an empty or non-NDEF tag says so in the chosen language', async () => {
    core(android, (cmd) => {
      if (cmd === 'nfc_read') throw { kind: 'nfc_not_ndef', message: 'the tag is not NDEF-formatted' };
    });
    setLocale('zh');
    render(Add);
    await fireEvent.click(await screen.findByTestId('nfc-read'));
    expect(await screen.findByTestId('add-error')).toHaveTextContent('不是 NDEF 标签');
  });

  it('shows only what the phone has (a scanner without NFC)', async () => {
    core({ ...android, nfc: false });
    render(Add);
    expect(await screen.findByTestId('scan-camera')).toBeInTheDocument();
    expect(screen.queryByTestId('nfc-read')).toBeNull();
  });
});

describe('write my card to an NFC tag', () => {
  const me = { ...emptyCard(), name: '张三', id: 'o1', version: 1, default: true, created_at: '', updated_at: '' } as OwnCard;
  const published = { published: true, link: 'http://127.0.0.1:8787/c/ABCDEFGH#s', qr_svg: '<svg></svg>', pending: 0, has_server: true };

  it('waits for the tag, then says how many bytes went on it', async () => {
    session.me = me;
    let answer: (r: NfcWritten) => void = () => {};
    const calls = core(android, (cmd) => {
      if (cmd === 'me_share') return published;
      if (cmd === 'nfc_write_my_card') return new Promise((r) => (answer = r));
    });
    render(MyCard);
    await fireEvent.click(await screen.findByTestId('nfc-write'));
    expect(await screen.findByTestId('nfc-waiting')).toHaveTextContent('Hold the tag near the phone');
    answer({ bytes: 187 } as NfcWritten);
    expect(await screen.findByTestId('nfc-result')).toHaveTextContent('187 bytes');
    await fireEvent.click(screen.getByTestId('nfc-write'));
    answer({ bytes: 61, offline_included: false, dropped_fields: [] } as unknown as NfcWritten);
    await waitFor(() => expect(screen.getByTestId('nfc-result')).toHaveTextContent('61 bytes. Only the link fitted'));
    expect(screen.queryByTestId('nfc-waiting')).toBeNull();
    expect(cmds(calls)).toContain('nfc_write_my_card');
  });

  it('says "written and verified" with the tag, and a locked tag clearly', async () => {
    session.me = me;
    let n = 0;
    core(android, (cmd) => {
      if (cmd === 'me_share') return published;
      if (cmd === 'nfc_write_my_card') {
        n += 1;
        if (n === 1) return { bytes: 301, offline_included: true, dropped_fields: [], verified: true, tag: { chip: 'ntag215', max_size: 496, writable: true, tech: [] } };
        throw { kind: 'nfc_locked', message: 'this tag is locked' };
      }
    });
    render(MyCard);
    await fireEvent.click(await screen.findByTestId('nfc-write'));
    expect(await screen.findByTestId('nfc-result')).toHaveTextContent('Written and verified: 301 bytes.');
    expect(screen.getByTestId('nfc-result')).toHaveTextContent('Tag: NTAG215, 496 bytes');
    await fireEvent.click(screen.getByTestId('nfc-write'));
    expect(await screen.findByTestId('nfc-error')).toHaveTextContent('This tag is locked (read-only). Use another tag.');
  });

  it('shows a tag error and the not-published reason', async () => {
    session.me = me;
    let n = 0;
    core(android, (cmd) => {
      if (cmd === 'me_share') return published;
      if (cmd === 'nfc_write_my_card') {
        n += 1;
        if (n === 1) throw { kind: 'nfc', message: 'the tag is read-only' };
        throw { kind: 'invalid_input', message: 'publish your card before writing it to a tag' };
      }
    });
    render(MyCard);
    await fireEvent.click(await screen.findByTestId('nfc-write'));
    expect(await screen.findByTestId('nfc-error')).toHaveTextContent('NFC: the tag is read-only');
    await fireEvent.click(screen.getByTestId('nfc-write'));
    await waitFor(() => expect(screen.getByTestId('nfc-error')).toHaveTextContent('publish your card before'));
  });

  it('is absent on a desktop', async () => {
    session.me = me;
    const calls = core(desktop, (cmd) => (cmd === 'me_share' ? published : undefined));
    render(MyCard);
    await screen.findByTestId('me-qr');
    await waitFor(() => expect(cmds(calls)).toContain('app_info'));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByTestId('nfc-write')).toBeNull();
  });
});
