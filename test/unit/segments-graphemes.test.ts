import { describe, expect, it } from 'vitest';
import { segmentInfo } from '../../src/domain/segments.ts';

/**
 * Twilio never splits a grapheme cluster (what a reader sees as one character) across segments: one that would
 * straddle a boundary starts the next segment, as Twilio's message segment calculator counts it. UCS-2 segments
 * hold 67 UTF-16 units once a text is split.
 */
const a = (n: number) => 'a'.repeat(n);
const FLAG = '🇫🇷'; // two regional indicators: 4 units
const THUMB = '👍🏽'; // thumbs up + skin tone: 4 units
const FAMILY = '👨‍👩‍👧‍👦'; // four people joined by three ZWJs: 11 units
const E_ACUTE = 'e\u0301'; // e + combining acute accent: 2 units, one character on screen

describe('segmentInfo: grapheme clusters are never split across segments', () => {
  const cases: { name: string; body: string; segments: number }[] = [
    { name: "Twilio's example: 64 + flag + 64", body: a(64) + FLAG + a(64), segments: 3 },
    { name: 'a flag that ends exactly on the boundary', body: a(63) + FLAG + a(63), segments: 2 },
    { name: 'skin tone straddling the boundary', body: a(65) + THUMB + a(65), segments: 3 },
    { name: 'skin tone that fits', body: a(63) + THUMB + a(67), segments: 2 },
    { name: 'ZWJ family straddling the boundary', body: a(60) + FAMILY + a(60), segments: 3 },
    { name: 'ZWJ family that fits', body: a(56) + FAMILY + a(67), segments: 2 },
    { name: 'one ZWJ family in a single segment (59 + 11 = 70 units)', body: a(59) + FAMILY, segments: 1 },
    { name: 'combining accent straddling the boundary', body: a(66) + E_ACUTE + a(66), segments: 3 },
    { name: 'flags back to back: each moves whole', body: FLAG.repeat(34), segments: 3 }, // 16 per segment: 16 + 16 + 2
    // Twilio's calculator splits CR LF into two characters, so a line break may straddle.
    { name: 'CR LF on the boundary is two characters', body: 'ç' + a(65) + '\r\n' + a(66), segments: 2 },
    // A cluster longer than a segment cannot be kept whole (101 units: 67 + 34).
    { name: 'a cluster longer than a segment', body: 'a' + '\u0301'.repeat(100), segments: 2 },
  ];
  it.each(cases)('$name → $segments segments', ({ body, segments }) => {
    expect(segmentInfo(body)).toMatchObject({ encoding: 'UCS-2', segments });
  });

  it('GSM-7 texts are unaffected: CR LF straddling a GSM-7 boundary', () => {
    expect(segmentInfo(a(152) + '\r\n' + a(152))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
  });
});
