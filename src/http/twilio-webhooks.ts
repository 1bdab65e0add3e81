import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import type { TwilioAccount } from '../config.ts';
import { verifyTwilioSignature } from '../adapters/twilio/signature.ts';
import { parseInboundWebhook, parseStatusCallback } from '../adapters/twilio/inbound-webhook.ts';
import type { ApplyStatus } from '../app/apply-status.ts';
import type { ReceiveInbound } from '../app/receive-inbound.ts';
import { senderKey } from '../domain/phone.ts';
import { sendError } from './errors.ts';

export interface TwilioWebhookOptions {
  publicUrl: () => string;
  accounts: () => readonly TwilioAccount[];
  receiveInbound: ReceiveInbound;
  applyStatus: ApplyStatus;
}

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const MAX_FIELDS = 120;

/**
 * Twilio's webhooks: "A message comes in" (verify, validate, store durably, then acknowledge) and the status
 * callback of messages smsdesk sent. Both are signed by the account the request names.
 */
export async function twilioWebhooks(app: FastifyInstance, opts: TwilioWebhookOptions): Promise<void> {
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  /** The signed form, or null after answering 403/400. */
  async function signedForm(request: FastifyRequest, reply: FastifyReply): Promise<Record<string, string> | null> {
    // Unsigned requests are refused before their body is looked at.
    if (!header(request, 'x-twilio-signature')) {
      await sendError(reply, 403, 'invalid_signature', signatureMessage('missing'));
      return null;
    }
    const params = formParams(request);
    if (typeof params === 'string') {
      await sendError(reply, 400, 'malformed_webhook', params);
      return null;
    }
    const verdict = verifyTwilioSignature(
      opts.accounts(), params.AccountSid, header(request, 'x-twilio-signature'), opts.publicUrl() + request.url, params,
    );
    if (verdict !== 'valid') {
      request.log.warn({ verdict, accountSid: params.AccountSid }, 'refused Twilio webhook');
      await sendError(reply, 403, 'invalid_signature', signatureMessage(verdict));
      return null;
    }
    return params;
  }

  app.post('/webhooks/twilio/status', async (request, reply) => {
    const params = await signedForm(request, reply);
    if (!params) return reply;
    // A malformed form throws WebhookError: 400 from the error handler. The message id in the URL is ours
    // (signed with the rest of the URL); one that is not a plain id is ignored, not refused.
    const named = (request.query as Record<string, unknown>).message;
    const messageId = typeof named === 'string' && /^[1-9]\d{0,9}$/.test(named) && Number(named) <= 2 ** 31 - 1 ? Number(named) : null;
    await opts.applyStatus.apply({ ...parseStatusCallback(params), at: new Date(), messageId });
    return reply.code(200).type('text/xml').send(EMPTY_TWIML);
  });

  app.post('/webhooks/twilio/messages', async (request, reply) => {
    const params = await signedForm(request, reply);
    if (!params) return reply;
    const clean = withoutNul(params);
    const webhook = parseInboundWebhook(clean);
    // A database that cannot be reached surfaces as a 503 from the error handler: Twilio retries.
    await opts.receiveInbound.receive({
      sid: webhook.messageSid, accountSid: webhook.accountSid, from: webhook.from, to: webhook.to,
      contactKey: senderKey(webhook.from), body: webhook.body, params: clean, media: webhook.media,
    });
    return reply.code(200).type('text/xml').send(EMPTY_TWIML);
  });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The form as Twilio sent it; repeated or non-string fields are not something Twilio sends. */
function formParams(request: FastifyRequest): Record<string, string> | string {
  const body = request.body;
  if (!body || typeof body !== 'object') return 'expected an application/x-www-form-urlencoded body';
  const out: Record<string, string> = {};
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length > MAX_FIELDS) return `too many form fields (${entries.length}, at most ${MAX_FIELDS})`;
  for (const [k, v] of entries) {
    if (typeof v !== 'string') return `form field ${k} appears more than once`;
    out[k] = v;
  }
  return out;
}

/**
 * PostgreSQL text cannot hold NUL, so a text carrying one would fail every retry and be lost: after the
 * signature (which covers the raw values) is checked, NUL becomes U+FFFD.
 */
function withoutNul(params: Record<string, string>): Record<string, string> {
  if (!Object.values(params).some((v) => v.includes('\u0000'))) return params;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.replaceAll('\u0000', '\uFFFD')]));
}

function signatureMessage(verdict: string): string {
  switch (verdict) {
    case 'missing':
      return 'X-Twilio-Signature is missing; only Twilio may call this URL.';
    case 'unknown_account':
      return 'AccountSid is not an account configured in smsdesk (TWILIO_ACCOUNT_SID).';
    default:
      return 'X-Twilio-Signature does not match; check that PUBLIC_URL is the exact URL Twilio calls and the auth token is current.';
  }
}
