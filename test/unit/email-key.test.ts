import { describe, expect, it } from 'vitest';
import { emailKey } from '../../src/domain/email.ts';

describe('emailKey (how users are stored, looked up and throttled)', () => {
  it('makes one key of the spellings that name one address', () => {
    for (const spelling of ['kim@example.com', ' KIM@Example.COM ', 'KİM@example.com', 'kİm@example.com', 'ｋｉｍ@ｅｘａｍｐｌｅ.com', 'ki\u00ADm@example.com', 'k\u200Bim@example.com']) {
      expect(emailKey(spelling), spelling).toBe('kim@example.com');
    }
    expect(emailKey('José@example.com')).toBe('jose@example.com');
    expect(emailKey('\u212Aim@example.com')).toBe('kim@example.com'); // the Kelvin sign
  });

  it('keeps different addresses apart, and is its own key', () => {
    expect(emailKey('kim@example.com')).not.toBe(emailKey('kin@example.com'));
    expect(emailKey('kim@example.com')).not.toBe(emailKey('kim@example.org'));
    for (const s of ['KİM@x.com', 'ℌi@x.com', 'ǅ@x.com', 'ẞ@x.com', 'ﬀ@x.com', 'Ωmega@x.com']) expect(emailKey(emailKey(s)), s).toBe(emailKey(s));
  });
});
