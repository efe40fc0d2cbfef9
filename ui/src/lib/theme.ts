// Dark mode: follows prefers-color-scheme unless the user picked light or dark in settings.
import type { Theme } from './api/settings';

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement) {
  if (theme === 'auto') {
    root.removeAttribute('data-theme');
  } else {
    root.setAttribute('data-theme', theme);
  }
}
