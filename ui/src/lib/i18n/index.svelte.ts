// i18n: the one catalogue's words (crates/livecard-i18n, generated into
// ../generated/messages.json with the field table's labels: zh and en for every key), a
// reactive current locale that follows navigator.language unless the user picked one in
// settings.
import messages from '../generated/messages.json';

export type Locale = 'zh' | 'en';
/** Every key of the catalogue. */
export type MessageKey = keyof typeof messages.en;

const en: Record<MessageKey, string> = messages.en;
const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, zh: messages.zh };

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
  const s = dictionaries[loc][key] ?? en[key] ?? key;
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
