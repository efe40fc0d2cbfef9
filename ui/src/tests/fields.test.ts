// The app reads the field table (src/lib/generated/fields.ts, generated from
// crates/livecard-format/src/fields.rs): the editor, the field list and the labels list every
// field of the table without a hand-written list.
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import { FIELDS } from '../lib/generated/fields';
import { MULTI, SECTIONS, SINGLE, cardToForm, formToCard } from '../lib/editor-model';
import { emptyCard, type Card } from '../lib/api/types';
import { format } from '../lib/i18n/index.svelte';
import FieldList from '../components/FieldList.svelte';

const handles = FIELDS.filter((f) => f.kind === 'handle').map((f) => f.key);

describe('field table in the app', () => {
  it('the editor offers every field of the table but family, given and avatar', () => {
    const shown = SECTIONS.flatMap((s) => s.fields as string[]);
    for (const f of FIELDS) {
      if (['family', 'given', 'avatar'].includes(f.key)) continue;
      expect(shown, f.key).toContain(f.key);
      expect([...SINGLE, ...MULTI] as string[], f.key).toContain(f.key);
    }
  });

  it('every handle round-trips through the form and shows in the field list with its label', () => {
    const card: Card = { ...emptyCard(), name: '张三' };
    for (const k of handles) (card as unknown as Record<string, unknown>)[k] = `${k}_id1`;
    const back = formToCard(cardToForm(card), card);
    for (const k of handles) expect((back as unknown as Record<string, unknown>)[k], k).toBe(`${k}_id1`);

    const { container } = render(FieldList, { card });
    for (const f of FIELDS.filter((f) => f.kind === 'handle')) {
      const row = container.querySelector(`[data-field="${f.key}"]`);
      expect(row, f.key).not.toBeNull();
      expect(row!.textContent).toContain(`${f.key}_id1`);
      expect(format('zh', `field.${f.key}` as never)).not.toBe(`field.${f.key}`);
      expect(format('en', `field.${f.key}` as never)).not.toBe(`field.${f.key}`);
    }
  });
});
