import { describe, expect, it } from 'vitest';
import { phoneInput, toSenderNumber } from '../../src/domain/phone.ts';
import { thrown } from '../helpers/errors.ts';

/** The one reading of a phone number given to smsdesk (API, console, sandbox, settings): E.164 or a 400. */
describe('phoneInput', () => {
  it.each([
    ['+14155550123', '+14155550123'],
    ['+1 (415) 555-0123', '+14155550123'],
    ['+1.415.555.0123', '+14155550123'],
    ['  +44 20 7946 0958 ', '+442079460958'],
    [' 14155550123', '+14155550123'], // a query string's unencoded "+"
  ])('customer %j → %s', (raw, want) => {
    expect(phoneInput(raw, 'phone')).toBe(want);
  });

  it.each(['', '   ', '(415) 555-0123', '555-0123', '12345', 'ACME', 'whatsapp:+14155550123', '+1415555012', 'call +14155550123'])(
    'customer %j → 400 invalid_phone naming the field',
    (raw) => {
      const err = thrown(() => phoneInput(raw, 'to'));
      expect([err.kind, err.code]).toEqual(['invalid', 'invalid_phone']);
      expect(err.message).toBe(`to "${raw}" is not a phone number; use E.164, e.g. +14155550100 (in a URL, encode + as %2B).`);
    },
  );

  it.each([
    ['+1 (415) 555-0199', '+14155550199'],
    ['12345', '12345'],
    [' 123456 ', '123456'],
  ])('sender %j → %s (short codes too)', (raw, want) => {
    expect(phoneInput(raw, 'from', { sender: true })).toBe(want);
    expect(toSenderNumber(raw)).toBe(want);
  });

  it.each(['1234', '1234567', 'ACME', ''])('sender %j → 400 invalid_phone', (raw) => {
    const err = thrown(() => phoneInput(raw, 'number', { sender: true }));
    expect(err.code).toBe('invalid_phone');
    expect(err.message).toMatch(/^number ".*" is not a phone number or short code/);
  });
});
