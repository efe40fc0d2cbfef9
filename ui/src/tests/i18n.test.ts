import { describe, expect, it } from 'vitest';
import messages from '../lib/generated/messages.json';
import { format, localeFor } from '../lib/i18n/index.svelte';

const en: Record<string, string> = messages.en;
const zh: Record<string, string> = messages.zh;

describe('dictionaries', () => {
  it('have the same keys and no empty strings', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of [...Object.entries(en), ...Object.entries(zh)]) {
      expect(v.trim(), k).not.toBe('');
    }
  });

  it('use the same placeholders in both languages', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(en)) {
      // The CLI's Chinese (cli.*, refusal.*) is a short gloss after its English line: it may
      // name fewer placeholders, never others.
      if (k.startsWith('cli.') || k.startsWith('refusal.')) {
        expect(names(zh[k]).filter((n) => !names(en[k]).includes(n)), k).toEqual([]);
        continue;
      }
      expect(names(zh[k]), k).toEqual(names(en[k]));
    }
  });

  it('zh is really Chinese where en has letters', () => {
    // Catch copy-paste: a zh entry identical to a long English one was not translated.
    const untranslated = Object.keys(en).filter(
      (k) => en[k].length > 12 && zh[k] === en[k],
    );
    expect(untranslated).toEqual([]);
  });
});

describe('locale', () => {
  it('follows the browser language', () => {
    expect(localeFor('zh-CN')).toBe('zh');
    expect(localeFor('zh-Hant-TW')).toBe('zh');
    expect(localeFor('en-US')).toBe('en');
    expect(localeFor('fr')).toBe('en');
    expect(localeFor(undefined)).toBe('en');
  });

  it('fills placeholders', () => {
    expect(format('en', 'add.result.added', { name: '张三丰' })).toBe('Added 张三丰');
    expect(format('zh', 'add.result.added', { name: '张三丰' })).toBe('已添加 张三丰');
    expect(format('en', 'cards.count', { count: 3 })).toBe('3 cards');
    // Field labels are the field table's, rows of the same catalogue.
    expect(format('zh', 'field.mobile')).toBe('手机');
    expect(format('en', 'field.wecom')).toBe('WeCom');
  });
});
