import { describe, expect, it } from 'vitest';
import {
  AVATAR_MAX_BYTES, AvatarTooBig, MAX_ZOOM, avatarUrl, bytesToBase64, clampCrop, coverCrop, cropRect, cropSide,
  encodeUnder, keyCrop, panCrop, viewTransform, zoomCrop,
} from '../lib/avatar-crop';

/** The crop square lies inside the image. */
function inside(c: ReturnType<typeof coverCrop>) {
  const r = cropRect(c);
  expect(r.sx).toBeGreaterThanOrEqual(-1e-9);
  expect(r.sy).toBeGreaterThanOrEqual(-1e-9);
  expect(r.sx + r.size).toBeLessThanOrEqual(c.w + 1e-9);
  expect(r.sy + r.size).toBeLessThanOrEqual(c.h + 1e-9);
}

describe('avatar crop math', () => {
  it('starts with the centred square that covers the view (the short side)', () => {
    const land = coverCrop(400, 300);
    expect(cropRect(land)).toEqual({ sx: 50, sy: 0, size: 300 });
    const port = coverCrop(300, 600);
    expect(cropRect(port)).toEqual({ sx: 0, sy: 150, size: 300 });
    expect(() => coverCrop(0, 10)).toThrow(RangeError);
  });

  it('drags the picture with the pointer: the crop moves the other way, scaled to image pixels', () => {
    // 1000×500 image in a 250 px view: one view pixel is 2 image pixels at zoom 1.
    const c = coverCrop(1000, 500);
    const moved = panCrop(c, -50, 0, 250);
    expect(moved.cx).toBe(600);
    expect(moved.cy).toBe(250); // cannot move vertically: the square is the whole height
    expect(panCrop(c, 0, -80, 250).cy).toBe(250);
  });

  it('clamps so the square always stays inside the image', () => {
    const c = coverCrop(1000, 500);
    const far = panCrop(c, -100000, 0, 250);
    expect(cropRect(far)).toEqual({ sx: 500, sy: 0, size: 500 });
    const back = panCrop(c, 100000, 100000, 250);
    expect(cropRect(back)).toEqual({ sx: 0, sy: 0, size: 500 });
    for (const dx of [-300, -7, 0, 13, 999]) inside(panCrop(zoomCrop(c, 2.5), dx, -dx, 250));
  });

  it('zooms around the centre, within 1…MAX_ZOOM, and re-clamps near an edge', () => {
    const c = coverCrop(800, 800);
    const z = zoomCrop(c, 2);
    expect(cropRect(z)).toEqual({ sx: 200, sy: 200, size: 400 });
    expect(zoomCrop(c, 100).zoom).toBe(MAX_ZOOM);
    expect(zoomCrop(c, 0.2).zoom).toBe(1);
    expect(zoomCrop(c, Number.NaN).zoom).toBe(1);
    // Zoomed in at the top-left corner, then zoomed out: the centre is pushed back inside.
    const corner = panCrop(zoomCrop(c, 4), 10000, 10000, 200);
    expect(cropRect(corner)).toEqual({ sx: 0, sy: 0, size: 200 });
    const out = zoomCrop(corner, 1);
    expect(cropRect(out)).toEqual({ sx: 0, sy: 0, size: 800 });
    inside(out);
  });

  it('places the image so the crop fills the view', () => {
    const c = zoomCrop(coverCrop(400, 300), 1.5); // side 200, centred at (200, 150)
    const v = viewTransform(c, 100);
    expect(v.scale).toBeCloseTo(0.5);
    expect(v.x).toBeCloseTo(-50);
    expect(v.y).toBeCloseTo(-25);
    expect(v.width).toBeCloseTo(200);
    expect(v.height).toBeCloseTo(150);
  });

  it('keyboard: arrows move like a drag, +/- zoom, other keys do nothing', () => {
    const c = coverCrop(1000, 500);
    expect(keyCrop(c, 'ArrowLeft', 250)!.cx).toBe(500 + 10 * 2);
    expect(keyCrop(c, 'ArrowRight', 250)!.cx).toBe(500 - 10 * 2);
    expect(keyCrop(c, 'ArrowLeft', 250, true)!.cx).toBe(500 + 50 * 2);
    expect(keyCrop(c, '+', 250)!.zoom).toBeCloseTo(1.1);
    expect(keyCrop(zoomCrop(c, 2), '-', 250)!.zoom).toBeCloseTo(1.9);
    expect(keyCrop(c, 'a', 250)).toBeNull();
    expect(cropSide(keyCrop(c, '=', 250)!)).toBeCloseTo(500 / 1.1);
  });

  it('clampCrop keeps an already valid crop as it is, and recentres a lost one', () => {
    const c = { w: 640, h: 480, cx: 300, cy: 200, zoom: 2 };
    expect(clampCrop(c)).toEqual(c);
    expect(clampCrop({ ...c, cx: Number.NaN, cy: Number.POSITIVE_INFINITY })).toMatchObject({ cx: 320, cy: 240 });
    expect(panCrop(c, Number.NaN, 0, 240).cx).toBe(320);
  });
});

describe('avatar encoding', () => {
  const blobOf = (n: number) => new Blob([new Uint8Array(n)]);

  it('lowers the quality until the JPEG is at most 60 KiB', async () => {
    const tried: number[] = [];
    const sizes: Record<string, number> = { '0.9': 90_000, '0.8': 70_000, '0.7': 61_441, '0.6': 61_440 };
    const r = await encodeUnder(async (q) => {
      tried.push(q);
      return blobOf(sizes[String(q)] ?? 1000);
    });
    expect(tried).toEqual([0.9, 0.8, 0.7, 0.6]);
    expect(r.quality).toBe(0.6);
    expect(r.blob.size).toBe(AVATAR_MAX_BYTES);
  });

  it('stops at the first quality that fits', async () => {
    const tried: number[] = [];
    await encodeUnder(async (q) => (tried.push(q), blobOf(10)));
    expect(tried).toEqual([0.9]);
  });

  it('gives up with the last size when even the lowest quality is too big', async () => {
    await expect(encodeUnder(async () => blobOf(AVATAR_MAX_BYTES + 1), AVATAR_MAX_BYTES, [0.5, 0.2])).rejects.toBeInstanceOf(
      AvatarTooBig,
    );
  });

  it('base64 of bytes, also beyond one chunk', () => {
    expect(bytesToBase64(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('/9j/');
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const back = Uint8Array.from(atob(bytesToBase64(big)), (ch) => ch.charCodeAt(0));
    expect(back).toEqual(big);
  });

  it('shows only the image types the core allows', () => {
    expect(avatarUrl({ mime: 'image/jpeg', data: 'AAAA' })).toBe('data:image/jpeg;base64,AAAA');
    expect(avatarUrl({ mime: 'image/PNG', data: 'AAAA' })).toBe('data:image/png;base64,AAAA');
    expect(avatarUrl({ mime: 'text/html', data: 'AAAA' })).toBeNull();
    expect(avatarUrl({ mime: 'image/jpeg', data: '' })).toBeNull();
    expect(avatarUrl(null)).toBeNull();
  });
});
