// Actions on a card's values (patent [0017]): call, SMS, email, open a website. App schemes
// (QQ, Weibo, …) and the "not installed" fallback come with the actions work; the opener
// capability already allows their schemes.
import { openUrl } from '@tauri-apps/plugin-opener';

export type ActionKind = 'call' | 'sms' | 'email' | 'open';
export interface Action {
  kind: ActionKind;
  url: string;
}

export function actionsFor(field: string, value: string): Action[] {
  const v = value.trim();
  if (!v) return [];
  const tel = v.replace(/[^\d+]/g, '');
  switch (field) {
    case 'mobile':
      return [
        { kind: 'call', url: `tel:${tel}` },
        { kind: 'sms', url: `sms:${tel}` },
      ];
    case 'phone':
      return [{ kind: 'call', url: `tel:${tel}` }];
    case 'email':
      return [{ kind: 'email', url: `mailto:${encodeURIComponent(v).replace('%40', '@')}` }];
    case 'website':
      return /^https?:\/\//i.test(v) ? [{ kind: 'open', url: v }] : [];
    default:
      return [];
  }
}

export const openAction = (a: Action) => openUrl(a.url);
