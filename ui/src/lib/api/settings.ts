import { call } from './ipc';

export type { AppInfo, Language, Settings, Theme } from '../generated/types';
import type { Settings } from '../generated/types';
export type Platform = 'desktop' | 'android' | 'ios';

export const getSettings = () => call('settings_get');
export const saveSettings = (settings: Settings) => call('settings_set', { settings });
export const appInfo = () => call('app_info');
