// Adding what a scan, a photo or a paste holds: a share link, an offline-QR text (`LC1:…`),
// vCard or MeCard text, all decoded by the Rust core. Three ways to scan:
// - a photo (`<input type=file accept=image/* capture=environment>`): works on every phone and
//   on desktop; the bytes go to `add_qr_image` (the core's decoder);
// - the barcode-scanner plugin on phones (Google Play services' ML Kit on Android: without it
//   `scan()` never resolves), wrapped with a cancel and a timeout, after which the app goes
//   straight to the fallbacks next time;
// - a live webview-camera scan (getUserMedia frames → `decode_qr_frame`), see live-scan.ts.
import { ApiError, call } from './ipc';
import type { AddReport } from './types';

/** Add whatever a QR code or the paste box held (`pasted`: recorded as typed/pasted, not
 *  scanned). */
export const addScannedText = (text: string, pasted = false) =>
  call('add_scanned_text', pasted ? { text, pasted } : { text });

/** Largest picture the core reads (`MAX_QR_IMAGE_BYTES`). */
export const MAX_PHOTO_MB = 32;

/** Decode the QR code(s) in a photo or picture (PNG/JPEG) in the core and add what they hold.
 *  The bytes go as the raw request body (no JSON number array where the webview can send a
 *  body). Rejects with kind `no_qr_code` when the picture has no readable code. */
export async function addQrPhoto(file: Blob): Promise<AddReport> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return call('add_qr_image', bytes);
}

/** The QR texts in one camera frame (PNG/JPEG bytes); empty when none. */
export const decodeQrFrame = (bytes: Uint8Array) => call('decode_qr_frame', bytes);

type Permission = 'granted' | 'denied' | 'prompt' | 'prompt-with-rationale';

/** The part of @tauri-apps/plugin-barcode-scanner used here (tests pass a stand-in). */
export interface ScannerPlugin {
  checkPermissions(): Promise<Permission>;
  requestPermissions(): Promise<Permission>;
  scan(options: { formats: unknown[]; windowed: boolean }): Promise<{ content: string }>;
  cancel(): Promise<void>;
  openAppSettings(): Promise<void>;
  Format: { QRCode: unknown };
}

const loadPlugin = async () =>
  (await import('@tauri-apps/plugin-barcode-scanner')) as unknown as ScannerPlugin;

/** How long a plugin scan may run without a result before it is cancelled. Without Play
 *  services the preview shows but nothing is ever read. */
export const SCAN_TIMEOUT_MS = 30_000;

const SKIP_KEY = 'livecard.scanner.skip';
const WORKED_KEY = 'livecard.scanner.worked';

function store(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** The camera scanner timed out before and never worked on this phone: go straight to the
 *  photo / webview-camera fallbacks (the user can try it again). */
export const scannerSkipped = () => store()?.getItem(SKIP_KEY) === '1';
/** "Try the camera scanner again". */
export const retryScanner = () => store()?.removeItem(SKIP_KEY);

/** The plugin's rejections are plain strings (or Errors); a cancel is not an error. */
function isCancel(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /cancel/i.test(m);
}

export type ScanOutcome =
  | { kind: 'text'; text: string }
  | { kind: 'cancelled' }
  /** Nothing was read in time: the scan was cancelled; use the fallbacks. */
  | { kind: 'timeout' };

let active: { plugin: ScannerPlugin; cancelled: boolean } | null = null;

/** Stop a running plugin scan (the cancel button over the camera view). */
export async function cancelScan(): Promise<void> {
  const a = active;
  if (!a) return;
  a.cancelled = true;
  await a.plugin.cancel().catch(() => undefined);
}

/** Scan one QR code with the camera plugin (phones), `windowed` so the app's cancel button
 *  stays over the preview. Rejects with kind `camera_denied` when camera access is refused
 *  ({@link openCameraSettings}), or `scan` for other failures. A first timeout on a phone
 *  where the scanner never worked is remembered ({@link scannerSkipped}). */
export async function scanQr(
  timeoutMs = SCAN_TIMEOUT_MS,
  plugin?: ScannerPlugin,
): Promise<ScanOutcome> {
  const p = plugin ?? (await loadPlugin());
  let perm: Permission;
  try {
    perm = await p.checkPermissions();
    if (perm !== 'granted') perm = await p.requestPermissions();
  } catch (e) {
    throw new ApiError('scan', e instanceof Error ? e.message : String(e));
  }
  if (perm !== 'granted') throw new ApiError('camera_denied', 'camera access refused');
  const me = { plugin: p, cancelled: false };
  active = me;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const r = await Promise.race([p.scan({ formats: [p.Format.QRCode], windowed: true }), timedOut]);
    if (r === 'timeout') {
      me.cancelled = true;
      await p.cancel().catch(() => undefined);
      if (store()?.getItem(WORKED_KEY) !== '1') store()?.setItem(SKIP_KEY, '1');
      return { kind: 'timeout' };
    }
    store()?.setItem(WORKED_KEY, '1');
    return { kind: 'text', text: r.content };
  } catch (e) {
    if (me.cancelled || isCancel(e)) return { kind: 'cancelled' };
    throw new ApiError('scan', e instanceof Error ? e.message : String(e));
  } finally {
    clearTimeout(timer);
    if (active === me) active = null;
  }
}

/** Open this app's system settings (to allow the camera after a refusal). */
export async function openCameraSettings(): Promise<void> {
  await (await loadPlugin()).openAppSettings();
}
