// i18n: two dictionaries, a reactive current locale that follows navigator.language unless
// the user picked one in settings.
import { en, type MessageKey } from './en';
import { zh } from './zh';
import { FIELDS } from '../generated/fields';

/** `field.KEY` of a field the dictionaries do not name: its label from the field table. */
function tableLabel(loc: Locale, key: string): string | undefined {
  const row = FIELDS.find((f) => `field.${f.key}` === key);
  return row ? (loc === 'zh' ? row.label_zh : row.label_en) : undefined;
}

export type Locale = 'zh' | 'en';
export type { MessageKey };

const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, zh };

/** The locale for a browser language tag: Chinese of any region → zh, anything else → en. */
export function localeFor(tag: string | undefined | null): Locale {
  return tag && tag.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function systemLocale(): Locale {
  const langs = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
  return localeFor(langs.find(Boolean));
}

const state = $state<{ locale: Locale }>({ locale: systemLocale() });

export function setLocale(choice: 'auto' | Locale) {
  state.locale = choice === 'auto' ? systemLocale() : choice;
  if (typeof document !== 'undefined') {
    document.documentElement.lang = state.locale === 'zh' ? 'zh-CN' : 'en';
  }
}

export function locale(): Locale {
  return state.locale;
}

/** Translate `key`, filling `{name}` placeholders from `params`. */
export function format(loc: Locale, key: MessageKey, params?: Record<string, string | number>): string {
  const s = dictionaries[loc][key] ?? en[key] ?? tableLabel(loc, key) ?? key;
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}

/** Translate in the current locale; reactive inside components. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return format(state.locale, key, params);
}

export const dictionariesForTest = dictionaries;
