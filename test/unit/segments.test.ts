import { describe, expect, it } from 'vitest';
import { segmentInfo, type Encoding } from '../../src/domain/segments.ts';

/**
 * Twilio's rules (twilio.com/docs/glossary/what-is-gsm-7-character-encoding and Twilio's
 * message-segment-calculator): GSM-7 carries 160 septets in one segment, 153 per segment once split (6-byte
 * UDH); UCS-2 carries 70 code units, 67 once split; an escape (extension) character takes two septets and is
 * never split from its escape; a surrogate pair is never split.
 */
const EMOJI = '😜'; // U+1F61C: one code point, two UTF-16 units
const a = (n: number) => 'a'.repeat(n);
const rep = (s: string, n: number) => s.repeat(n);

describe('segmentInfo: encoding and segment count', () => {
  const cases: { name: string; body: string; encoding: Encoding; segments: number }[] = [
    { name: 'empty body', body: '', encoding: 'GSM-7', segments: 1 },
    { name: 'short text', body: 'Hello, is my order ready?', encoding: 'GSM-7', segments: 1 },
    // GSM-7 basic characters: 160 in one segment, then 153 per segment.
    { name: '160 GSM chars', body: a(160), encoding: 'GSM-7', segments: 1 },
    { name: '161 GSM chars', body: a(161), encoding: 'GSM-7', segments: 2 },
    { name: '306 GSM chars (2 × 153)', body: a(306), encoding: 'GSM-7', segments: 2 },
    { name: '307 GSM chars', body: a(307), encoding: 'GSM-7', segments: 3 },
    { name: '459 GSM chars (3 × 153)', body: a(459), encoding: 'GSM-7', segments: 3 },
    { name: '460 GSM chars', body: a(460), encoding: 'GSM-7', segments: 4 },
    { name: '1530 GSM chars (10 × 153)', body: a(1530), encoding: 'GSM-7', segments: 10 },
    { name: 'newlines are basic characters', body: rep('\r\n', 80), encoding: 'GSM-7', segments: 1 },
    // Extension characters take two septets.
    { name: '{ ×80 = 160 septets', body: rep('{', 80), encoding: 'GSM-7', segments: 1 },
    { name: '{ ×81 = 162 septets', body: rep('{', 81), encoding: 'GSM-7', segments: 2 },
    { name: '€ ×80 = 160 septets', body: rep('€', 80), encoding: 'GSM-7', segments: 1 },
    { name: '159 basic + one extension = 161 septets', body: a(159) + '€', encoding: 'GSM-7', segments: 2 },
    { name: '158 basic + one extension = 160 septets', body: a(158) + '~', encoding: 'GSM-7', segments: 1 },
    // Twilio calculator test data: "{" then digits, 160 and 161 septets.
    { name: 'Twilio: { + 158 = 160 septets', body: '{' + '2345678901'.repeat(16).slice(0, 158), encoding: 'GSM-7', segments: 1 },
    { name: 'Twilio: { + 159 = 161 septets', body: '{' + '2345678901'.repeat(16).slice(0, 159), encoding: 'GSM-7', segments: 2 },
    // UCS-2: 70 units in one segment, then 67 per segment.
    { name: '70 UCS-2 units', body: 'ç' + a(69), encoding: 'UCS-2', segments: 1 },
    { name: '71 UCS-2 units', body: 'ç' + a(70), encoding: 'UCS-2', segments: 2 },
    { name: '134 UCS-2 units (2 × 67)', body: 'ç' + a(133), encoding: 'UCS-2', segments: 2 },
    { name: '135 UCS-2 units', body: 'ç' + a(134), encoding: 'UCS-2', segments: 3 },
    { name: 'one non-GSM char turns extension chars into 1 unit each', body: 'ç' + rep('{', 69), encoding: 'UCS-2', segments: 1 },
    // Twilio docs: "152 GSM-7-compatible characters and a single unicode character will be split into 3".
    { name: 'Twilio: 152 GSM + one unicode char → 3 segments', body: a(152) + '“', encoding: 'UCS-2', segments: 3 },
    // Emoji: two UTF-16 units each.
    { name: '35 emoji = 70 units', body: rep(EMOJI, 35), encoding: 'UCS-2', segments: 1 },
    { name: '36 emoji = 72 units', body: rep(EMOJI, 36), encoding: 'UCS-2', segments: 2 },
    { name: '67 emoji = 134 units, no pair split (33 + 33 + 1)', body: rep(EMOJI, 67), encoding: 'UCS-2', segments: 3 },
    { name: 'Twilio: emoji + 68 = 70 units', body: EMOJI + a(68), encoding: 'UCS-2', segments: 1 },
    { name: 'Twilio: emoji + 69 = 71 units', body: EMOJI + a(69), encoding: 'UCS-2', segments: 2 },
  ];
  it.each(cases)('$name → $encoding, $segments segment(s)', ({ body, encoding, segments }) => {
    const info = segmentInfo(body);
    expect(info.encoding).toBe(encoding);
    expect(info.segments).toBe(segments);
  });
});

