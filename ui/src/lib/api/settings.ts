import { call } from './ipc';

export type Language = 'auto' | 'zh' | 'en';
export type Theme = 'auto' | 'light' | 'dark';

export interface Settings {
  server_url: string;
  language: Language;
  theme: Theme;
  /** The user finished or skipped onboarding. */
  onboarded: boolean;
}

export interface AppInfo {
  version: string;
  data_dir: string;
}

export const getSettings = () => call<Settings>('settings_get');
export const saveSettings = (settings: Settings) => call<Settings>('settings_set', { settings });
export const appInfo = () => call<AppInfo>('app_info');
