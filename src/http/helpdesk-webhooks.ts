import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HelpdeskKind } from '../config.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { sendError } from './errors.ts';

export interface HelpdeskWebhookOptions {
  /** The helpdesk smsdesk is connected to (HELPDESK). */
  helpdesk: HelpdeskKind;
  /** HELPDESK_WEBHOOK_SECRET: the shared secret (Freshdesk, Freshservice) or the webhook's signing secret (Zendesk). */
  secret: string | null;
  /** Queues the ticket's event for auto-SMS. */
  enqueue: (ticketId: number) => Promise<void>;
  /** What Zendesk's signature timestamps are checked against. */
  clock?: Clock;
}

const KINDS = ['freshdesk', 'freshservice', 'zendesk'] as const;
const SECRET_HEADER = 'x-smsdesk-secret';
const BODY_LIMIT = 256 * 1024;
/** A Zendesk signature older or newer than this is refused: a captured request cannot be replayed later. */
const ZENDESK_SKEW_MS = 5 * 60_000;

/**
 * Events from the helpdesk's automation: `POST /webhooks/helpdesk/{freshdesk,freshservice,zendesk}`. Only the
 * ticket id is taken from the payload (smsdesk then reads the ticket itself), so the automation's body can
 * be as small as `{"ticket_id": "{{ticket.id}}"}` and placeholders that break JSON (quotes in a reply) never
 * matter. Fails closed: no secret configured, a missing or wrong secret or signature → 403, before the body
 * is looked at for anything else.
 */
export async function helpdeskWebhooks(app: FastifyInstance, opts: HelpdeskWebhookOptions): Promise<void> {
  // The raw bytes, whatever the content type: Zendesk signs them as sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post<{ Params: { kind: string } }>('/webhooks/helpdesk/:kind', async (request, reply) => {
    const kind = request.params.kind;
    if (!(KINDS as readonly string[]).includes(kind)) {
      return sendError(reply, 404, 'unknown_helpdesk', `No helpdesk "${kind}": use /webhooks/helpdesk/freshdesk, /freshservice or /zendesk.`);
    }
    if (kind !== opts.helpdesk) {
      return sendError(reply, 404, 'helpdesk_not_connected', `smsdesk is connected to ${opts.helpdesk} (HELPDESK), not ${kind}; point the webhook at /webhooks/helpdesk/${opts.helpdesk}.`);
    }
    if (!opts.secret) {
      return sendError(reply, 403, 'webhook_secret_unset',
        'Helpdesk events are refused until HELPDESK_WEBHOOK_SECRET is set (the secret the automation sends, or Zendesk\'s webhook signing secret).');
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const now = (opts.clock ?? systemClock).now();
    const verdict = kind === 'zendesk' ? zendeskSignature(request, raw, opts.secret, now) : sharedSecret(request, opts.secret);
    if (verdict !== 'valid') {
      request.log.warn({ helpdesk: kind, verdict }, 'refused helpdesk webhook');
      return sendError(reply, 403, 'invalid_signature', verdict);
    }
    const ticketId = ticketIdOf(raw);
    if (ticketId === null) {
      return sendError(reply, 400, 'malformed_webhook',
        'The body must be JSON naming the ticket, e.g. {"ticket_id": "{{ticket.id}}"}; see the README for the automation to create.');
    }
    await opts.enqueue(ticketId);
    return reply.code(200).send({ status: 'queued', ticketId });
  });
}

/** Freshdesk and Freshservice: the secret as a custom header, or as the password of the webhook's basic auth. */
function sharedSecret(request: FastifyRequest, secret: string): string {
  const header = request.headers[SECRET_HEADER];
  let given = typeof header === 'string' ? header : null;
  const auth = request.headers.authorization;
  if (given === null && auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    given = decoded.slice(decoded.indexOf(':') + 1);
  }
  if (given === null) return `No secret: send it in an ${SECRET_HEADER} header (or as the basic-auth password) of the automation's webhook.`;
  return same(given, secret) ? 'valid' : `The ${SECRET_HEADER} header does not match HELPDESK_WEBHOOK_SECRET.`;
}

/**
 * Zendesk: base64(HMAC-SHA256(signing secret, timestamp + body)), with a timestamp within 5 minutes of now, so a
 * captured request cannot be replayed later (the signature covers the timestamp, so it cannot be refreshed).
 */
function zendeskSignature(request: FastifyRequest, raw: Buffer, secret: string, now: Date): string {
  const signature = request.headers['x-zendesk-webhook-signature'];
  const timestamp = request.headers['x-zendesk-webhook-signature-timestamp'];
  if (typeof signature !== 'string' || typeof timestamp !== 'string') {
    return 'No X-Zendesk-Webhook-Signature (and -Timestamp) header: is this a Zendesk webhook?';
  }
  const expected = createHmac('sha256', secret).update(timestamp).update(raw).digest('base64');
  if (!same(signature, expected)) return "The signature does not match: set HELPDESK_WEBHOOK_SECRET to the webhook's signing secret in Zendesk.";
  const at = Date.parse(timestamp);
  if (!Number.isFinite(at)) return `X-Zendesk-Webhook-Signature-Timestamp "${timestamp}" is not a time (Zendesk sends ISO 8601, e.g. 2026-01-31T12:00:00Z).`;
  if (Math.abs(now.getTime() - at) > ZENDESK_SKEW_MS) {
    return `The signature is dated ${timestamp}, more than 5 minutes from smsdesk's clock (${now.toISOString()}): a replayed request, or a clock to set right (NTP).`;
  }
  return 'valid';
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The ticket id from the automation's JSON: `ticket_id` at the top, or in Freshdesk's simple payload
 * (`freshdesk_webhook.ticket_id`), or `ticket.id`; a number or a string such as "123" or Freshservice's "INC-123".
 */
export function ticketIdOf(raw: Buffer): number | null {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
  if (!body || typeof body !== 'object') return null;
  const b = body as { ticket_id?: unknown; freshdesk_webhook?: { ticket_id?: unknown }; ticket?: { id?: unknown } };
  for (const v of [b.ticket_id, b.freshdesk_webhook?.ticket_id, b.ticket?.id]) {
    const m = (typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '').match(/^(?:[A-Z]+-)?(\d{1,15})$/);
    if (m) return Number(m[1]);
  }
  return null;
}
