// Adding what a scan or a paste holds: a share link, an offline-QR text (`LC1:…`), vCard or
// MeCard text, all decoded by the Rust core (`add_scanned_text`). On phones the camera scan
// comes from the barcode-scanner plugin, loaded only when asked for (desktop never loads it).
import { ApiError, call } from './ipc';
import type { AddReport } from './types';

/** Add whatever a QR code or the paste box held (`pasted`: recorded as typed/pasted, not
 *  scanned). */
export const addScannedText = (text: string, pasted = false) =>
  call<AddReport>('add_scanned_text', pasted ? { text, pasted } : { text });

type Permission = 'granted' | 'denied' | 'prompt' | 'prompt-with-rationale';

/** The plugin's rejections are plain strings (or Errors); a cancel is not an error. */
function isCancel(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /cancel/i.test(m);
}

/** Scan one QR code with the camera (phones). Resolves to its text, or null when the user
 *  cancelled. Rejects with kind `camera_denied` when camera access is refused (the user can
 *  allow it in the system settings: {@link openCameraSettings}), or `scan` for other
 *  failures. */
export async function scanQrText(): Promise<string | null> {
  const plugin = await import('@tauri-apps/plugin-barcode-scanner');
  let perm: Permission;
  try {
    perm = await plugin.checkPermissions();
    if (perm !== 'granted') perm = await plugin.requestPermissions();
  } catch (e) {
    throw new ApiError('scan', e instanceof Error ? e.message : String(e));
  }
  if (perm !== 'granted') throw new ApiError('camera_denied', 'camera access refused');
  try {
    const scanned = await plugin.scan({ formats: [plugin.Format.QRCode], windowed: false });
    return scanned.content;
  } catch (e) {
    if (isCancel(e)) return null;
    throw new ApiError('scan', e instanceof Error ? e.message : String(e));
  }
}

/** Scan a QR code and add what it holds; null when the user cancelled the scan. */
export async function scanAndAdd(): Promise<AddReport | null> {
  const text = await scanQrText();
  return text === null ? null : addScannedText(text);
}

/** Open this app's system settings (to allow the camera after a refusal). */
export async function openCameraSettings(): Promise<void> {
  const plugin = await import('@tauri-apps/plugin-barcode-scanner');
  await plugin.openAppSettings();
}
