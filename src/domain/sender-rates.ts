import { toE164 } from './phone.ts';

/**
 * How fast a sender may send, in message segments per second (Twilio's "MPS" counts segments: a 3-segment
 * text uses three). By default what Twilio grants each kind of US sender — long code 1, toll-free 3, short
 * code 100 — unless the account bought more throughput, which SMSDESK_SENDER_RATES records per number.
 */
export type SenderRates = ReadonlyMap<string, number>;

export type SenderKind = 'short-code' | 'toll-free' | 'long-code';

export const DEFAULT_SENDER_RATES: Readonly<Record<SenderKind, number>> = { 'short-code': 100, 'toll-free': 3, 'long-code': 1 };

/** The NANP toll-free area codes: 800, 833, 844, 855, 866, 877, 888 (not every 8xx: 808 is Hawaii). */
const TOLL_FREE = /^\+18(00|33|44|55|66|77|88)\d{7}$/;
const SHORT_CODE = /^\d{5,6}$/;
/** Generous upper bound: a typo such as 10000000 should not silently switch pacing off. */
const MAX_RATE = 10_000;

export function senderKind(number: string): SenderKind {
  if (SHORT_CODE.test(number)) return 'short-code';
  if (TOLL_FREE.test(number)) return 'toll-free';
  // Everything else, Messaging Service SIDs and alphanumeric sender ids included, as a long code (the slowest).
  return 'long-code';
}

/** Segments per second `number` may send: its override if configured, else the default for its kind. */
export function senderRate(number: string, overrides: SenderRates = new Map()): number {
  return overrides.get(number) ?? DEFAULT_SENDER_RATES[senderKind(number)];
}

/**
 * Parses `+14155550199=10,+18005550100=3,12345=100` (number = segments per second; spaces allowed around
 * the separators; empty: no overrides). Numbers are normalised to E.164 as smsdesk stores senders; short
 * codes stay as they are. Throws an Error naming the bad entry and the expected form.
 */
export function parseSenderRates(raw: string): Map<string, number> {
  const rates = new Map<string, number>();
  const example = 'e.g. +14155550199=10,+18005550100=3';
  for (const [i, entry] of raw.split(',').entries()) {
    const text = entry.trim();
    if (text === '') {
      if (raw.trim() === '') continue;
      throw new Error(`entry ${i + 1} is empty (a stray comma?); expected number=rate pairs separated by commas, ${example}`);
    }
    const parts = text.split('=');
    if (parts.length !== 2) throw new Error(`"${text}" is not number=rate; expected number=rate pairs separated by commas, ${example}`);
    const [rawNumber, rawRate] = parts.map((p) => p.trim()) as [string, string];
    const number = SHORT_CODE.test(rawNumber) ? rawNumber : toE164(rawNumber);
    if (!number || !(rawNumber.startsWith('+') || SHORT_CODE.test(rawNumber))) {
      throw new Error(`"${rawNumber}" in "${text}" is not a phone number in E.164 form (+14155550199) or a 5–6 digit short code`);
    }
    const rate = /^\d+(\.\d+)?$/.test(rawRate) ? Number(rawRate) : NaN;
    if (!(rate > 0 && rate <= MAX_RATE)) {
      throw new Error(`the rate in "${text}" must be a number of segments per second above 0 and at most ${MAX_RATE}, such as 10 or 0.5`);
    }
    if (rates.has(number)) throw new Error(`${number} is given twice ("${text}")`);
    rates.set(number, rate);
  }
  return rates;
}
