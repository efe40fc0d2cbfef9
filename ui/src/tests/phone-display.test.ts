// Phone numbers are shown as the core formats them for the user's region (the records'
// `display`, issue 14 item 1): the card detail, the field list of my card and the editor show
// "138 0013 8000" for a stored +8613800138000; the UI formats nothing itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import CardDetail from '../screens/CardDetail.svelte';
import FieldList from '../components/FieldList.svelte';
import { session } from '../lib/session.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { emptyCard, type Card } from '../lib/api/types';
import { cardToForm, formToCard } from '../lib/editor-model';
import { shownLookup, shownValue, storedValue } from '../lib/phone-display';

const card: Card = {
  ...emptyCard(),
  name: '李四',
  mobile: ['+8613800138000', '+16502530000'],
  phone: ['front desk'],
  temp_number: '+8613700137000',
  temp_until: '2099-12-31T10:00:00Z',
};
const display = {
  mobile: ['138 0013 8000', '+1 650-253-0000'],
  phone: ['front desk'],
  temp_number: ['137 0013 7000'],
};

const action = (kind: string, url: string | null, copy: string | null = null) => ({
  kind, label_key: `action.${kind}`, url, copy_text: copy, fallback: null, primary: kind === 'call',
});
const number = (field: string, index: number, value: string, primary = false) => ({
  field, index, value, label_key: `field.${field}`, primary,
  ...(primary ? { valid_until: '2099-12-31T10:00:00Z' } : {}),
  actions: [action('call', `tel:${value}`), action('copy', null, value)],
});

beforeEach(() => {
  setLocale('en');
  session.settings = { server_url: '', language: 'en', theme: 'auto', onboarded: true, gestures: false, gestures_swapped: false };
  session.me = null;
});
afterEach(() => clearMocks());

describe('card detail', () => {
  it('shows a CN mobile as 138 0013 8000 and acts on the stored number', async () => {
    const received = {
      id: 'r1', name: '李四', source: 'vcf', live: false, status: 'active', remote_id: null,
      remote_version: null, added_at: '2026-11-25T00:00:00Z', updated_at: '2026-11-25T00:00:00Z',
      last_seen_at: null, synced_at: null, changed: false, notes: '', tags: [], card, display,
    };
    const view = { card: received, changes: [], partial: false, synced_at: null, refresh: null };
    mockIPC((cmd) => {
      if (cmd === 'card_view' || cmd === 'card_refresh') return view;
      if (cmd === 'card_actions') {
        return [
          number('temp_number', 0, '+8613700137000', true),
          number('mobile', 0, '+8613800138000'),
          number('mobile', 1, '+16502530000'),
          { ...number('phone', 0, 'front desk'), refused: 'refused.invalid_number', actions: [action('copy', null, 'front desk')] },
        ];
      }
      if (cmd === 'action_labels') return { 'action.call': 'Call', 'action.copy': 'Copy' };
      return null;
    });
    render(CardDetail, { id: 'r1' });
    expect(await screen.findByTestId('value-mobile-0')).toHaveTextContent(/^138 0013 8000$/);
    expect(screen.getByTestId('value-mobile-1')).toHaveTextContent(/^\+1 650-253-0000$/);
    expect(screen.getByTestId('value-phone-0')).toHaveTextContent(/^front desk$/);
    expect(screen.getByTestId('detail-temp-number').textContent).toBe('137 0013 7000');
    // The buttons name the number as shown; the URL is still the stored E.164.
    const call = screen.getByRole('button', { name: 'Call 138 0013 8000' });
    expect(call).toBeInTheDocument();
    expect(document.body.textContent).not.toContain('+8613800138000');
  });
});

describe('field list (my card, a received card before its actions arrive)', () => {
  it('shows the core’s formatted numbers and the stored value where there is none', () => {
    render(FieldList, { card, shown: { display } });
    const mobiles = [...document.querySelectorAll('[data-field="mobile"] .value')].map((e) => e.textContent);
    expect(mobiles).toEqual(['138 0013 8000', '+1 650-253-0000']);
  });

  it('without a display map shows what is stored', () => {
    render(FieldList, { card });
    const mobiles = [...document.querySelectorAll('[data-field="mobile"] .value')].map((e) => e.textContent);
    expect(mobiles).toEqual(['+8613800138000', '+16502530000']);
  });
});

describe('editor', () => {
  const me = { id: 'm1', version: 3, default: true, created_at: '', updated_at: '', ...card, display };

  it('shows numbers as the core formats them and saves untouched ones unchanged', () => {
    const form = cardToForm(me);
    expect(form.multi.mobile).toEqual(['138 0013 8000', '+1 650-253-0000']);
    expect(form.single.temp_number).toBe('137 0013 7000');
    const saved = formToCard(form, me);
    expect(saved.mobile).toEqual(['+8613800138000', '+16502530000']);
    expect(saved.temp_number).toBe('+8613700137000');
    expect(saved.phone).toEqual(['front desk']);
  });

  it('sends a changed number to the core as typed', () => {
    const form = cardToForm(me);
    form.multi.mobile[1] = '139 0013 9000';
    form.single.temp_number = '';
    const saved = formToCard(form, me);
    expect(saved.mobile).toEqual(['+8613800138000', '139 0013 9000']);
    expect(saved.temp_number).toBe('');
  });
});

describe('helpers', () => {
  it('look the core’s strings up and fall back to the stored value', () => {
    expect(shownValue({ display }, 'mobile', 1, 'x')).toBe('+1 650-253-0000');
    expect(shownValue({ display }, 'mobile', 2, '+8613900139000')).toBe('+8613900139000');
    expect(shownValue(null, 'mobile', 0, '+8613800138000')).toBe('+8613800138000');
    expect(storedValue({ display }, 'mobile', card.mobile, '138 0013 8000')).toBe('+8613800138000');
    expect(storedValue({ display }, 'mobile', card.mobile, '138 0013 8001')).toBe('138 0013 8001');
    // By value: a number the record does not hold is shown as stored, never as another's text.
    const rec = { card, display };
    const of = shownLookup(rec);
    expect(of('mobile', '+16502530000')).toBe('+1 650-253-0000');
    expect(of('temp_number', '+8613700137000')).toBe('137 0013 7000');
    expect(of('mobile', '+8613900139000')).toBe('+8613900139000');
    expect(of('email', 'a@b.example')).toBe('a@b.example');
  });
});
