// Actions on a received card's values (patent [0017]), built in Rust by livecard-actions:
// call, SMS, copy, email, open QQ/Weibo/WeChat/DingTalk/Aliwangwang, map, website. Opening
// goes through the opener plugin (scoped to livecard_actions::SCHEMES); when it fails, the
// fallbacks (store page on phones, web page on desktop) come from Rust too.
import { openUrl } from '@tauri-apps/plugin-opener';
import { call } from './ipc';

import type { Action, FallbackOffer } from '../generated/types';

export type { Action, ActionKind, FallbackOffer, FieldActions } from '../generated/types';

export const cardActions = (id: string) => call('card_actions', { id });
export const actionFallbacks = (action: Action, appMissing: boolean) =>
  call('action_fallbacks', { action, appMissing });

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
export const actionLabels = (lang: string) => call('action_labels', { lang });
