import { describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../lib/generated/ipc';
import messages from '../lib/generated/messages.json';
import { ApiError } from '../lib/api/ipc';
import { describeError, errorText, fieldLabel } from '../lib/i18n/catalogue';

describe('the one catalogue (generated from Rust)', () => {
  it('has words for every error kind a command can answer, in zh and en', () => {
    for (const kind of ERROR_KINDS) {
      expect(errorText('en', kind), kind).toBeTruthy();
      expect(errorText('zh', kind), kind).toBeTruthy();
      expect(errorText('zh', kind)).not.toBe(errorText('en', kind));
    }
    expect(Object.keys(messages.zh).sort()).toEqual(Object.keys(messages.en).sort());
  });

  it('renders an error kind at display time in the chosen language', () => {
    const locked = new ApiError('locked', 'locked: enter the PIN / 已锁定');
    expect(describeError('zh', locked)).toBe(messages.zh['error.locked']);
    expect(describeError('en', locked)).toBe(messages.en['error.locked']);
    // Kinds that carry details keep them after the words.
    const bad = new ApiError('invalid_input', 'email: "x" is not an email address');
    expect(describeError('en', bad)).toBe(`${messages.en['error.invalid_input']} ${bad.message}`);
    // UI-side kinds without a row keep their message.
    expect(describeError('en', new ApiError('scan', 'camera busy'))).toBe('camera busy');
  });

  it('labels fields from the field table', () => {
    expect(fieldLabel('zh', 'mobile')).toBe('手机');
    expect(fieldLabel('en', 'mobile')).toBe('Mobile');
    expect(fieldLabel('en', 'shoe_size')).toBe('shoe_size');
  });
});
