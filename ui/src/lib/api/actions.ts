// Actions on a received card's values (patent [0017]), built in Rust by livecard-actions:
// call, SMS, copy, email, open QQ/Weibo/WeChat/DingTalk/Aliwangwang, map, website. Opening
// goes through the opener plugin (scoped to livecard_actions::SCHEMES); when it fails, the
// fallbacks (store page on phones, web page on desktop) come from Rust too.
import { openUrl } from '@tauri-apps/plugin-opener';
import { call } from './ipc';

export type ActionKind = 'call' | 'sms' | 'copy' | 'email' | 'open_app' | 'open_web' | 'map';

export interface Action {
  kind: ActionKind;
  /** i18n key, e.g. "action.call" (the UI's dictionaries carry them). */
  label_key: string;
  url: string | null;
  copy_text: string | null;
  fallback: unknown;
  primary: boolean;
}

export interface FieldActions {
  field: string;
  index: number;
  value: string;
  label_key: string;
  /** The temporary number while valid: shown first, dialled by default. */
  primary: boolean;
  valid_until?: string;
  refused?: string;
  actions: Action[];
}

export interface FallbackOffer {
  kind: 'store' | 'web';
  label_key: string;
  url: string;
}

export const cardActions = (id: string) => call<FieldActions[]>('card_actions', { id });
export const actionFallbacks = (action: Action, appMissing: boolean) =>
  call<FallbackOffer[]>('action_fallbacks', { action, appMissing });

export async function copyText(text: string): Promise<void> {
  await navigator.clipboard.writeText(text);
}

export const openLink = (url: string) => openUrl(url);

/** Run an action: copy first when it carries text, then open its URL. Returns the fallbacks
 *  to offer when opening failed (empty on success). */
export async function runAction(a: Action): Promise<FallbackOffer[]> {
  if (a.copy_text) {
    try {
      await copyText(a.copy_text);
    } catch {
      // Clipboard refused (no focus, no permission): opening still helps.
    }
  }
  if (!a.url) return [];
  try {
    await openUrl(a.url);
    return [];
  } catch {
    return actionFallbacks(a, true);
  }
}

/** Texts of the label keys above in a language ("zh" or "en"), from livecard-actions. */
export const actionLabels = (lang: string) => call<Record<string, string>>('action_labels', { lang });
