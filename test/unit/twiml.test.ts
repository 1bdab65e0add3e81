import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { escapeXmlContent, MAX_TWIML_LENGTH, sayTwiml } from '../../src/domain/twiml.ts';

const WRAPPER = '<Response><Say></Say></Response>'.length;

function refusal(text: string): AppError {
  try {
    sayTwiml(text);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error(`sayTwiml accepted ${JSON.stringify(text).slice(0, 80)}`);
}

describe('escapeXmlContent', () => {
  it.each([
    ['plain words', 'plain words'],
    ['Tom & Jerry', 'Tom &amp; Jerry'],
    ['a < b > c', 'a &lt; b &gt; c'],
    ['</Say><Hangup/>', '&lt;/Say&gt;&lt;Hangup/&gt;'],
    ['already &amp; escaped', 'already &amp;amp; escaped'],
    [']]>', ']]&gt;'],
    // Quotes need no escape in element content (and would cost length).
    [`"quoted" and 'single'`, `"quoted" and 'single'`],
    ['café 日本 😀', 'café 日本 😀'],
    ['line\nbreak\ttab', 'line\nbreak\ttab'],
  ])('%j → %j', (input, expected) => {
    expect(escapeXmlContent(input)).toBe(expected);
  });
});

describe('sayTwiml', () => {
  it.each([
    ['Ticket 42 is urgent.', '<Response><Say>Ticket 42 is urgent.</Say></Response>'],
    ['Tom & Jerry <3', '<Response><Say>Tom &amp; Jerry &lt;3</Say></Response>'],
    ['  padded  ', '<Response><Say>  padded  </Say></Response>'],
    ['Grüße, 日本語 😀', '<Response><Say>Grüße, 日本語 😀</Say></Response>'],
  ])('%j → %s', (text, twiml) => {
    expect(sayTwiml(text)).toBe(twiml);
  });

  it.each([[''], [' '], ['\n\t  ']])('refuses %j: nothing to say', (text) => {
    expect(refusal(text)).toMatchObject({ kind: 'invalid', code: 'invalid_say', message: expect.stringContaining('empty') });
  });

  it.each([
    ['bell \u0007', 'U+0007'],
    ['nul \u0000', 'U+0000'],
    ['half a pair \uD83D', 'U+D83D'],
    ['\uDE00 low half first', 'U+DE00'],
    ['non-character \uFFFE', 'U+FFFE'],
  ])('refuses %j: XML cannot carry %s', (text, named) => {
    expect(refusal(text)).toMatchObject({ code: 'invalid_say', message: expect.stringContaining(named) });
  });

  it('takes text up to exactly Twilio\'s 4000 characters of TwiML, and refuses one more', () => {
    const longest = 'a'.repeat(MAX_TWIML_LENGTH - WRAPPER);
    expect(sayTwiml(longest)).toHaveLength(MAX_TWIML_LENGTH);
    expect(refusal(longest + 'a')).toMatchObject({ code: 'invalid_say', message: expect.stringContaining('4001') });
  });

  it('counts the escapes: 3000 characters with 300 ampersands do not fit', () => {
    const text = 'a'.repeat(2700) + '&'.repeat(300);
    expect(text).toHaveLength(3000);
    expect(refusal(text).message).toContain(String(WRAPPER + 2700 + 300 * 5));
  });

  it('counts UTF-16 code units, never fewer than code points, so what it accepts fits either way', () => {
    const emoji = '😀'.repeat((MAX_TWIML_LENGTH - WRAPPER) / 2);
    expect(sayTwiml(emoji)).toHaveLength(MAX_TWIML_LENGTH);
    expect(refusal(emoji + 'a').code).toBe('invalid_say');
  });
});
