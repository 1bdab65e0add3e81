import type { CountryCode } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { formatPhone, senderKey, toE164 } from '../../src/domain/phone.ts';

describe('toE164', () => {
  const cases: { name: string; raw: string; country?: CountryCode; want: string | null }[] = [
    { name: 'E.164 stays as is', raw: '+14155550100', want: '+14155550100' },
    { name: 'E.164 with spaces and punctuation', raw: '+1 (415) 555-0100', want: '+14155550100' },
    { name: 'surrounding whitespace is trimmed', raw: '  +44 20 7946 0958 ', want: '+442079460958' },
    { name: 'UK E.164', raw: '+442079460958', want: '+442079460958' },
    { name: 'E.164 wins over the default country', raw: '+442079460958', country: 'US', want: '+442079460958' },
    { name: 'US national with default country', raw: '(415) 555-0100', country: 'US', want: '+14155550100' },
    { name: 'US national digits with default country', raw: '4155550100', country: 'US', want: '+14155550100' },
    { name: 'UK national (trunk 0) with default country', raw: '020 7946 0958', country: 'GB', want: '+442079460958' },
    { name: 'German national with default country', raw: '030 123456', country: 'DE', want: '+4930123456' },
    { name: 'national without a default country', raw: '(415) 555-0100', want: null },
    { name: 'empty', raw: '', want: null },
    { name: 'whitespace only', raw: '   ', want: null },
    { name: 'garbage', raw: 'garbage', want: null },
    { name: 'garbage with a default country', raw: 'not a number', country: 'US', want: null },
    { name: 'short code', raw: '12345', want: null },
    { name: 'short code with a default country', raw: '12345', country: 'US', want: null },
    { name: 'alphanumeric sender id', raw: 'ACME', want: null },
    { name: 'too short to be possible', raw: '+1415555010', want: null },
    { name: 'too long to be possible', raw: '+1415555010000', want: null },
    // The whole input must be the number: text around a number is not a number.
    { name: 'number inside a sentence', raw: 'call +14155550100 now', want: null },
    { name: 'whatsapp: address', raw: 'whatsapp:+14155550100', want: null },
  ];
  it.each(cases)('$name: $raw → $want', ({ raw, country, want }) => {
    expect(toE164(raw, country)).toBe(want);
  });
});

describe('senderKey', () => {
  it.each([
    ['+14155550100', '+14155550100'],
    ['+1 415 555 0100', '+14155550100'],
    [' +14155550100 ', '+14155550100'],
    // Not E.164: the raw sender, trimmed, so the text still lands on a contact.
    ['12345', '12345'],
    [' 12345 ', '12345'],
    ['ACME', 'ACME'],
    ['MyBank', 'MyBank'],
    ['whatsapp:+14155550100', 'whatsapp:+14155550100'],
  ])('%j → %j', (raw, want) => {
    expect(senderKey(raw)).toBe(want);
  });
});

describe('formatPhone', () => {
  it.each([
    ['+14155550100', '+1 415 555 0100'],
    ['+442079460958', '+44 20 7946 0958'],
    ['+33612345678', '+33 6 12 34 56 78'],
    // Not a parseable number: the input comes back unchanged.
    ['12345', '12345'],
    ['ACME', 'ACME'],
    ['', ''],
  ])('%j → %j', (e164, want) => {
    expect(formatPhone(e164)).toBe(want);
  });
});