describe('segmentInfo: characters are never split across segments', () => {
  it('an extension character that would straddle a boundary moves to the next segment', () => {
    // 152 + 2 + 152 = 306 septets: 2 segments by arithmetic, but "{" cannot take the last septet of segment 1,
    // so segment 1 holds 152, segment 2 holds "{" + 151, and the last "a" needs a third.
    const body = a(152) + '{' + a(152);
    expect(segmentInfo(body)).toEqual({ encoding: 'GSM-7', segments: 3, nonGsmCharacters: [] });
    // One septet fewer and it fits in two.
    expect(segmentInfo(a(152) + '{' + a(151)).segments).toBe(2);
    // An extension character that ends exactly on the boundary does not straddle.
    expect(segmentInfo(a(151) + '{' + a(153)).segments).toBe(2);
  });

  it('a surrogate pair that would straddle a boundary moves to the next segment', () => {
    // 66 + 2 + 66 = 134 units: 2 segments by arithmetic, 3 when the emoji cannot be split.
    expect(segmentInfo(a(66) + EMOJI + a(66))).toEqual({ encoding: 'UCS-2', segments: 3, nonGsmCharacters: [EMOJI] });
    expect(segmentInfo(a(66) + EMOJI + a(65)).segments).toBe(2);
    expect(segmentInfo(a(65) + EMOJI + a(67)).segments).toBe(2);
  });
});

describe('segmentInfo: which characters are GSM-7', () => {
  const basic = [
    ...'@£$¥èéùìòÇØøÅåÆæßÉ¤¡ÄÖÑÜ§¿äöñüà',
    ...'ΔΦΓΛΩΠΨΣΘΞ', // the Greek capitals in the basic table
    ...' !"#%&\'()*+,-./:;<=>?_',
    '\n',
    '\r',
  ];
  it.each(basic)('%j is basic GSM-7 (one septet)', (ch) => {
    // 160 of them fit in one segment only if each costs one septet.
    expect(segmentInfo(ch.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, nonGsmCharacters: [] });
    expect(segmentInfo(ch.repeat(161)).segments).toBe(2);
  });

  const extension = ['€', '{', '}', '[', ']', '~', '^', '|', '\\', '\f'];
  it.each(extension)('%j is a GSM-7 extension character (two septets)', (ch) => {
    expect(segmentInfo(ch.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, nonGsmCharacters: [] });
    expect(segmentInfo(ch.repeat(81)).segments).toBe(2);
  });

  const notGsm = [
    'ç', // only the capital Ç is in the table
    'á', 'ê', 'í', 'ó', 'ú', 'â', 'ô', 'ẞ',
    'α', 'β', 'δ', // Greek lowercase is not in the table
    'Α', 'Β', // Greek capitals that look Latin are not in the table
    '`', '“', '”', '‘', '’', '…', '–', '\t', '\u00a0', EMOJI, '中',
  ];
  it.each(notGsm)('%j forces UCS-2', (ch) => {
    const info = segmentInfo(`abc${ch}def`);
    expect(info.encoding).toBe('UCS-2');
    expect(info.nonGsmCharacters).toEqual([ch]);
  });
});

describe('segmentInfo: nonGsmCharacters', () => {
  const cases: { name: string; body: string; want: string[] }[] = [
    { name: 'none in a GSM text', body: 'Prix: 5€ {ok} [ça]'.replace('ç', 'Ç'), want: [] },
    { name: 'each once, in order of appearance', body: '“Hi” ç “there” ç 😜 ok 😜', want: ['“', '”', 'ç', '😜'] },
    { name: 'an emoji is listed as one character, not two halves', body: `${EMOJI}${EMOJI}`, want: [EMOJI] },
    { name: 'a flag (two code points) lists each code point', body: '🇫🇷', want: ['🇫', '🇷'] },
  ];
  it.each(cases)('$name', ({ body, want }) => {
    expect(segmentInfo(body).nonGsmCharacters).toEqual(want);
  });
});
