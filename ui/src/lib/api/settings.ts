import { call } from './ipc';

export type Language = 'auto' | 'zh' | 'en';
export type Theme = 'auto' | 'light' | 'dark';

export interface Settings {
  server_url: string;
  language: Language;
  theme: Theme;
  /** The user finished or skipped onboarding. */
  onboarded: boolean;
  /** Lift-to-call / put-down-to-text on an open card (opt-in). */
  gestures: boolean;
  /** Swapped gestures: lift = SMS, put down = call. */
  gestures_swapped: boolean;
}

export type Platform = 'desktop' | 'android' | 'ios';

export interface AppInfo {
  version: string;
  data_dir: string;
  /** LIVECARD_DEV_HOOKS=1: test hooks are on (inject an accelerometer trace). */
  dev_hooks: boolean;
  platform: Platform;
  /** An NFC reader/writer is there (phone builds with the NFC plugin). */
  nfc: boolean;
  /** The camera QR scanner is there (phone builds with the barcode plugin). */
  scanner: boolean;
  /** Biometric unlock can be offered (phone builds with the biometric plugin). */
  biometric: boolean;
}

export const getSettings = () => call<Settings>('settings_get');
export const saveSettings = (settings: Settings) => call<Settings>('settings_set', { settings });
export const appInfo = () => call<AppInfo>('app_info');
