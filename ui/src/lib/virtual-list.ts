// The math of the windowed card list (Cards.svelte): which rows are in the DOM for a scroll
// position, which pages of rows to ask the core for, and where to scroll to bring a row into
// view. Plain functions, so they are tested without a layout engine (jsdom has none).
//
// Every row has the same height (CSS fixes it; the component measures one rendered row), so
// row i sits at listTop + i × rowHeight inside the scroll container.

export interface WindowInput {
  /** The scroll container's scrollTop. */
  scrollTop: number;
  /** The scroll container's visible height (clientHeight); 0 when not laid out. */
  viewport: number;
  /** The list's top inside the scroll container's content (px from the content's top). */
  listTop: number;
  /** Height of one row in px. */
  rowHeight: number;
  /** Rows in the list. */
  count: number;
  /** Extra rows kept in the DOM beyond each edge of the view. */
  overscan: number;
  /** Rows to render when the view has no height yet (not laid out). */
  fallbackRows?: number;
}

/** Rows `start` (inclusive) to `end` (exclusive) are rendered; `before`/`after` are the px
 *  of space standing in for the rows above and below them. */
export interface WindowRange {
  start: number;
  end: number;
  before: number;
  after: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

export function visibleRange(w: WindowInput): WindowRange {
  const count = Math.max(0, Math.floor(w.count));
  if (count === 0) return { start: 0, end: 0, before: 0, after: 0 };
  const rh = w.rowHeight > 0 ? w.rowHeight : 1;
  const overscan = Math.max(0, Math.floor(w.overscan));
  let start: number;
  let end: number;
  if (!(w.viewport > 0)) {
    // Not laid out (hidden, or a test without layout): the first rows, as a plain list would.
    start = 0;
    end = Math.min(count, Math.max(1, w.fallbackRows ?? 30));
  } else {
    const top = w.scrollTop - w.listTop;
    const bottom = top + w.viewport;
    const first = Math.floor(Math.max(0, top) / rh);
    const last = Math.ceil(Math.max(0, bottom) / rh);
    start = clamp(first - overscan, 0, count);
    end = clamp(last + overscan, start, count);
    // Scrolled past the end (the list shrank under the view): keep the last rows.
    if (start === count) {
      start = Math.max(0, count - 1 - overscan);
      end = count;
    }
  }
  return { start, end, before: start * rh, after: (count - end) * rh };
}

/** The page numbers (pages of `pageSize` rows) that hold rows `start..end`. */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start || pageSize <= 0) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const out: number[] = [];
  for (let p = first; p <= last; p++) out.push(p);
  return out;
}

/** The scrollTop that brings row `index` fully into view with as little movement as possible,
 *  or null when it is already in view. `coveredTop` px at the top of the view are hidden by
 *  sticky headers. */
export function scrollTopFor(
  index: number,
  w: { scrollTop: number; viewport: number; listTop: number; rowHeight: number; coveredTop?: number },
): number | null {
  const covered = w.coveredTop ?? 0;
  const rowTop = w.listTop + index * w.rowHeight;
  const rowBottom = rowTop + w.rowHeight;
  const viewTop = w.scrollTop + covered;
  const viewBottom = w.scrollTop + w.viewport;
  if (rowTop >= viewTop && rowBottom <= viewBottom) return null;
  const to = rowTop < viewTop ? Math.max(0, rowTop - covered) : Math.max(0, rowBottom - w.viewport);
  return to === w.scrollTop ? null : to;
}

/** Where a list key moves the focus from row `index` of `count`; null for other keys.
 *  `pageRows` rows make one PageUp/PageDown. */
export function keyTarget(key: string, index: number, count: number, pageRows: number): number | null {
  if (count <= 0) return null;
  const step = Math.max(1, Math.floor(pageRows));
  let to: number;
  switch (key) {
    case 'ArrowDown':
      to = index + 1;
      break;
    case 'ArrowUp':
      to = index - 1;
      break;
    case 'PageDown':
      to = index + step;
      break;
    case 'PageUp':
      to = index - step;
      break;
    case 'Home':
      to = 0;
      break;
    case 'End':
      to = count - 1;
      break;
    default:
      return null;
  }
  return clamp(to, 0, count - 1);
}
