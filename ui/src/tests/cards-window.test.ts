import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Cards from '../screens/Cards.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import type { CardSummary } from '../lib/api/types';

// The windowed card list (Cards.svelte) over 10,000 cards served by a fake `cards_window`, in a
// scroll box given a layout by hand (jsdom has none).

const N = 10_000;
const name = (i: number) => `Card ${String(i).padStart(5, '0')}`;
const card = (i: number): CardSummary => ({
  id: `id${i}`, name: name(i), company: i % 3 ? 'ACME' : '', title: '', source: 'vcf', live: false,
  status: 'active', changed: i === N - 1, added_at: '2026-11-25T00:00:00Z', updated_at: '2026-11-25T00:00:00Z', tags: [],
});
const ALL = Array.from({ length: N }, (_, i) => card(i));

type WindowArgs = { query: string; sort: string; offset: number; limit: number };

/** A scroll container with a layout: 640 px high, rows of 64 px (jsdom has no layout). */
function scrollBox() {
  const box = document.createElement('div');
  box.style.overflowY = 'auto';
  document.body.appendChild(box);
  let top = 0;
  Object.defineProperty(box, 'clientHeight', { configurable: true, get: () => 640 });
  Object.defineProperty(box, 'scrollTop', {
    configurable: true,
    get: () => top,
    set: (v: number) => {
      top = Math.max(0, v);
    },
  });
  box.getBoundingClientRect = () => new DOMRect(0, 0, 360, 640);
  const realRect = Element.prototype.getBoundingClientRect;
  // The list sits 150 px into the box's content; every row is 64 px high.
  Element.prototype.getBoundingClientRect = function (this: Element) {
    if (this instanceof HTMLUListElement && this.dataset.testid === 'card-list') return new DOMRect(0, 150 - top, 360, N * 64);
    if (this instanceof HTMLLIElement && this.classList.contains('slot')) return new DOMRect(0, 0, 360, 64);
    return realRect.call(this);
  };
  return {
    box,
    scrollTo(v: number) {
      top = v;
      box.dispatchEvent(new Event('scroll'));
    },
    restore() {
      Element.prototype.getBoundingClientRect = realRect;
      box.remove();
    },
  };
}

describe('the windowed card list', () => {
  let asked: WindowArgs[] = [];
  let layout: ReturnType<typeof scrollBox>;
  beforeEach(() => {
    setLocale('en');
    asked = [];
    mockIPC((cmd, args) => {
      if (cmd !== 'cards_window') return null;
      const a = args as WindowArgs;
      asked.push(a);
      const q = a.query.trim().toLowerCase();
      const list = q ? ALL.filter((c) => c.name.toLowerCase().includes(q)) : ALL;
      return { total: list.length, offset: Math.min(a.offset, list.length), rows: list.slice(a.offset, a.offset + a.limit) };
    });
    layout = scrollBox();
  });
  afterEach(() => {
    layout.restore();
    clearMocks();
  });

  const rows = () => screen.queryAllByTestId('card-row');

  it('keeps a screenful of 10,000 rows in the DOM and asks the core for pages, not all', async () => {
    render(Cards, { target: layout.box });
    await screen.findByText('Card 00000');
    expect(screen.getByTestId('card-count')).toHaveTextContent('10000 cards');
    // 640 px / 64 px = 10 rows in view, + 8 below: never 10,000.
    expect(rows().length).toBeLessThanOrEqual(20);
    expect(rows().length).toBeGreaterThanOrEqual(10);
    // The space of the rows not rendered keeps the scrollbar true.
    const list = screen.getByTestId('card-list');
    expect(parseFloat(list.style.paddingBottom)).toBeGreaterThan((N - 20) * 64 - 1);
    expect(Math.max(...asked.map((a) => a.limit))).toBeLessThanOrEqual(100);

    // Scroll to the very end: the last rows come in (their page asked for), the first go.
    layout.scrollTo(150 + N * 64 - 640);
    await screen.findByText('Card 09999');
    expect(screen.queryByText('Card 00000')).toBeNull();
    expect(rows().length).toBeLessThanOrEqual(20);
    expect(asked.some((a) => a.offset === 9_950 && a.limit === 50)).toBe(true);
    // The last row's badge shows, and its place is announced.
    const last = screen.getByText('Card 09999').closest('li')!;
    expect(last.getAttribute('aria-posinset')).toBe('10000');
    expect(last.getAttribute('aria-setsize')).toBe('10000');
    expect(last.querySelector('[data-testid="changed-badge"]')).not.toBeNull();
    expect(parseFloat(list.style.paddingBottom)).toBe(0);
  });

  it('a search sends one window per keystroke and starts at the top', async () => {
    render(Cards, { target: layout.box });
    await screen.findByText('Card 00000');
    layout.scrollTo(150 + 5_000 * 64);
    await screen.findByText('Card 05000');
    asked = [];
    await fireEvent.input(screen.getByLabelText('Search cards'), { target: { value: '0999' } });
    // "0999" matches Card 00999 and Card 09990..09999: 11 hits.
    await waitFor(() => expect(screen.getByTestId('card-results').dataset.query).toBe('0999'));
    expect(layout.box.scrollTop).toBe(0);
    expect(screen.getByTestId('card-count')).toHaveTextContent('11 cards');
    expect(screen.getByText('Card 00999')).toBeInTheDocument();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ query: '0999', offset: 0 });
  });

  it('End on a row brings the last card into view and focuses it; Home goes back', async () => {
    render(Cards, { target: layout.box });
    const first = await screen.findByText('Card 00000');
    const btn = first.closest('button')!;
    btn.focus();
    const focused = () => document.activeElement?.closest<HTMLElement>('li[data-index]')?.dataset.index;
    await fireEvent.keyDown(btn, { key: 'End' });
    await waitFor(() => expect(focused()).toBe('9999'));
    expect(document.activeElement?.textContent).toContain('Card 09999');
    expect(layout.box.scrollTop).toBeGreaterThan(N * 64 - 1000);
    await fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    await waitFor(() => expect(focused()).toBe('0'));
    expect(layout.box.scrollTop).toBeLessThanOrEqual(150);
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    await waitFor(() => expect(focused()).toBe('1'));
    await fireEvent.keyDown(document.activeElement!, { key: 'PageDown' });
    await waitFor(() => expect(Number(focused())).toBeGreaterThan(1));
  });
});
