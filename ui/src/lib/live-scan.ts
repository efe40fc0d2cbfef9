// Live QR scan with the webview's own camera (getUserMedia), for phones without the camera
// plugin's engine and for desktops whose webview allows it: a frame every ~300 ms, scaled
// down on a canvas, sent to the core's decoder; stops at the first text, on cancel, and when
// the screen goes away.
import { decodeQrFrame } from './api/scan';

/** The webview can open a camera (hide the button otherwise: the photo path remains). */
export function liveCameraAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/** Longest side of a frame sent to the decoder. */
export const FRAME_SIDE = 960;
export const FRAME_EVERY_MS = 300;

export interface LiveScan {
  /** The first QR text read, or null when stopped first. */
  result: Promise<string | null>;
  stop(): void;
}

/** Start the camera in `video` and read frames until a QR text comes. `decode` and `grab`
 *  are replaceable for tests. */
export async function startLiveScan(
  video: HTMLVideoElement,
  decode: (bytes: Uint8Array) => Promise<string[]> = decodeQrFrame,
  grab: (video: HTMLVideoElement) => Promise<Uint8Array | null> = grabFrame,
): Promise<LiveScan> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: 'environment' },
    audio: false,
  });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  await video.play().catch(() => undefined);
  let stopped = false;
  let finish: (v: string | null) => void = () => {};
  const result = new Promise<string | null>((r) => (finish = r));
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const t of stream.getTracks()) t.stop();
    video.srcObject = null;
    finish(null);
  };
  const tick = async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const bytes = await grab(video);
        const texts = bytes ? await decode(bytes) : [];
        if (!stopped && texts.length > 0) {
          finish(texts[0]);
          stop();
          return;
        }
      } catch {
        // A frame that fails to decode is just the next frame's turn.
      }
      const wait = Math.max(0, FRAME_EVERY_MS - (Date.now() - started));
      await new Promise((r) => setTimeout(r, wait));
    }
  };
  void tick();
  return { result, stop };
}

/** The current video frame as a JPEG, at most FRAME_SIDE on its longer side. */
export async function grabFrame(video: HTMLVideoElement): Promise<Uint8Array | null> {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return null;
  const k = Math.min(1, FRAME_SIDE / Math.max(w, h));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(w * k);
  canvas.height = Math.round(h * k);
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.85));
  return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
}
