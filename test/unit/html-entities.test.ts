import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from '../../src/domain/html-to-text.ts';

/** Every HTML5 named reference is decoded (there are 2,231), not only Latin-1 and common punctuation. */
describe('decodeEntities: the whole HTML5 table', () => {
  it.each([
    ['&hearts;', '♥'],
    ['&check;', '✓'],
    ['&cross;', '✗'],
    ['&star; &starf; &bigstar;', '☆ ★ ★'],
    ['&phone;', '☎'],
    ['&female; &male;', '♀ ♂'],
    ['&rarr; &rArr; &LongRightArrow;', '→ ⇒ ⟶'],
    ['&ne; &le; &ge; &infin; &sum;', '≠ ≤ ≥ ∞ ∑'],
    ['&alpha;&beta;&Omega;', 'αβΩ'],
    ['&frac13; &frac23;', '⅓ ⅔'],
    ['&NotEqualTilde;', '≂\u0338'], // two code points
    ['&fjlig;', 'fj'],
    ['&Rfr;&Zopf;', '\u211C\u2124'],
    ['&half;', '½'],
  ])('%s → %s', (input, expected) => {
    expect(decodeEntities(input)).toBe(expected);
  });

  it('reaches the text an agent reply becomes', () => {
    expect(htmlToText('<p>We &hearts; our customers &check;</p><p>&bigstar;&bigstar;&bigstar;&bigstar;&star;</p>'))
      .toBe('We ♥ our customers ✓\n\n★★★★☆');
  });
});
