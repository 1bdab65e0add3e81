import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { backends, pgliteBackend, type Backend } from '../helpers/databases.ts';
import { NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, signIn } from '../helpers/console.ts';
import { postReply, ticketFrom, waitForMessage } from '../helpers/outbound.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { SqlEventOutbox } from '../../src/adapters/db/event-outbox.ts';
import { enqueueJobs } from '../../src/adapters/queue/job-queue.ts';
import { ROUTE_INBOUND_QUEUE } from '../../src/app/receive-inbound.ts';
import type { EventType } from '../../src/domain/events.ts';

/**
 * Outgoing webhooks through the real HTTP server: subscriptions (admins), deliveries signed as CONTRACT.md
 * says and verified here the way a receiver would (a fresh HMAC over the raw body, not smsdesk's own code),
 * retries with a stable id, the delivery log, resend, the inbound filter, and URLs smsdesk refuses to call.
 * Retry waits and the filter's budget are shortened through the options (no test waits 10 s or 5 s).
 */

interface Created { id: number; url: string; events: string[]; decide: boolean; secret: string }
interface Attempt { series: number; at: string; statusCode: number | null; error: string | null; durationMs: number }
interface Delivery {
  id: number; eventId: string; type: string; kind: 'event' | 'decide'; status: 'pending' | 'delivered' | 'failed'; attempts: number; series: number;
  lastStatusCode: number | null; lastError: string | null; firstAttemptAt: string | null; nextAttemptAt: string | null; deliveredAt: string | null;
  attemptLog: Attempt[];
}
interface ErrorBody { error: { code: string; message: string } }
interface ApiMessage { id: number; from: string; body: string; ticketId: number | null; routing: Record<string, unknown> | null }

/** What a receiver does with X-Smsdesk-Signature, as the README documents it. */
function receiverAccepts(header: string | undefined, rawBody: string, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${rawBody}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(m[1])) <= 300;
  return fresh && timingSafeEqual(Buffer.from(m[2]!, 'hex'), expected);
}

