// The camera-plugin scan wrapped with cancel and timeout (Google Play services may be missing:
// then scan() never resolves), the memory that sends the next scan straight to the fallbacks,
// and the photo path's bytes and "no QR code" message. The plugin is a stand-in (no camera).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Add from '../screens/Add.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { cancelScan, retryScanner, scanQr, scannerSkipped, type ScannerPlugin } from '../lib/api/scan';
import type { AppInfo } from '../lib/api/settings';

function fakePlugin(scan: () => Promise<{ content: string }>) {
  const log: string[] = [];
  let reject: (e: unknown) => void = () => {};
  const plugin: ScannerPlugin = {
    checkPermissions: async () => 'granted',
    requestPermissions: async () => 'granted',
    scan: (o) => {
      log.push(`scan windowed=${o.windowed}`);
      return new Promise((res, rej) => {
        reject = rej;
        scan().then(res, rej);
      });
    },
    cancel: async () => {
      log.push('cancel');
      reject('Scan cancelled');
    },
    openAppSettings: async () => undefined,
    Format: { QRCode: 'QR_CODE' },
  };
  return { plugin, log };
}
const never = () => new Promise<{ content: string }>(() => {});

beforeEach(() => {
  localStorage.clear();
  setLocale('en');
});
afterEach(() => clearMocks());

describe('camera plugin scan', () => {
  it('gives the text the plugin read, windowed so the cancel button shows', async () => {
    const { plugin, log } = fakePlugin(async () => ({ content: 'LC1:XYZ' }));
    expect(await scanQr(1000, plugin)).toEqual({ kind: 'text', text: 'LC1:XYZ' });
    expect(log).toEqual(['scan windowed=true']);
  });

  it('a scan that never resolves is cancelled at the timeout and remembered', async () => {
    const { plugin, log } = fakePlugin(never);
    expect(scannerSkipped()).toBe(false);
    expect(await scanQr(20, plugin)).toEqual({ kind: 'timeout' });
    expect(log).toEqual(['scan windowed=true', 'cancel']);
    expect(scannerSkipped()).toBe(true);
    retryScanner();
    expect(scannerSkipped()).toBe(false);
  });

  it('a timeout on a phone where the scanner worked before is not remembered', async () => {
    await scanQr(1000, fakePlugin(async () => ({ content: 'x' })).plugin);
    expect(await scanQr(20, fakePlugin(never).plugin)).toEqual({ kind: 'timeout' });
    expect(scannerSkipped()).toBe(false);
  });

  it('the cancel button stops a running scan: cancelled, not an error, not remembered', async () => {
    const { plugin, log } = fakePlugin(never);
    const p = scanQr(60_000, plugin);
    await new Promise((r) => setTimeout(r, 0));
    await cancelScan();
    expect(await p).toEqual({ kind: 'cancelled' });
    expect(log).toEqual(['scan windowed=true', 'cancel']);
    expect(scannerSkipped()).toBe(false);
  });

  it('other plugin failures are errors of kind scan', async () => {
    const { plugin } = fakePlugin(async () => {
      throw 'camera busy';
    });
    await expect(scanQr(1000, plugin)).rejects.toMatchObject({ kind: 'scan', message: 'camera busy' });
  });
});

const android: AppInfo = {
  version: '0.1.0', data_dir: '/tmp/x', dev_hooks: false, platform: 'android', nfc: false, scanner: true, biometric: false,
};

describe('Add screen', () => {
  it('after a timeout the scanner button gives way to the fallbacks, with a way back', async () => {
    localStorage.setItem('livecard.scanner.skip', '1');
    mockIPC((cmd) => (cmd === 'app_info' ? android : null));
    render(Add);
    expect(await screen.findByTestId('scanner-skipped')).toHaveTextContent('did not work on this phone');
    expect(screen.queryByTestId('scan-camera')).toBeNull();
    expect(screen.getByTestId('qr-photo')).toHaveAttribute('capture', 'environment');
    await fireEvent.click(screen.getByTestId('scanner-retry'));
    expect(await screen.findByTestId('scan-camera')).toBeInTheDocument();
  });

  it('a photo goes to add_qr_image as raw bytes; no code → the hint to retry', async () => {
    const seen: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'app_info') return { ...android, platform: 'desktop', scanner: false };
      if (cmd === 'add_qr_image') {
        seen.push(args);
        throw { kind: 'no_qr_code', message: 'no QR code found in the image / 图片中没有找到二维码' };
      }
      return null;
    });
    render(Add);
    const input = await screen.findByTestId('qr-photo');
    const file = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], 'photo.jpg', { type: 'image/jpeg' });
    await fireEvent.change(input, { target: { files: [file] } });
    expect(await screen.findByTestId('add-error')).toHaveTextContent('closer, hold steady, with more light');
    await waitFor(() => expect(seen.length).toBe(1));
    expect(Array.from(seen[0] as Uint8Array)).toEqual([0xff, 0xd8, 0xff, 0xe0]);
  });
});
