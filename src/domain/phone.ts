import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { invalid } from './errors.ts';

/**
 * Normalizes a phone number to E.164. Twilio already sends E.164 for SMS, but short codes, alphanumeric
 * senders and hand-typed API input do not always conform, so anything unparseable is returned as null and the
 * caller decides (inbound: keep the raw sender as the contact key; API: 400).
 */
export function toE164(raw: string, defaultCountry?: CountryCode): string | null {
  const trimmed = raw.trim();
  if (!trimmed) return null;
  // extract: false: the whole input must be the number, so "whatsapp:+1…" or "call +1… now" is not one.
  const parsed = parsePhoneNumberFromString(trimmed, { defaultCountry, extract: false });
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

/** A readable form for contact names and subjects: "+1 415 555 0100". Falls back to the input. */
export function formatPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? parsed.formatInternational() : e164;
}

/**
 * The key a sender is known by: E.164 when it parses, otherwise the raw sender (short codes such as "12345",
 * alphanumeric sender ids, `whatsapp:` addresses stripped of nothing) so such texts still land somewhere.
 */
export function senderKey(raw: string): string {
  return toE164(raw) ?? raw.trim();
}

/** The ISO country of an E.164 number ("US", "GB"), or null when it does not say (short codes, unknown ranges). */
export function countryOf(e164: string): string | null {
  return parsePhoneNumberFromString(e164)?.country ?? null;
}

const SHORT_CODE = /^\d{5,6}$/;

/** A number smsdesk sends from: E.164, or a 5–6 digit short code as written. Null for anything else. */
export function toSenderNumber(raw: string): string | null {
  const trimmed = raw.trim();
  return SHORT_CODE.test(trimmed) ? trimmed : toE164(trimmed);
}

/**
 * The one way a phone number given to smsdesk (API, console, sandbox, settings) is read: however it is written
 * ("+1 (415) 555-0123", " 14155550123" from a query string whose "+" was not URL-encoded), it becomes E.164,
 * or the request is refused with `invalid_phone` naming the field. `sender: true` also takes a short code.
 */
export function phoneInput(raw: string, field: string, opts: { sender?: boolean } = {}): string {
  // A query string's unencoded "+" arrives as a space: read it as the "+" that was meant.
  const number = (opts.sender ? toSenderNumber(raw) : null) ?? toE164(raw.replace(/^ (?=\d)/, '+'));
  if (number) return number;
  const what = opts.sender ? 'a phone number or short code' : 'a phone number';
  throw invalid('invalid_phone', `${field} "${raw}" is not ${what}; use E.164, e.g. +14155550100 (in a URL, encode + as %2B).`);
}
