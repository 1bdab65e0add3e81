import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Smsdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (CONTRACT.md). The
 * secret is used as its UTF-8 bytes; the body is the exact bytes sent. A receiver recomputes v1 over the raw
 * body it read (before any JSON parsing), compares in constant time, and refuses a `t` too far from its clock.
 */
export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}`;
}

const hmacHex = (secret: string, payload: string) => createHmac('sha256', secret).update(payload, 'utf8').digest('hex');

/** What a receiver does (tests use it; the README shows the same steps). */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  opts: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const i = item.indexOf('=');
    if (i <= 0) continue;
    const key = item.slice(0, i).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(i + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t)) return false;
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(hmacHex(secret, `${t}.${body}`), 'hex');
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * The envelope `id` of an inbound filter's question about the text with this Twilio SID: "evt_" and 32 hex
 * digits like a recorded event's, but derived from the SID, so a question asked again (a routing job
 * replayed before its verdict was recorded) carries the same id and a receiver can tell it is the same text.
 */
export function filterQuestionId(messageSid: string): string {
  return `evt_${createHash('sha256').update(`inbound-filter:${messageSid}`).digest('hex').slice(0, 32)}`;
}
