import { describe, expect, it } from 'vitest';
import { EXPLAINED_TWILIO_ERRORS, explainTwilioError, moreInfoUrl } from '../../src/domain/twilio-errors.ts';

describe('explainTwilioError', () => {
  it('no code, no explanation', () => {
    expect(explainTwilioError(null)).toBeNull();
  });

  // The codes the brief names, with a word each explanation or fix must contain, so an entry cannot drift to
  // another code's text unnoticed.
  const cases: [code: number, title: RegExp, mustMention: RegExp][] = [
    [20003, /authentication/i, /TWILIO_ACCOUNT_SID.*TWILIO_AUTH_TOKEN/],
    [20429, /too many requests/i, /backoff/i],
    [21211, /invalid 'to'/i, /E\.164/],
    [21408, /region/i, /geo permissions/i],
    [21606, /'from'/i, /E\.164/],
    [21608, /trial/i, /verif/i],
    [21610, /unsubscribed/i, /START/],
    [21612, /not reachable/i, /sender type/i],
    [21614, /not a mobile/i, /mobile number/i],
    [21617, /too long/i, /1,600|split/],
    [21620, /media url/i, /https/],
    [21623, /attachments/i, /10/],
    [30001, /queue/i, /rate/i],
    [30002, /suspended/i, /billing/i],
    [30003, /unreachable/i, /later/i],
    [30004, /blocked/i, /blocked/i],
    [30005, /unknown destination/i, /no longer in service|do not retry/i],
    [30006, /landline/i, /mobile number/i],
    [30007, /filtered/i, /10DLC/],
    [30008, /unknown error/i, /retry/i],
    [30032, /toll-free/i, /verification/i],
    [30034, /10DLC/, /brand.*campaign/i],
  ];
  it.each(cases)('%i: %s', (code, title, mustMention) => {
    const e = explainTwilioError(code);
    expect(e).not.toBeNull();
    expect(e?.code).toBe(code);
    expect(e?.known).toBe(true);
    expect(e?.title).toMatch(title);
    expect(`${e?.explanation} ${e?.fix}`).toMatch(mustMention);
    expect(e?.moreInfo).toBe(`https://www.twilio.com/docs/errors/${code}`);
  });

  it('covers exactly the table above', () => {
    expect(EXPLAINED_TWILIO_ERRORS).toEqual(cases.map(([code]) => code).sort((a, b) => a - b));
  });

  it('every entry is complete prose', () => {
    for (const code of EXPLAINED_TWILIO_ERRORS) {
      const e = explainTwilioError(code);
      expect(e?.title.length).toBeGreaterThan(3);
      expect(e?.explanation).toMatch(/^[A-Z].*\.$/s);
      expect(e?.fix).toMatch(/^[A-Z].*\.$/s);
    }
  });

  it('an unknown code gets a generic explanation pointing at its page', () => {
    expect(explainTwilioError(12345)).toEqual({
      code: 12345,
      title: 'Twilio error 12345',
      explanation: 'Twilio reported error 12345 for this message.',
      fix: 'See https://www.twilio.com/docs/errors/12345 for the cause and how to fix it.',
      moreInfo: 'https://www.twilio.com/docs/errors/12345',
      known: false,
    });
  });

  it('moreInfoUrl', () => {
    expect(moreInfoUrl(30007)).toBe('https://www.twilio.com/docs/errors/30007');
  });
});
