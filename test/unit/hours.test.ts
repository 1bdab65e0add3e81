import { describe, expect, it } from 'vitest';
import { isOpen, nextOpening, parseBusinessHours, parseDailyWindow, quietUntil } from '../../src/domain/hours.ts';
import { parseSendAt } from '../../src/domain/schedule.ts';

const at = (iso: string) => new Date(iso);
const quiet = parseDailyWindow('21:00-08:00');

describe('quiet hours', () => {
  it.each([
    // London in winter is UTC+0; Los Angeles is UTC-8: the same instant is quiet for one and not the other.
    ['2026-12-03T22:30:00Z', 'Europe/London', '2026-12-04T08:00:00.000Z'],
    ['2026-12-03T22:30:00Z', 'America/Los_Angeles', null],
    ['2026-12-04T06:00:00Z', 'America/Los_Angeles', '2026-12-04T16:00:00.000Z'],
    ['2026-12-04T07:59:00Z', 'Europe/London', '2026-12-04T08:00:00.000Z'],
    ['2026-12-04T08:00:00Z', 'Europe/London', null],
    ['2026-12-04T20:59:00Z', 'Europe/London', null],
    ['2026-12-04T21:00:00Z', 'Europe/London', '2026-12-05T08:00:00.000Z'],
  ])('at %s in %s the text waits until %s', (now, zone, until) => {
    expect(quietUntil(at(now), zone, quiet)?.toISOString() ?? null).toBe(until);
  });

  it('ends a window at a local time that springs forward at the first moment after the gap', () => {
    // 2027-03-14, New York: 02:00 EST becomes 03:00 EDT, so 02:30 never happens that day.
    const w = parseDailyWindow('22:00-02:30');
    expect(quietUntil(at('2027-03-14T05:00:00Z'), 'America/New_York', w)?.toISOString()).toBe('2027-03-14T07:30:00.000Z'); // 03:30 EDT
    // The day before, 02:30 EST exists.
    expect(quietUntil(at('2027-03-13T05:00:00Z'), 'America/New_York', w)?.toISOString()).toBe('2027-03-13T07:30:00.000Z'); // 02:30 EST
  });

  it('keeps quiet hours in local time across the autumn change', () => {
    // 2026-11-01, New York falls back at 02:00 EDT → 01:00 EST; 08:00 that morning is 13:00Z, not 12:00Z.
    expect(quietUntil(at('2026-11-01T04:30:00Z'), 'America/New_York', quiet)?.toISOString()).toBe('2026-11-01T13:00:00.000Z');
  });

  it('refuses windows that are not HH:MM-HH:MM', () => {
    for (const bad of ['21-08', '25:00-08:00', '21:00', '08:00-08:00']) expect(() => parseDailyWindow(bad), bad).toThrow();
  });
});

describe('business hours', () => {
  const hours = parseBusinessHours('Mon-Fri 09:00-17:00; Sat 10:00-12:00', ['2026-12-25']);

  it.each([
    ['2026-12-03T14:00:00Z', true], // Thu 09:00 EST
    ['2026-12-03T13:59:00Z', false],
    ['2026-12-03T22:00:00Z', false], // 17:00 EST: closed
    ['2026-12-05T15:30:00Z', true], // Sat 10:30
    ['2026-12-06T15:30:00Z', false], // Sunday
    ['2026-12-25T15:30:00Z', false], // a holiday, Friday
  ])('open at %s in New York: %s', (now, open) => {
    expect(isOpen(at(now), 'America/New_York', hours)).toBe(open);
  });

  it.each([
    ['2026-12-03T20:00:00Z', '2026-12-04T14:00:00.000Z'], // Thu 15:00 → Fri 09:00
    ['2026-12-04T23:00:00Z', '2026-12-05T15:00:00.000Z'], // Fri evening → Sat 10:00
    ['2026-12-05T18:00:00Z', '2026-12-07T14:00:00.000Z'], // Sat 13:00 → Mon 09:00
    ['2026-12-24T23:00:00Z', '2026-12-26T15:00:00.000Z'], // Christmas Eve → past the holiday, Sat 10:00
    ['2026-12-03T12:00:00Z', '2026-12-03T14:00:00.000Z'], // Thu 07:00 → the same morning
  ])('the next business morning after %s is %s', (now, next) => {
    expect(nextOpening(at(now), 'America/New_York', hours)?.toISOString()).toBe(next);
  });

  it('opens at the local time on the day clocks change', () => {
    const h = parseBusinessHours('Sun 02:30-04:00');
    // 2027-03-14 has no 02:30 in New York: it opens at 03:30 EDT (07:30Z), as far past the gap as 02:30 is past 02:00.
    expect(nextOpening(at('2027-03-13T12:00:00Z'), 'America/New_York', h)?.toISOString()).toBe('2027-03-14T07:30:00.000Z');
  });

  it('refuses what it cannot read, naming the part', () => {
    expect(() => parseBusinessHours('Mon-Fri 9-5')).toThrow(/Mon-Fri 9-5/);
    expect(() => parseBusinessHours('Funday 09:00-17:00')).toThrow(/funday/);
    expect(() => parseBusinessHours('Mon 17:00-09:00')).toThrow(/closes before it opens/);
    expect(() => parseBusinessHours('Mon 09:00-17:00', ['25/12/2026'])).toThrow(/holiday/);
  });
});

describe('sendAt', () => {
  const now = at('2026-12-03T12:00:00Z');
  it('takes a time with an offset within the next year', () => {
    expect(parseSendAt('2026-12-24T09:00:00-05:00', now).toISOString()).toBe('2026-12-24T14:00:00.000Z');
    expect(parseSendAt('2027-12-03T12:00:00Z', now).toISOString()).toBe('2027-12-03T12:00:00.000Z');
  });
  it.each(['2026-12-03T11:59:59Z', '2027-12-03T12:00:01Z', '2026-12-24T09:00:00', '2026-12-24', 'soon', 42])('refuses %s', (raw) => {
    expect(() => parseSendAt(raw, now)).toThrow(expect.objectContaining({ code: 'invalid_send_at' }));
  });
});
