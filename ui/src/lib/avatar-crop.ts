// The avatar crop, as pure arithmetic (no DOM) so it can be unit-tested. The crop is a square
// of the image, in image pixels: its centre and a zoom. Zoom 1 is the largest square that fits
// (the image "covers" the square view); zoom z shows 1/z of that side. The square always stays
// inside the image.

export interface Crop {
  /** Image size in pixels. */
  w: number;
  h: number;
  /** Centre of the square, image pixels. */
  cx: number;
  cy: number;
  zoom: number;
}

export const MIN_ZOOM = 1;
export const MAX_ZOOM = 4;
/** Output side of the avatar, pixels. */
export const AVATAR_PX = 256;
/** What the app keeps under the core's 64 KiB avatar limit. */
export const AVATAR_MAX_BYTES = 60 * 1024;
/** JPEG qualities tried in turn until the image fits. */
export const QUALITIES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2] as const;
/** Keyboard: one arrow press moves this many view pixels (Shift: 5×); +/- zoom by this. */
export const KEY_MOVE_PX = 10;
export const KEY_ZOOM = 0.1;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Side of the crop square in image pixels. */
export function cropSide(c: Crop): number {
  return Math.min(c.w, c.h) / c.zoom;
}

/** Zoom within bounds and the square inside the image. */
export function clampCrop(c: Crop): Crop {
  const zoom = clamp(Number.isFinite(c.zoom) ? c.zoom : MIN_ZOOM, MIN_ZOOM, MAX_ZOOM);
  const half = Math.min(c.w, c.h) / zoom / 2;
  return {
    w: c.w,
    h: c.h,
    zoom,
    cx: clamp(Number.isFinite(c.cx) ? c.cx : c.w / 2, half, c.w - half),
    cy: clamp(Number.isFinite(c.cy) ? c.cy : c.h / 2, half, c.h - half),
  };
}

/** The starting crop: the centred square covering the view (zoom 1). */
export function coverCrop(w: number, h: number): Crop {
  if (!(w > 0 && h > 0)) throw new RangeError(`image size ${w}×${h} is empty`);
  return { w, h, cx: w / 2, cy: h / 2, zoom: MIN_ZOOM };
}

/** Drag the picture by (dx, dy) view pixels in a view `viewPx` wide: the picture follows the
 *  finger, so the crop moves the other way. */
export function panCrop(c: Crop, dx: number, dy: number, viewPx: number): Crop {
  const perPx = cropSide(c) / viewPx;
  return clampCrop({ ...c, cx: c.cx - dx * perPx, cy: c.cy - dy * perPx });
}

/** Zoom around the centre of the view (then clamp, which may shift the centre back in). */
export function zoomCrop(c: Crop, zoom: number): Crop {
  return clampCrop({ ...c, zoom });
}

/** The source square to draw: top-left and side, image pixels. */
export function cropRect(c: Crop): { sx: number; sy: number; size: number } {
  const size = cropSide(c);
  return { sx: c.cx - size / 2, sy: c.cy - size / 2, size };
}

/** How to place the whole image in a square view `viewPx` wide so that the crop fills it:
 *  draw it `width`×`height`, moved by (x, y) from the view's top-left. */
export function viewTransform(c: Crop, viewPx: number) {
  const { sx, sy, size } = cropRect(c);
  const scale = viewPx / size;
  return { scale, x: -sx * scale, y: -sy * scale, width: c.w * scale, height: c.h * scale };
}

/** Keyboard: arrows move the picture (as a drag would), + / = zoom in, - zoom out. Null for
 *  other keys. */
export function keyCrop(c: Crop, key: string, viewPx: number, shift = false): Crop | null {
  const step = KEY_MOVE_PX * (shift ? 5 : 1);
  switch (key) {
    case 'ArrowLeft': return panCrop(c, -step, 0, viewPx);
    case 'ArrowRight': return panCrop(c, step, 0, viewPx);
    case 'ArrowUp': return panCrop(c, 0, -step, viewPx);
    case 'ArrowDown': return panCrop(c, 0, step, viewPx);
    case '+': case '=': return zoomCrop(c, c.zoom + KEY_ZOOM);
    case '-': case '_': return zoomCrop(c, c.zoom - KEY_ZOOM);
    default: return null;
  }
}

export class AvatarTooBig extends Error {
  constructor(readonly bytes: number) {
    super(`the avatar is still ${bytes} bytes at the lowest quality`);
    this.name = 'AvatarTooBig';
  }
}

/** Encode at falling qualities until the result is at most `maxBytes`. */
export async function encodeUnder(
  encode: (quality: number) => Promise<Blob>,
  maxBytes = AVATAR_MAX_BYTES,
  qualities: readonly number[] = QUALITIES,
): Promise<{ blob: Blob; quality: number }> {
  let last = 0;
  for (const quality of qualities) {
    const blob = await encode(quality);
    if (blob.size <= maxBytes) return { blob, quality };
    last = blob.size;
  }
  throw new AvatarTooBig(last);
}

/** Bytes → base64 (the Card's avatar.data). */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

const SHOWN_MIMES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** A data: URL to show an avatar, or null when there is none or it is not an image type the
 *  core allows. */
export function avatarUrl(a: { mime: string; data: string } | null | undefined): string | null {
  if (!a || !a.data || !SHOWN_MIMES.includes(a.mime.toLowerCase())) return null;
  return `data:${a.mime.toLowerCase()};base64,${a.data}`;
}
