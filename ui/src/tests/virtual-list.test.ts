import { describe, expect, it } from 'vitest';
import { keyTarget, pagesFor, scrollTopFor, visibleRange } from '../lib/virtual-list';

describe('window math', () => {
  const base = { scrollTop: 0, viewport: 640, listTop: 100, rowHeight: 64, count: 10_000, overscan: 8 };

  it('renders the rows in view plus overscan, and stands in for the rest with space', () => {
    // At the top: the list starts 100 px down; 540 px of it show = rows 0..8 (9 rows).
    const r = visibleRange(base);
    expect(r).toEqual({ start: 0, end: 9 + 8, before: 0, after: (10_000 - 17) * 64 });
    // Scrolled so row 1000 is the first one in view.
    const r2 = visibleRange({ ...base, scrollTop: 100 + 1000 * 64 });
    expect(r2.start).toBe(1000 - 8);
    expect(r2.end).toBe(1000 + 10 + 8);
    expect(r2.before + (r2.end - r2.start) * 64 + r2.after).toBe(10_000 * 64);
  });

  it('a row cut by the bottom edge is in view; one exactly below it is not', () => {
    const r = visibleRange({ ...base, listTop: 0, overscan: 0, viewport: 640 });
    expect([r.start, r.end]).toEqual([0, 10]);
    const cut = visibleRange({ ...base, listTop: 0, overscan: 0, viewport: 641 });
    expect(cut.end).toBe(11);
  });

  it('keeps the end in bounds at the bottom and past it', () => {
    const bottom = visibleRange({ ...base, scrollTop: 100 + 10_000 * 64 - 640 });
    expect(bottom.end).toBe(10_000);
    expect(bottom.after).toBe(0);
    // The list shrank under the view (a search): still the last rows, never an empty window.
    const past = visibleRange({ ...base, count: 3, scrollTop: 50_000 });
    expect(past.start).toBe(0);
    expect(past.end).toBe(3);
  });

  it('no rows, no layout, and odd input', () => {
    expect(visibleRange({ ...base, count: 0 })).toEqual({ start: 0, end: 0, before: 0, after: 0 });
    expect(visibleRange({ ...base, viewport: 0, fallbackRows: 30 })).toMatchObject({ start: 0, end: 30 });
    expect(visibleRange({ ...base, count: 5, viewport: 0, fallbackRows: 30 })).toMatchObject({ start: 0, end: 5, after: 0 });
    const neg = visibleRange({ ...base, scrollTop: -500, overscan: -3 });
    expect(neg.start).toBe(0);
    expect(neg.end).toBeGreaterThan(0);
    const zeroRow = visibleRange({ ...base, rowHeight: 0, count: 20 });
    expect(zeroRow.end).toBeLessThanOrEqual(20);
  });

  it('pages cover the window exactly', () => {
    expect(pagesFor(0, 17, 50)).toEqual([0]);
    expect(pagesFor(45, 60, 50)).toEqual([0, 1]);
    expect(pagesFor(9_983, 10_000, 50)).toEqual([199]);
    expect(pagesFor(10, 10, 50)).toEqual([]);
    expect(pagesFor(0, 10, 0)).toEqual([]);
  });

  it('scrolls a row into view below the sticky tools, or not at all', () => {
    const w = { scrollTop: 0, viewport: 640, listTop: 100, rowHeight: 64, coveredTop: 120 };
    expect(scrollTopFor(0, w)).toBeNull();
    // Row 20 is below: bring its bottom to the bottom edge.
    expect(scrollTopFor(20, w)).toBe(100 + 21 * 64 - 640);
    // Row 5 when scrolled far down: its top just under the covered band.
    expect(scrollTopFor(5, { ...w, scrollTop: 5000 })).toBe(100 + 5 * 64 - 120);
    expect(scrollTopFor(0, { ...w, scrollTop: 5000, listTop: 0 })).toBe(0);
  });

  it('list keys move by one, by a page, and to either end, within bounds', () => {
    expect(keyTarget('ArrowDown', 3, 10, 5)).toBe(4);
    expect(keyTarget('ArrowDown', 9, 10, 5)).toBe(9);
    expect(keyTarget('ArrowUp', 0, 10, 5)).toBe(0);
    expect(keyTarget('PageDown', 3, 10, 5)).toBe(8);
    expect(keyTarget('PageUp', 3, 10, 5)).toBe(0);
    expect(keyTarget('Home', 7, 10, 5)).toBe(0);
    expect(keyTarget('End', 0, 10_000, 5)).toBe(9_999);
    expect(keyTarget('a', 0, 10, 5)).toBeNull();
    expect(keyTarget('End', 0, 0, 5)).toBeNull();
  });
});
