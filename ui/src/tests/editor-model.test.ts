import { describe, expect, it } from 'vitest';
import { cardToForm, formToCard, errorsByField, fromLocalInput, toLocalInput } from '../lib/editor-model';
import { emptyCard, type Card } from '../lib/api/types';

const structured = {
  po_box: '', extended: '', street: '1 Main St', locality: 'Springfield', region: 'IL',
  postal_code: '62701', country: 'USA',
};

describe('editor model', () => {
  it('gives every multi-valued field one empty input on a new card', () => {
    const f = cardToForm(null);
    expect(f.multi.mobile).toEqual(['']);
    expect(f.single.name).toBe('');
  });

  it('round-trips a card and drops empty inputs', () => {
    const card: Card = { ...emptyCard(), name: '张三丰', mobile: ['+8613800138000'], email: ['z@wudang.example'] };
    const f = cardToForm(card);
    f.multi.mobile.push('  ');
    f.multi.mobile.push('13900139000');
    const out = formToCard(f, card);
    expect(out.name).toBe('张三丰');
    expect(out.mobile).toEqual(['+8613800138000', '13900139000']);
    expect(out.email).toEqual(['z@wudang.example']);
  });

  it('keeps untouched structured addresses and turns edited ones into a street line', () => {
    const card: Card = { ...emptyCard(), name: 'John', address: [structured] };
    const f = cardToForm(card);
    expect(f.multi.address[0]).toBe('1 Main St, Springfield, IL, 62701, USA');
    expect(formToCard(f, card).address[0]).toEqual(structured);
    f.multi.address[0] = '北京市海淀区中关村';
    expect(formToCard(f, card).address[0].street).toBe('北京市海淀区中关村');
    expect(formToCard(f, card).address[0].locality).toBe('');
  });

  it('clears family/given when the name changes so the core splits it again', () => {
    const card: Card = { ...emptyCard(), name: '张三', family: '张', given: '三' };
    const f = cardToForm(card);
    f.single.name = '李四';
    const out = formToCard(f, card);
    expect(out.family).toBe('');
    expect(formToCard(cardToForm(card), card).family).toBe('张');
  });

  it('converts the expiry between the device time zone and RFC 3339', () => {
    const iso = '2026-11-25T10:00:00Z';
    const local = toLocalInput(iso);
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(fromLocalInput(local)).toBe(iso);
    expect(fromLocalInput('')).toBe('');
    expect(toLocalInput('garbage')).toBe('');
  });

  it('groups core field errors per field', () => {
    expect(
      errorsByField([
        { field: 'email', message: 'a' },
        { field: 'qq', message: 'b' },
        { field: 'email', message: 'c' },
      ]),
    ).toEqual({ email: 'a; c', qq: 'b' });
  });
});
