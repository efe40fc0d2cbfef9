// The DOM side of the avatar crop: decode the picked file, draw the crop on a canvas, encode
// a JPEG under the size limit. (Tests replace this module: jsdom has no image decoder.)
import type { Avatar } from './api/types';
import { AVATAR_PX, bytesToBase64, cropRect, encodeUnder, type Crop } from './avatar-crop';

export interface LoadedImage {
  el: HTMLImageElement;
  /** blob: URL to show it; revoke with {@link releaseImage}. */
  url: string;
  w: number;
  h: number;
}

export class ImageUnreadable extends Error {
  constructor() {
    super('the file is not an image this device can read');
    this.name = 'ImageUnreadable';
  }
}

export function loadImage(file: Blob): Promise<LoadedImage> {
  const url = URL.createObjectURL(file);
  return new Promise((resolve, reject) => {
    const el = new Image();
    el.onload = () => {
      if (el.naturalWidth > 0 && el.naturalHeight > 0) {
        resolve({ el, url, w: el.naturalWidth, h: el.naturalHeight });
      } else {
        URL.revokeObjectURL(url);
        reject(new ImageUnreadable());
      }
    };
    el.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new ImageUnreadable());
    };
    el.src = url;
  });
}

export function releaseImage(img: LoadedImage | null) {
  if (img) URL.revokeObjectURL(img.url);
}

/** The crop as a 256×256 JPEG of at most 60 KiB. */
export async function renderAvatar(img: LoadedImage, crop: Crop): Promise<Avatar> {
  const canvas = document.createElement('canvas');
  canvas.width = AVATAR_PX;
  canvas.height = AVATAR_PX;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new ImageUnreadable();
  // JPEG has no transparency: a white ground under transparent PNG/GIF/WebP pixels.
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, AVATAR_PX, AVATAR_PX);
  ctx.imageSmoothingQuality = 'high';
  const { sx, sy, size } = cropRect(crop);
  ctx.drawImage(img.el, sx, sy, size, size, 0, 0, AVATAR_PX, AVATAR_PX);
  const { blob } = await encodeUnder(
    (q) =>
      new Promise<Blob>((resolve, reject) =>
        canvas.toBlob((b) => (b ? resolve(b) : reject(new ImageUnreadable())), 'image/jpeg', q),
      ),
  );
  return { mime: 'image/jpeg', data: bytesToBase64(new Uint8Array(await blob.arrayBuffer())) };
}