describe.each(backends)('outgoing webhooks on $name', (backend: Backend) => {
  let h: Harness;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    h = await startHarness(backend, {
      env: { SMSDESK_FETCH_ALLOW: '127.0.0.1' },
      smsdesk: { webhooks: { delays: [50, 100], decideTimeoutMs: 1_000, decideBreaker: { failures: 2, restMs: 600_000 } } },
    });
  }, 120_000);
  afterEach(async () => {
    // Every test's subscriptions go (an inbound filter would otherwise be asked about the next test's texts).
    for (const w of (await h.api<{ webhooks: { id: number }[] }>('/api/v1/webhooks')).body.webhooks) {
      await h.api(`/api/v1/webhooks/${w.id}`, { method: 'DELETE' });
    }
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => h?.close());

  const receiver = async () => {
    const r = await startWebhookReceiver();
    receivers.push(r);
    return r;
  };
  const subscribe = async (body: Record<string, unknown>) => {
    const res = await h.api<Created>('/api/v1/webhooks', { method: 'POST', body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  const deliveries = async (webhookId: number) => (await h.api<{ deliveries: Delivery[] }>(`/api/v1/webhooks/${webhookId}/deliveries`)).body.deliveries;
  /** Waits until the subscription's deliveries pass `done`; on timeout says what they were. */
  const waitForDeliveries = (webhookId: number, done: (d: Delivery[]) => boolean, what: string) =>
    vi.waitFor(async () => {
      const d = await deliveries(webhookId);
      if (!done(d)) throw new Error(`deliveries never ${what}: ${JSON.stringify(d)}`);
      return d;
    }, { timeout: 10_000, interval: 25 });
  let seq = 0;
  /** Records an event as smsdesk's own code does (the outbox, with its domain-event job); returns its id. */
  const recordEvent = async (type: EventType, data: Record<string, unknown> = {}) => {
    const dedupeKey = `webhooks-test:${backend.name}:${++seq}`;
    await new SqlEventOutbox(h.sql).record([{ type, dedupeKey, helpdesk: 'builtin', ticketId: null, data }]);
    const [row] = await h.sql.query<{ id: string }>('SELECT id FROM domain_events WHERE dedupe_key = $1', [dedupeKey]);
    return row!.id;
  };
  const messagesOf = async (phone: string) => (await h.api<{ messages: ApiMessage[] }>(`/api/v1/messages?phone=${encodeURIComponent(phone)}`)).body.messages;
  const ticketsOf = async (phone: string) => (await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(phone)}`)).body.tickets;

  it('signs each delivery so a receiver can check it; the secret is shown once, then masked', async () => {
    const r = await receiver();
    const created = await subscribe({ url: r.url, events: ['ticket.created'] });
    expect(created.secret).toMatch(/^whsec_[\w-]{40,}$/);
    expect(created.events).toEqual(['ticket.created']);
    const listed = (await h.api<{ webhooks: Created[] }>('/api/v1/webhooks')).body.webhooks.find((w) => w.id === created.id)!;
    expect(listed.secret).toBe(`…${created.secret.slice(-4)}`);
    expect(JSON.stringify((await h.api(`/api/v1/webhooks/${created.id}`)).body)).not.toContain(created.secret);
    const [stored] = await h.sql.query<{ secret: string }>('SELECT secret FROM webhook_subscriptions WHERE id = $1', [created.id]);
    expect(stored!.secret).not.toContain(created.secret);

    const eventId = await recordEvent('ticket.created', { ticket: { id: 7, status: 'open' } });
    const hook = await r.waitFor(1);
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.json).toEqual({ id: eventId, type: 'ticket.created', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), data: { ticket: { id: 7, status: 'open' } } });
    expect(eventId).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(receiverAccepts(hook.headers['x-smsdesk-signature'] as string, hook.body, created.secret)).toBe(true);
    // The signature covers the exact bytes and needs the secret.
    expect(receiverAccepts(hook.headers['x-smsdesk-signature'] as string, hook.body.replace('open', 'shut'), created.secret)).toBe(false);
    expect(receiverAccepts(hook.headers['x-smsdesk-signature'] as string, hook.body, `${created.secret}x`)).toBe(false);

    const [d] = await waitForDeliveries(created.id, (all) => all[0]?.status === 'delivered', 'delivered');
    expect(d).toMatchObject({ eventId, type: 'ticket.created', kind: 'event', attempts: 1, lastStatusCode: 204, lastError: null });
    expect(d!.attemptLog.map((a) => a.statusCode)).toEqual([204]);
  });

  it('retries after a 500 with the same id, and logs each attempt with its status code', async () => {
    const r = await receiver();
    r.answer((_hook, i) => (i === 0 ? { status: 500, body: 'oops' } : { status: 200, body: '{"ok":true}' }));
    const created = await subscribe({ url: r.url, events: ['ticket.status_changed'], secret: 'a-secret-of-my-own-choosing' });
    expect(created.secret).toBe('a-secret-of-my-own-choosing');
    const eventId = await recordEvent('ticket.status_changed', { ticket: { id: 8, status: 'resolved', previousStatus: 'open' } });
    const [first, second] = [await r.waitFor(1), await r.waitFor(2)];
    expect([first.json.id, second.json.id]).toEqual([eventId, eventId]);
    expect(second.body).toBe(first.body);
    for (const hook of [first, second]) expect(receiverAccepts(hook.headers['x-smsdesk-signature'] as string, hook.body, created.secret)).toBe(true);

    const [d] = await waitForDeliveries(created.id, (all) => all[0]?.status === 'delivered', 'delivered');
    expect(d).toMatchObject({ eventId, attempts: 2, lastStatusCode: 200, series: 1 });
    expect(d!.attemptLog.map((a) => a.statusCode)).toEqual([200, 500]); // newest first
    expect(r.received).toHaveLength(2);
  });

  it('delivers an event once however often it is handed on (the dedupe id is the event id)', async () => {
    const r = await receiver();
    const created = await subscribe({ url: r.url, events: ['csat.received'] });
    const eventId = await recordEvent('csat.received', { rating: 5 });
    await r.waitFor(1);
    await h.idle();
    // The domain-event job replayed, and the consumer called again directly: no second delivery.
    await enqueueJobs(h.sql, 'domain-event', [{ key: `event:replay:${eventId}`, payload: { eventId } }]);
    h.smsdesk.domainEvents.wake();
    const event = (await new SqlEventOutbox(h.sql).get(eventId))!;
    for (const consumer of h.smsdesk.eventConsumers) await consumer.handle(event);
    await h.idle();
    expect(await deliveries(created.id)).toHaveLength(1);
    expect(r.received.map((x) => x.json.id)).toEqual([eventId]);
  });

  it('resends a delivery as a new attempt series with the same id', async () => {
    const r = await receiver();
    const created = await subscribe({ url: r.url, events: ['usage.threshold'] });
    const eventId = await recordEvent('usage.threshold', { percent: 80 });
    await r.waitFor(1);
    const [d] = await waitForDeliveries(created.id, (all) => all[0]?.status === 'delivered', 'delivered');
    const resent = await h.api<{ delivery: Delivery }>(`/api/v1/webhooks/${created.id}/deliveries/${d!.id}/resend`, { method: 'POST' });
    expect(resent.status).toBe(202);
    expect(resent.body.delivery).toMatchObject({ id: d!.id, eventId, series: 2, status: 'pending', attempts: 0 });
    const again = await r.waitFor(2);
    expect(again.json.id).toBe(eventId);
    const [after] = await waitForDeliveries(created.id, (all) => all[0]?.status === 'delivered' && all[0].series === 2, 'delivered again');
    expect(after).toMatchObject({ attempts: 1, series: 2 });
    expect(after!.attemptLog.map((a) => a.series)).toEqual([2, 1]);

    expect((await h.api<ErrorBody>(`/api/v1/webhooks/${created.id}/deliveries/999999/resend`, { method: 'POST' })).body.error.code).toBe('delivery_not_found');
  });

  it('refuses to call internal addresses: a failed attempt naming the reason, no retries, nothing of the URL leaked', async () => {
    const metadata = await subscribe({ url: 'https://169.254.169.254/latest/meta-data/iam?token=hunter2', events: ['ticket.created'] });
    const loopback = await subscribe({ url: 'https://[::1]:4431/hook', events: ['ticket.created'] });
    const named = await subscribe({ url: 'https://localhost:4432/hook', events: ['ticket.created'] });
    await recordEvent('ticket.created', { ticket: { id: 9, status: 'open' } });
    const cases: [number, RegExp][] = [
      [metadata.id, /refused to call it: the URL is a link-local address \(169\.254\.169\.254\)/],
      [loopback.id, /refused to call it: the URL is a loopback address \(::1\)/],
      [named.id, /refused to call it: the URL resolves to a loopback address/],
    ];
    for (const [id, why] of cases) {
      const [d] = await waitForDeliveries(id, (all) => all[0]?.status === 'failed', 'failed');
      expect(d, String(why)).toMatchObject({ attempts: 1, lastStatusCode: null, nextAttemptAt: null });
      expect(d!.lastError).toMatch(why);
      expect(d!.attemptLog).toEqual([expect.objectContaining({ statusCode: null, error: d!.lastError })]);
      expect(d!.lastError).not.toMatch(/meta-data|hunter2|\/hook/);
    }
  });

  it('asks an inbound filter before routing: a rejection keeps the text on no ticket, and a replay does not ask again', async () => {
    const customer = '+14155550121';
    const r = await receiver();
    r.answer(() => ({ status: 200, body: JSON.stringify({ action: 'reject', reason: 'known spam sender' }) }));
    const created = await subscribe({ url: r.url, events: ['message.received'], decide: true });
    const told = await receiver();
    await subscribe({ url: told.url, events: ['message.received', 'ticket.created'] });
    await h.text(customer, NUMBER, 'WIN A PRIZE');
    await h.idle();
    // A rejected text is no event: nothing is told of it.
    expect(told.received).toEqual([]);

    const question = await r.waitFor(1);
    expect(receiverAccepts(question.headers['x-smsdesk-signature'] as string, question.body, created.secret)).toBe(true);
    expect(question.json).toMatchObject({
      id: expect.stringMatching(/^evt_[0-9a-f]{32}$/), type: 'message.received',
      data: { decide: true, message: { direction: 'inbound', from: customer, to: NUMBER, body: 'WIN A PRIZE' } },
    });
    const [text] = await messagesOf(customer);
    expect(text!.ticketId).toBeNull();
    expect(text!.routing).toMatchObject({ action: 'rejected', reason: 'known spam sender', webhookId: created.id });
    expect(await ticketsOf(customer)).toEqual([]);

    // A crash after the verdict was recorded and before the rejection was: the job runs again, the filter
    // would now accept, yet nobody is asked and the text stays rejected.
    r.answer(() => ({ status: 200, body: '{"action":"accept"}' }));
    await h.sql.query('UPDATE messages SET routing = NULL, routed_at = NULL WHERE id = $1', [text!.id]);
    await enqueueJobs(h.sql, ROUTE_INBOUND_QUEUE, [{ key: customer, payload: { messageId: text!.id } }]);
    h.smsdesk.worker.wake();
    await h.idle();
    expect(r.received).toHaveLength(1);
    expect((await messagesOf(customer))[0]!.routing).toMatchObject({ action: 'rejected', reason: 'known spam sender' });
    expect(await ticketsOf(customer)).toEqual([]);

    // The question is in the delivery log (kind decide), answered 200; it cannot be resent.
    const [d] = await deliveries(created.id);
    expect(d).toMatchObject({ kind: 'decide', type: 'message.received', eventId: question.json.id, status: 'delivered', lastStatusCode: 200 });
    const resend = await h.api<ErrorBody>(`/api/v1/webhooks/${created.id}/deliveries/${d!.id}/resend`, { method: 'POST' });
    expect([resend.status, resend.body.error.code]).toEqual([409, 'not_resendable']);
  });

  it('routes a text as usual when the filter accepts, answers nonsense, or fails', async () => {
    const r = await receiver();
    const answers = [
      { status: 200, body: '{"action":"accept"}' },
      { status: 200, body: 'reject, please', contentType: 'text/plain' },
      { status: 503, body: '{"action":"reject","reason":"down"}' },
    ];
    r.answer((_hook, i) => answers[i] ?? { status: 204 });
    const created = await subscribe({ url: r.url, events: ['message.received'], decide: true });
    const told = await receiver();
    await subscribe({ url: told.url, events: ['message.received', 'ticket.created'] });
    const customers = ['+14155550122', '+14155550123', '+14155550124'];
    for (const [i, customer] of customers.entries()) {
      await h.text(customer, NUMBER, `Hello ${i}`);
      await h.idle();
      await r.waitFor(i + 1);
      const [text] = await messagesOf(customer);
      expect(text!.routing, customer).toMatchObject({ action: 'create' });
      expect(text!.ticketId, customer).not.toBeNull();
      expect(await ticketsOf(customer), customer).toHaveLength(1);
      // Routed texts are events as usual: told to the other subscription (ticket.created and message.received).
      await told.waitFor(2 * (i + 1));
    }
    const log = (await deliveries(created.id)).reverse();
    // The filter was asked (kind decide) and is not told of the same texts again as message.received events.
    expect(log.map((d) => [d.kind, d.status, d.lastStatusCode])).toEqual([['decide', 'delivered', 200], ['decide', 'failed', 200], ['decide', 'failed', 503]]);
    expect(log[1]!.lastError).toMatch(/not JSON; routed as usual/);
    const tellings = told.received.map((x) => [x.json.type, x.json.data.message.from]);
    expect(tellings).toEqual(expect.arrayContaining(customers.flatMap((c) => [['ticket.created', c], ['message.received', c]])));
    expect(tellings).toHaveLength(6);
    expect(r.received).toHaveLength(3);
  });

  it('routes a text as usual when the filter does not answer within its budget; one that keeps silent rests', async () => {
    const customers = ['+14155550125', '+14155550128', '+14155550129'];
    const r = await receiver();
    r.answer(() => 'hang');
    const created = await subscribe({ url: r.url, events: ['message.received'], decide: true });
    for (const [i, customer] of customers.entries()) {
      await h.text(customer, NUMBER, `Are you there? (${i})`);
      await h.idle();
      const [text] = await messagesOf(customer);
      expect(text!.routing, customer).toMatchObject({ action: 'create' });
      expect(await ticketsOf(customer), customer).toHaveLength(1);
    }
    // Asked about the first two texts (the harness rests a filter after two silences), not about the third.
    expect(r.received).toHaveLength(2);
    const log = (await deliveries(created.id)).reverse();
    expect(log.map((d) => [d.kind, d.status, d.lastStatusCode])).toEqual([['decide', 'failed', null], ['decide', 'failed', null], ['decide', 'failed', null]]);
    expect(log[0]!.lastError).toMatch(/^no answer within 1 s; routed as usual$/);
    expect(log[2]!.lastError).toMatch(/^not asked: it did not answer 2 times in a row, so it rests until .*; routed as usual$/);
  });

  it('tells subscribers of opt-out changes (STOP, START) and of outbound status changes', async () => {
    const customer = '+14155550126';
    const r = await receiver();
    await subscribe({ url: r.url, events: ['optout.changed', 'message.status_changed'] });
    await h.text(customer, NUMBER, 'STOP');
    const stop = await r.waitFor(1);
    expect(stop.json).toMatchObject({ type: 'optout.changed', data: { customer, sender: NUMBER, optedOut: true, keyword: 'STOP' } });
    await h.text(customer, NUMBER, 'STOP');
    await h.text(customer, NUMBER, 'START');
    const start = await r.waitFor(2);
    expect(start.json).toMatchObject({ type: 'optout.changed', data: { customer, optedOut: false, keyword: 'START' } });
    await h.idle();
    // The second STOP changed nothing, so it is no event.
    expect(r.received.filter((x) => x.json.type === 'optout.changed' && x.json.data.customer === customer)).toHaveLength(2);

    const other = '+14155550127';
    const ticketId = await ticketFrom(h, other);
    const sent = await postReply(h, ticketId, { body: 'We are on it' });
    await waitForMessage(h, sent.body.message.id, (m) => m.status === 'delivered', 'delivered');
    await vi.waitFor(() => {
      const statuses = r.received.filter((x) => x.json.type === 'message.status_changed' && x.json.data.message.id === sent.body.message.id);
      expect(statuses.map((x) => x.json.data.message.status)).toContain('delivered');
    }, { timeout: 10_000, interval: 25 });
    const delivered = r.received.find((x) => x.json.type === 'message.status_changed' && x.json.data.message.status === 'delivered')!;
    expect(delivered.json.data).toMatchObject({ ticketId, message: { direction: 'outbound', to: other, body: 'We are on it' } });
  });

  it('refuses bad input with a 400 naming the field, and non-admins with 403', async () => {
    const bad: [Record<string, unknown>, string, RegExp][] = [
      [{ events: ['ticket.created'] }, 'invalid_request', /body url/],
      [{ url: 'ftp://files.example.com/x', events: ['ticket.created'] }, 'invalid_url', /url must be an http\(s\) URL/],
      [{ url: 'not a url', events: ['ticket.created'] }, 'invalid_url', /url must be an absolute URL/],
      [{ url: 'https://ops:pw@hooks.example.com/x', events: ['ticket.created'] }, 'invalid_url', /url must not carry a user name or password/],
      [{ url: 'https://hooks.example.com/x', events: ['ticket.exploded', 'ticket.idle', 'ticket.created'] }, 'unknown_event_type', /unknown types "ticket\.exploded", "ticket\.idle"; known: message\.received/],
      [{ url: 'https://hooks.example.com/x', events: [] }, 'invalid_request', /body events/],
      [{ url: 'https://hooks.example.com/x', events: 'ticket.created' }, 'invalid_request', /body events/],
      [{ url: 'https://hooks.example.com/x', events: ['ticket.created'], decide: true }, 'invalid_decide', /include "message\.received"/],
      [{ url: 'https://hooks.example.com/x', events: ['ticket.created'], decide: 'yes' }, 'invalid_request', /body decide/],
      [{ url: 'https://hooks.example.com/x', events: ['ticket.created'], secret: 'short' }, 'invalid_request', /body secret must be at least 16/],
      [{ url: 'https://hooks.example.com/x', events: ['ticket.created'], colour: 'red' }, 'invalid_request', /colour/],
    ];
    for (const [body, code, why] of bad) {
      const res = await h.api<ErrorBody>('/api/v1/webhooks', { method: 'POST', body });
      expect([res.status, res.body.error?.code], JSON.stringify(body)).toEqual([400, code]);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(why);
    }
    expect((await h.api<{ webhooks: unknown[] }>('/api/v1/webhooks')).body.webhooks).toEqual([]);
    const paths: [string, string, number, string][] = [
      ['DELETE', '/api/v1/webhooks/999', 404, 'webhook_not_found'],
      ['DELETE', '/api/v1/webhooks/abc', 400, 'invalid_request'],
      ['GET', '/api/v1/webhooks/999/deliveries', 404, 'webhook_not_found'],
    ];
    for (const [method, path, status, code] of paths) {
      const res = await h.api<ErrorBody>(path, { method });
      expect([res.status, res.body.error.code], path).toEqual([status, code]);
    }
    const created = await subscribe({ url: 'https://hooks.example.com/x', events: ['ticket.created'] });
    const limit = await h.api<ErrorBody>(`/api/v1/webhooks/${created.id}/deliveries?limit=0`);
    expect([limit.status, limit.body.error.code]).toEqual([400, 'invalid_request']);
    expect(limit.body.error.message).toMatch(/query limit/);

    await addUser(h, `bo-${backend.name}@example.com`, 'agent', 'Bo');
    const bo = await signIn(h, `bo-${backend.name}@example.com`);
    for (const [method, path, body] of [['GET', '/api/v1/webhooks'], ['POST', '/api/v1/webhooks', { url: 'https://x.example.com', events: ['ticket.created'] }],
      ['DELETE', `/api/v1/webhooks/${created.id}`], ['GET', `/api/v1/webhooks/${created.id}/deliveries`]] as const) {
      const res = await bo.call<ErrorBody>(path, { method, body });
      expect([res.status, res.body.error.code], `${method} ${path}`).toEqual([403, 'admin_only']);
    }
    expect((await h.api<ErrorBody>('/api/v1/webhooks', { token: null })).status).toBe(401);
  });
});

describe('outgoing webhooks: giving up', () => {
  let h: Harness;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    h = await startHarness(pgliteBackend, {
      env: { SMSDESK_FETCH_ALLOW: '127.0.0.1' },
      smsdesk: { webhooks: { delays: [100], windowMs: 400 } },
    });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('fails a delivery once its window since the first attempt is over; a redirect is not followed', async () => {
    const failing = await startWebhookReceiver();
    const redirecting = await startWebhookReceiver();
    receivers.push(failing, redirecting);
    failing.answer(() => ({ status: 500 }));
    redirecting.answer(() => ({ status: 302, body: '' }));
    const ids: number[] = [];
    for (const url of [failing.url, redirecting.url]) {
      const res = await h.api<Created>('/api/v1/webhooks', { method: 'POST', body: { url, events: ['ticket.created'] } });
      ids.push(res.body.id);
    }
    await new SqlEventOutbox(h.sql).record([{ type: 'ticket.created', dedupeKey: 'giving-up', helpdesk: 'builtin', ticketId: 1, data: {} }]);
    for (const id of ids) {
      const d = await vi.waitFor(async () => {
        const [x] = (await h.api<{ deliveries: Delivery[] }>(`/api/v1/webhooks/${id}/deliveries`)).body.deliveries;
        if (x?.status !== 'failed') throw new Error(`delivery never failed: ${JSON.stringify(x)}`);
        return x;
      }, { timeout: 10_000, interval: 25 });
      expect(d.attempts).toBeGreaterThanOrEqual(2);
      expect(d.nextAttemptAt).toBeNull();
      expect(d.attemptLog).toHaveLength(d.attempts);
    }
    const [redirected] = (await h.api<{ deliveries: Delivery[] }>(`/api/v1/webhooks/${ids[1]}/deliveries`)).body.deliveries;
    expect(redirected!.lastStatusCode).toBe(302);
    expect(redirected!.lastError).toMatch(/redirect, which smsdesk does not follow/);
    expect(failing.received.every((x) => x.path === '/hook')).toBe(true);
  });
});
