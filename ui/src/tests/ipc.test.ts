import { afterEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { ApiError } from '../lib/api/ipc';
import { saveMe } from '../lib/api/me';
import { searchCards } from '../lib/api/cards';
import { emptyCard } from '../lib/api/types';
import { latestOnly } from '../lib/latest';

afterEach(() => clearMocks());

describe('ipc errors', () => {
  it('turns {kind, message, fields} into an ApiError with per-field messages', async () => {
    mockIPC((cmd) => {
      if (cmd === 'me_save') {
        throw { kind: 'invalid_input', message: 'email: bad; qq: bad', fields: [
          { field: 'email', message: '"x" is not an email address' },
          { field: 'qq', message: 'not a QQ number' },
        ] };
      }
    });
    const err = await saveMe(emptyCard()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.kind).toBe('invalid_input');
    expect(e.fieldMessage('email')).toBe('"x" is not an email address');
    expect(e.fieldMessage('name')).toBeUndefined();
  });

  it('accepts the core error shape with a single field', async () => {
    mockIPC(() => {
      throw { kind: 'invalid_input', message: 'mobile: too short', field: 'mobile' };
    });
    const e = (await searchCards('x').catch((e: unknown) => e)) as ApiError;
    expect(e.fields).toEqual([{ field: 'mobile', message: 'mobile: too short' }]);
  });

  it('wraps a plain string rejection (unknown command) as kind internal', async () => {
    mockIPC(() => {
      throw 'command cards_search not found';
    });
    const e = (await searchCards('x').catch((e: unknown) => e)) as ApiError;
    expect(e.kind).toBe('internal');
    expect(e.message).toContain('not found');
  });

  it('passes arguments by the names the Rust commands take', async () => {
    const seen: unknown[] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return [];
    });
    await searchCards('zsf');
    expect(seen).toEqual([['cards_search', { query: 'zsf' }]]);
  });
});

describe('latestOnly', () => {
  it('marks an older answer that arrives late as stale', async () => {
    const resolvers: ((v: string) => void)[] = [];
    const f = latestOnly((_q: string) => new Promise<string>((r) => resolvers.push(r)));
    const first = f('z');
    const second = f('zsf');
    resolvers[1]('answer to zsf');
    resolvers[0]('answer to z');
    expect(await second).toEqual({ fresh: true, value: 'answer to zsf' });
    expect(await first).toEqual({ fresh: false, value: 'answer to z' });
  });
});
