import type { EventType } from './events.ts';

/**
 * Outgoing webhooks (CONTRACT.md "Outgoing webhooks"): what a subscription may name, what a delivery carries,
 * when a failed one is tried again, and how an inbound filter's answer reads. Pure: the console shares it.
 * The signature itself (HMAC over node:crypto) is in webhook-signature.ts, which the console does not load.
 */
export const WEBHOOK_EVENT_TYPES = [
  'message.received',
  'message.status_changed',
  'ticket.created',
  'ticket.status_changed',
  'optout.changed',
  'csat.received',
  'usage.threshold',
] as const satisfies readonly EventType[];

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const isWebhookEventType = (type: string): type is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);

/** The header every delivery and every inbound-filter question carries: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'X-Smsdesk-Signature';

/** A delivery's POST may take this long (answer included) before it counts as unanswered. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** An inbound filter has this long to answer before the text is routed as usual. */
export const DECIDE_TIMEOUT_MS = 5_000;
/** A delivery that keeps failing is tried again for this long after its first attempt, then marked failed. */
export const RETRY_WINDOW_MS = 24 * 60 * 60_000;
/** Waits before the 2nd, 3rd, … attempt; the last one repeats (at most an hour between attempts). */
export const RETRY_DELAYS_MS: readonly number[] = [10_000, 30_000, 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 60 * 60_000];

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** The wait after the `attempts`-th failed attempt of a series (1-based). */
export function retryDelayMs(attempts: number, delays: readonly number[] = RETRY_DELAYS_MS): number {
  if (!delays.length) return 0;
  return delays[Math.min(Math.max(attempts, 1), delays.length) - 1]!;
}

/**
 * When to try a failed delivery again: after the backoff, but never past the end of its window (the last
 * attempt is made at the window's end); null once the window is over (the delivery is then failed).
 */
export function nextAttemptAt(input: {
  firstAttemptAt: Date;
  now: Date;
  attempts: number;
  windowMs?: number;
  delays?: readonly number[];
}): Date | null {
  const end = input.firstAttemptAt.getTime() + (input.windowMs ?? RETRY_WINDOW_MS);
  const now = input.now.getTime();
  if (now >= end) return null;
  return new Date(Math.min(end, now + retryDelayMs(input.attempts, input.delays)));
}

/** What every delivery's body is: the event as a receiver sees it. */
export interface WebhookEnvelope {
  /** Stable per event: a receiver dedupes by it across retries and resends. */
  id: string;
  type: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  data: unknown;
}

/** The raw body of a delivery: the bytes that are signed and sent. */
export function envelopeBody(e: { id: string; type: string; createdAt: Date; data: unknown }): string {
  const envelope: WebhookEnvelope = { id: e.id, type: e.type, createdAt: e.createdAt.toISOString(), data: e.data };
  return JSON.stringify(envelope);
}

/** A 2xx answer: delivered. */
export const isSuccess = (status: number) => status >= 200 && status < 300;

export type FilterVerdict = { action: 'accept' } | { action: 'reject'; reason: string };

export const MAX_REASON_CHARS = 500;

/**
 * An inbound filter's answer (the body of a 2xx): `{"action":"accept"}` or `{"action":"reject","reason"}`.
 * Anything else is not an answer (the text is then routed as usual) and says why.
 */
export function parseFilterAnswer(text: string): { verdict: FilterVerdict } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'the answer is not JSON' };
  }
  const action = (json as { action?: unknown } | null)?.action;
  if (action === 'accept') return { verdict: { action: 'accept' } };
  if (action !== 'reject') return { problem: 'the answer has no "action": "accept" or "reject"' };
  const raw = (json as { reason?: unknown }).reason;
  const reason = typeof raw === 'string' && raw.trim() ? raw.trim().slice(0, MAX_REASON_CHARS) : 'no reason given';
  return { verdict: { action: 'reject', reason } };
}

export const MAX_URL_CHARS = 2000;

/** What is wrong with a subscription's URL, or null: absolute http(s), no credentials in it. */
export function webhookUrlProblem(raw: string): string | null {
  if (raw.length > MAX_URL_CHARS) return `must be at most ${MAX_URL_CHARS} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL, e.g. https://example.com/smsdesk-events';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be an http(s) URL (not ${url.protocol})`;
  if (url.username || url.password) return 'must not carry a user name or password: receivers check the X-Smsdesk-Signature header instead';
  if (url.hash) return 'must not have a #fragment';
  return null;
}

export const MIN_SECRET_CHARS = 16;
export const MAX_SECRET_CHARS = 200;

/** How a stored secret is shown after creation: its last four characters only. */
export const secretHint = (secret: string) => `…${secret.slice(-4)}`;
