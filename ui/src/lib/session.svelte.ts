// App-wide state loaded at start: settings and the user's own card.
import { getSettings, saveSettings, type Settings } from './api/settings';
import { getMe } from './api/me';
import type { OwnCard } from './api/types';
import { setLocale } from './i18n/index.svelte';
import { applyTheme } from './theme';

const defaults: Settings = {
  server_url: '', language: 'auto', theme: 'auto', onboarded: false, gestures: false, gestures_swapped: false,
};

export const session = $state<{ settings: Settings; me: OwnCard | null; ready: boolean; loadError: string }>({
  settings: { ...defaults },
  me: null,
  ready: false,
  loadError: '',
});

export async function loadSession() {
  try {
    const [settings, me] = await Promise.all([getSettings(), getMe()]);
    session.settings = settings;
    session.me = me;
    setLocale(settings.language);
    applyTheme(settings.theme);
  } catch (e) {
    session.loadError = e instanceof Error ? e.message : String(e);
  } finally {
    session.ready = true;
  }
}

/** Save changed settings and apply language and theme at once. */
export async function updateSettings(patch: Partial<Settings>): Promise<Settings> {
  const next = await saveSettings({ ...session.settings, ...patch });
  session.settings = next;
  setLocale(next.language);
  applyTheme(next.theme);
  return next;
}

export async function refreshMe() {
  session.me = await getMe();
}
