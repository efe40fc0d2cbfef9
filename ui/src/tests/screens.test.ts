import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Cards from '../screens/Cards.svelte';
import Editor from '../screens/Editor.svelte';
import SettingsScreen from '../screens/Settings.svelte';
import { session } from '../lib/session.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import type { CardSummary } from '../lib/api/types';

const row = (id: string, name: string, company = ''): CardSummary => ({
  id, name, company, title: '', source: 'vcf', live: false, status: 'active', changed: false,
  added_at: '2026-11-25T00:00:00Z', updated_at: '2026-11-25T00:00:00Z', tags: [],
});

beforeEach(() => {
  setLocale('en');
  session.settings = { server_url: '', language: 'en', theme: 'auto', onboarded: true, gestures: false, gestures_swapped: false };
  session.me = null;
});
afterEach(() => clearMocks());

type WindowArgs = { query: string; sort: string; offset: number; limit: number };
/** The core's cards_window over `all` (no query) or `search(query)`: rows offset..offset+limit. */
function windowOf(all: CardSummary[], search: (q: string) => CardSummary[] = () => []) {
  return (args: WindowArgs) => {
    const list = args.query.trim() ? search(args.query.trim()) : all;
    return { total: list.length, offset: Math.min(args.offset, list.length), rows: list.slice(args.offset, args.offset + args.limit) };
  };
}

describe('received list', () => {
  it('teaches how to add a card when there is none', async () => {
    mockIPC((cmd, args) => (cmd === 'cards_window' ? windowOf([])(args as WindowArgs) : null));
    render(Cards);
    expect(await screen.findByTestId('cards-empty')).toHaveTextContent('.vcf');
    expect(screen.queryByTestId('search')).toBeNull();
  });

  it('searches as you type and shows what the core found', async () => {
    const calls: string[] = [];
    const all = [row('1', '张三丰', '武当'), row('2', 'John Doe')];
    const win = windowOf(all, (q) => {
      calls.push(q);
      return q === 'zsf' ? [all[0]] : [];
    });
    mockIPC((cmd, args) => (cmd === 'cards_window' ? win(args as WindowArgs) : null));
    render(Cards);
    await screen.findByText('John Doe');
    const input = screen.getByLabelText('Search cards');
    await fireEvent.input(input, { target: { value: 'zsf' } });
    await waitFor(() => expect(screen.queryByText('John Doe')).toBeNull());
    expect(screen.getByText('张三丰')).toBeInTheDocument();
    expect(calls).toContain('zsf');
    await fireEvent.input(input, { target: { value: 'nobody' } });
    expect(await screen.findByTestId('no-match')).toHaveTextContent('nobody');
    // Clearing the query brings the whole list back (not the empty state).
    await fireEvent.input(input, { target: { value: '' } });
    expect(await screen.findByText('John Doe')).toBeInTheDocument();
    expect(screen.queryByTestId('cards-empty')).toBeNull();
  });

  it('asks the core for the chosen order', async () => {
    const sorts: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'cards_window') {
        sorts.push((args as WindowArgs).sort);
        return windowOf([row('1', 'Anna')])(args as WindowArgs);
      }
    });
    render(Cards);
    await screen.findByText('Anna');
    await fireEvent.change(screen.getByLabelText('Sort by'), { target: { value: 'company' } });
    await waitFor(() => expect(sorts).toEqual(['name', 'company']));
  });
});

describe('editor', () => {
  it('shows the core’s message under each refused field', async () => {
    mockIPC((cmd) => {
      if (cmd === 'me_save') {
        throw {
          kind: 'invalid_input',
          message: 'two problems',
          fields: [
            { field: 'email', message: '"x@" is not an email address' },
            { field: 'mobile', message: '"12" is not a valid phone number' },
          ],
        };
      }
      if (cmd === 'validate_field') return '';
    });
    render(Editor);
    await fireEvent.input(screen.getByTestId('field-name'), { target: { value: '张三丰' } });
    await fireEvent.input(screen.getByTestId('field-email-0'), { target: { value: 'x@' } });
    await fireEvent.click(screen.getByTestId('editor-save'));
    expect(await screen.findByTestId('error-email')).toHaveTextContent('not an email address');
    expect(screen.getByTestId('error-mobile')).toHaveTextContent('not a valid phone number');
    expect(screen.getByTestId('field-email-0')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('field-email-0')).toHaveAttribute('aria-describedby', 'err-email');
    expect(screen.getByRole('alert')).toHaveTextContent('Please fix the marked fields.');
  });

  it('refuses to save without a name before asking the core', async () => {
    let saved = false;
    mockIPC((cmd) => {
      if (cmd === 'me_save') saved = true;
    });
    render(Editor);
    await fireEvent.click(screen.getByTestId('editor-save'));
    expect(await screen.findByTestId('error-name')).toHaveTextContent('Please enter your name.');
    expect(saved).toBe(false);
  });

  it('validates a field when it loses focus', async () => {
    mockIPC((cmd, args) => {
      if (cmd === 'validate_field') {
        const a = args as { field: string; value: string };
        throw { kind: 'invalid_input', message: `qq: "${a.value}" is not a QQ number`, fields: [{ field: 'qq', message: `"${a.value}" is not a QQ number` }] };
      }
    });
    render(Editor);
    const qq = screen.getByTestId('field-qq');
    await fireEvent.input(qq, { target: { value: '12ab' } });
    await fireEvent.blur(qq);
    expect(await screen.findByTestId('error-qq')).toHaveTextContent('"12ab" is not a QQ number');
  });
});

describe('settings', () => {
  it('switching language changes the labels and is saved', async () => {
    let stored: unknown = null;
    mockIPC((cmd, args) => {
      if (cmd === 'settings_set') {
        stored = (args as { settings: unknown }).settings;
        return stored;
      }
      if (cmd === 'app_info') return { version: '0.1.0', data_dir: '/tmp/x' };
    });
    render(SettingsScreen);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Settings');
    await fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'zh' } });
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('设置'));
    expect(stored).toMatchObject({ language: 'zh' });
    expect(document.documentElement.lang).toBe('zh-CN');
  });

  it('shows the core’s refusal of a bad server URL', async () => {
    mockIPC((cmd) => {
      if (cmd === 'settings_set') throw { kind: 'invalid_input', message: 'server URL "ftp://x" must start with http:// or https://' };
      if (cmd === 'app_info') return { version: '0.1.0', data_dir: '/tmp/x' };
    });
    render(SettingsScreen);
    await fireEvent.input(screen.getByLabelText('Sync server'), { target: { value: 'ftp://x' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('must start with http');
  });
});
