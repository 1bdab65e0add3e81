import { describe, expect, it } from 'vitest';
import {
  classifyKeyword,
  HELP_KEYWORDS,
  OPT_IN_KEYWORDS,
  OPT_OUT_KEYWORDS,
  type KeywordClass,
} from '../../src/domain/opt-out.ts';

describe('keyword lists: Twilio defaults', () => {
  it('lists the standard keywords', () => {
    expect([...OPT_OUT_KEYWORDS]).toEqual(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
    expect([...OPT_IN_KEYWORDS]).toEqual(['START', 'YES', 'UNSTOP']);
    expect([...HELP_KEYWORDS]).toEqual(['HELP', 'INFO']);
  });

  const all: [string, KeywordClass][] = [
    ...OPT_OUT_KEYWORDS.map((k) => [k, 'opt-out'] as [string, KeywordClass]),
    ...OPT_IN_KEYWORDS.map((k) => [k, 'opt-in'] as [string, KeywordClass]),
    ...HELP_KEYWORDS.map((k) => [k, 'help'] as [string, KeywordClass]),
  ];
  it.each(all)('%s → %s in upper, lower and mixed case', (keyword, expected) => {
    expect(classifyKeyword(keyword)).toBe(expected);
    expect(classifyKeyword(keyword.toLowerCase())).toBe(expected);
    expect(classifyKeyword(keyword[0] + keyword.slice(1).toLowerCase())).toBe(expected);
  });
});

describe('classifyKeyword', () => {
  const cases: { body: string; expected: KeywordClass | null }[] = [
    // Surrounding whitespace and punctuation are ignored.
    { body: '  Stop! ', expected: 'opt-out' },
    { body: 'stop.', expected: 'opt-out' },
    { body: 'STOP\n', expected: 'opt-out' },
    { body: '\r\n\tstop\r\n', expected: 'opt-out' },
    { body: '"Stop"', expected: 'opt-out' },
    { body: 'STOP!!!', expected: 'opt-out' },
    { body: '...unsubscribe...', expected: 'opt-out' },
    { body: '¡STOP!', expected: 'opt-out' },
    { body: '¿help?', expected: 'help' },
    { body: 'Stop。', expected: 'opt-out' },
    { body: '\u00a0STOP\u00a0', expected: 'opt-out' }, // no-break spaces
    { body: '\u200bSTOP\u200b', expected: 'opt-out' }, // zero-width spaces
    { body: '\ufeffstart', expected: 'opt-in' }, // byte-order mark
    { body: 'Yes!', expected: 'opt-in' },
    { body: 'unstop', expected: 'opt-in' },
    { body: 'Info?', expected: 'help' },
    // ":" and ")" are both punctuation, so a text emoticon is trimmed like any other punctuation.
    { body: 'STOP :)', expected: 'opt-out' },
    { body: 'OptOut', expected: 'opt-out' },
    // More than one word, or not the word.
    { body: 'stop it', expected: null },
    { body: 'please stop', expected: null },
    { body: 'stopp', expected: null },
    { body: 'st op', expected: null },
    { body: 's.t.o.p', expected: null },
    { body: 'stop-all', expected: null },
    { body: 'opt out', expected: null },
    { body: 'stopping', expected: null },
    { body: 'yes please', expected: null },
    { body: 'Hi, my order never arrived', expected: null },
    { body: '', expected: null },
    { body: '   ', expected: null },
    { body: '!!!', expected: null },
    // Emoji and symbols are content, not decoration: the sender said more than the keyword.
    { body: 'STOP 🙏', expected: null },
    { body: '🛑STOP', expected: null },
    { body: 'stop ❤️', expected: null },
    { body: 'help $', expected: null },
    { body: 'STOP+', expected: null },
    // Lookalikes and non-ASCII letters never match.
    { body: 'ﬆop', expected: null }, // U+FB06 ligature, upper-cases to "ST"
    { body: 'ЅТОР', expected: null }, // Cyrillic lookalikes
    { body: 'ＳＴＯＰ', expected: null }, // full-width letters
  ];
  it.each(cases)('$body → $expected', ({ body, expected }) => {
    expect(classifyKeyword(body)).toBe(expected);
  });
});
