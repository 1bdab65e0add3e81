import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parse } from './validation.ts';
import { authenticate, newSecret, requireAdmin, type AuthOptions } from './auth.ts';
import { conflict, invalid, notFound } from '../domain/errors.ts';
import type { DeliveryWithLog, WebhookStore, WebhookSubscription } from '../ports/webhooks.ts';
import {
  MAX_SECRET_CHARS, MAX_URL_CHARS, MIN_SECRET_CHARS, WEBHOOK_EVENT_TYPES, isWebhookEventType, webhookUrlProblem, type WebhookEventType,
} from '../domain/webhooks.ts';

export interface WebhooksOptions {
  auth: AuthOptions;
  store: WebhookStore;
  /** A resend queued its job (wakes the delivery worker). */
  onQueued?: () => void;
}

const id = z.string().regex(/^\d{1,9}$/, 'must be an id').transform(Number);
const PRINTABLE = /^[\x21-\x7e]+$/;

const createBody = z.object({
  url: z.string().trim().min(1, 'is required').max(MAX_URL_CHARS),
  events: z.array(z.string().max(100)).min(1, 'must name at least one event type').max(WEBHOOK_EVENT_TYPES.length * 2),
  secret: z.string().min(MIN_SECRET_CHARS, `must be at least ${MIN_SECRET_CHARS} characters`).max(MAX_SECRET_CHARS)
    .regex(PRINTABLE, 'must be printable ASCII without spaces').optional(),
  decide: z.boolean().optional(),
}).strict();

/**
 * Outgoing webhooks (CONTRACT.md; admins only, reads too: a URL may carry a receiver's token):
 * GET/POST /api/v1/webhooks, GET/DELETE /api/v1/webhooks/:id, GET /api/v1/webhooks/:id/deliveries,
 * POST /api/v1/webhooks/:id/deliveries/:deliveryId/resend. The secret is in the 201 only; afterwards
 * `secret` is masked to its last four characters.
 */
export async function webhooksApi(app: FastifyInstance, opts: WebhooksOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.auth));
  app.addHook('onRequest', async (request) => requireAdmin(request));

  const subscription = async (raw: string) => {
    const subscriptionId = parse(id, raw, 'id');
    const found = await opts.store.get(subscriptionId);
    if (!found) throw notFound('webhook_not_found', `No webhook ${subscriptionId}.`);
    return found;
  };

  app.get('/api/v1/webhooks', async () => ({ webhooks: (await opts.store.list()).map(webhookJson) }));

  app.post('/api/v1/webhooks', async (request, reply) => {
    const body = parse(createBody, request.body, 'body');
    // Kept as the URL parser writes it (what safe-fetch will call), e.g. "https://Example.com" → "https://example.com/".
    const urlProblem = webhookUrlProblem(body.url) ?? webhookUrlProblem(new URL(body.url).href);
    if (urlProblem) throw invalid('invalid_url', `url ${urlProblem}.`);
    const unknown = [...new Set(body.events.filter((e) => !isWebhookEventType(e)))];
    if (unknown.length) {
      throw invalid('unknown_event_type', `events: unknown type${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; ` +
        `known: ${WEBHOOK_EVENT_TYPES.join(', ')}.`);
    }
    const events = [...new Set(body.events)] as WebhookEventType[];
    const decide = body.decide ?? false;
    if (decide && !events.includes('message.received')) {
      throw invalid('invalid_decide', 'decide: true asks the webhook about each inbound text before it is routed: include "message.received" in events.');
    }
    const secret = body.secret ?? `whsec_${newSecret()}`;
    const url = new URL(body.url).href;
    const created = await opts.store.create({ url, events, decide, secret, createdBy: request.principal?.user?.id ?? null });
    request.log.info({ webhookId: created.id, host: new URL(created.url).host, events }, 'webhook subscription created');
    return reply.code(201).send({ ...webhookJson(created), secret });
  });

  app.get<{ Params: { id: string } }>('/api/v1/webhooks/:id', async (request) => webhookJson(await subscription(request.params.id)));

  app.delete<{ Params: { id: string } }>('/api/v1/webhooks/:id', async (request, reply) => {
    const webhookId = parse(id, request.params.id, 'id');
    if (!(await opts.store.remove(webhookId))) throw notFound('webhook_not_found', `No webhook ${webhookId}.`);
    request.log.info({ webhookId }, 'webhook subscription deleted');
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/api/v1/webhooks/:id/deliveries', async (request) => {
    const sub = await subscription(request.params.id);
    const q = parse(z.object({
      limit: z.string().regex(/^\d{1,3}$/, 'must be a number from 1 to 200').transform(Number).refine((n) => n >= 1 && n <= 200, 'must be from 1 to 200').optional(),
      before: id.optional(),
    }).strict(), request.query, 'query');
    const limit = q.limit ?? 50;
    const deliveries = await opts.store.deliveries(sub.id, { limit, before: q.before });
    return {
      deliveries: deliveries.map(deliveryJson),
      next: deliveries.length === limit ? `/api/v1/webhooks/${sub.id}/deliveries?limit=${limit}&before=${deliveries[deliveries.length - 1]!.id}` : null,
    };
  });

  app.post<{ Params: { id: string; deliveryId: string } }>('/api/v1/webhooks/:id/deliveries/:deliveryId/resend', async (request, reply) => {
    const sub = await subscription(request.params.id);
    const deliveryId = parse(id, request.params.deliveryId, 'deliveryId');
    const found = await opts.store.delivery(sub.id, deliveryId);
    if (!found) throw notFound('delivery_not_found', `Webhook ${sub.id} has no delivery ${deliveryId}.`);
    if (found.kind !== 'event') {
      throw conflict('not_resendable', 'This was an inbound filter\'s question about a text that has been routed since; only event deliveries can be resent.');
    }
    const resent = await opts.store.resend(sub.id, deliveryId);
    if (!resent) throw notFound('delivery_not_found', `Webhook ${sub.id} has no delivery ${deliveryId}.`);
    opts.onQueued?.();
    request.log.info({ webhookId: sub.id, deliveryId, series: resent.series }, 'webhook delivery resent');
    const now = (await opts.store.delivery(sub.id, deliveryId)) ?? { ...resent, log: [] };
    return reply.code(202).send({ delivery: deliveryJson(now) });
  });
}

function webhookJson(w: WebhookSubscription) {
  return { id: w.id, url: w.url, events: w.events, decide: w.decide, secret: w.secretHint, createdAt: w.createdAt, createdBy: w.createdBy };
}

function deliveryJson(d: DeliveryWithLog) {
  return {
    id: d.id, eventId: d.eventId, type: d.type, kind: d.kind, status: d.status, attempts: d.attempts, series: d.series,
    lastStatusCode: d.lastStatusCode, lastError: d.lastError, firstAttemptAt: d.firstAttemptAt, nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    deliveredAt: d.deliveredAt, createdAt: d.createdAt,
    attemptLog: d.log.map((a) => ({ series: a.series, at: a.at, statusCode: a.statusCode, error: a.error, durationMs: a.durationMs })),
  };
}
