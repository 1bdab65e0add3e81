import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  RETRY_DELAYS_MS, RETRY_WINDOW_MS, envelopeBody, nextAttemptAt, parseFilterAnswer, retryDelayMs, secretHint, webhookUrlProblem,
} from '../../src/domain/webhooks.ts';
import { filterQuestionId, signatureHeader, verifySignature } from '../../src/domain/webhook-signature.ts';
import { DispatchEvents } from '../../src/app/dispatch-events.ts';
import { DeferJob } from '../../src/ports/queue.ts';
import type { EventConsumer, EventOutbox, RecordedEvent } from '../../src/ports/event-outbox.ts';

const T0 = new Date('2026-03-01T12:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('retry schedule', () => {
  it('waits 10 s, 30 s, 1 min, 5 min, 15 min, 30 min, then every hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => retryDelayMs(n) / 1000)).toEqual([10, 30, 60, 300, 900, 1800, 3600, 3600, 3600]);
    expect(Math.max(...RETRY_DELAYS_MS)).toBe(3_600_000);
  });

  const cases: [string, { now: number; attempts: number }, number | null][] = [
    ['after the first failure: 10 s on', { now: 0, attempts: 1 }, 10_000],
    ['after the third: a minute on', { now: 90_000, attempts: 3 }, 150_000],
    ['late in the window: no later than its end', { now: RETRY_WINDOW_MS - 60_000, attempts: 30 }, RETRY_WINDOW_MS],
    ['at the end of the window: give up', { now: RETRY_WINDOW_MS, attempts: 31 }, null],
    ['past it: give up', { now: RETRY_WINDOW_MS + 1, attempts: 31 }, null],
  ];
  it.each(cases)('%s', (_what, input, expected) => {
    const next = nextAttemptAt({ firstAttemptAt: T0, now: at(input.now), attempts: input.attempts });
    expect(next?.getTime() ?? null).toBe(expected === null ? null : at(expected).getTime());
  });

  it('takes the schedule and window it is given (tests shorten them)', () => {
    expect(nextAttemptAt({ firstAttemptAt: T0, now: at(10), attempts: 1, delays: [50], windowMs: 400 })).toEqual(at(60));
    expect(nextAttemptAt({ firstAttemptAt: T0, now: at(380), attempts: 5, delays: [50], windowMs: 400 })).toEqual(at(400));
    expect(nextAttemptAt({ firstAttemptAt: T0, now: at(400), attempts: 6, delays: [50], windowMs: 400 })).toBeNull();
  });
});

describe('signature', () => {
  const body = envelopeBody({ id: 'evt_1', type: 'ticket.created', createdAt: T0, data: { ticket: { id: 1 } } });

  it('is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>', () => {
    const header = signatureHeader('s3cret-s3cret-s3cret', body, new Date('2026-03-01T12:00:00.900Z'));
    const t = Math.floor(T0.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', 's3cret-s3cret-s3cret').update(`${t}.${body}`).digest('hex')}`);
    expect(body).toBe('{"id":"evt_1","type":"ticket.created","createdAt":"2026-03-01T12:00:00.000Z","data":{"ticket":{"id":1}}}');
  });

  it('verifies with the secret, over the exact bytes, within the tolerance', () => {
    const header = signatureHeader('s3cret-s3cret-s3cret', body, T0);
    expect(verifySignature(header, body, 's3cret-s3cret-s3cret', { now: at(299_000) })).toBe(true);
    expect(verifySignature(header, body, 's3cret-s3cret-s3cret', { now: at(301_000) })).toBe(false);
    expect(verifySignature(header, `${body} `, 's3cret-s3cret-s3cret', { now: T0 })).toBe(false);
    expect(verifySignature(header, body, 'another-secret-entirely', { now: T0 })).toBe(false);
    expect(verifySignature(header.replace(/v1=\w+/, 'v1=zz'), body, 's3cret-s3cret-s3cret', { now: T0 })).toBe(false);
    expect(verifySignature(undefined, body, 's3cret-s3cret-s3cret', { now: T0 })).toBe(false);
  });

  it("gives an inbound filter's question an id of the event kind, the same for the same text", () => {
    expect(filterQuestionId('SM1')).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(filterQuestionId('SM1')).toBe(filterQuestionId('SM1'));
    expect(filterQuestionId('SM1')).not.toBe(filterQuestionId('SM2'));
  });
});

describe("an inbound filter's answer", () => {
  const cases: [string, ReturnType<typeof parseFilterAnswer>][] = [
    ['{"action":"accept"}', { verdict: { action: 'accept' } }],
    ['{"action":"reject","reason":"spam"}', { verdict: { action: 'reject', reason: 'spam' } }],
    ['{"action":"reject"}', { verdict: { action: 'reject', reason: 'no reason given' } }],
    ['{"action":"reject","reason":42}', { verdict: { action: 'reject', reason: 'no reason given' } }],
    [`{"action":"reject","reason":"${'x'.repeat(600)}"}`, { verdict: { action: 'reject', reason: 'x'.repeat(500) } }],
    ['{"action":"REJECT"}', { problem: 'the answer has no "action": "accept" or "reject"' }],
    ['{}', { problem: 'the answer has no "action": "accept" or "reject"' }],
    ['null', { problem: 'the answer has no "action": "accept" or "reject"' }],
    ['', { problem: 'the answer is not JSON' }],
    ['reject', { problem: 'the answer is not JSON' }],
  ];
  it.each(cases)('%s', (text, expected) => expect(parseFilterAnswer(text)).toEqual(expected));
});

describe('subscription URLs and secrets', () => {
  const cases: [string, RegExp | null][] = [
    ['https://hooks.example.com/smsdesk?token=abc', null],
    ['http://127.0.0.1:8080/hook', null],
    ['ftp://hooks.example.com/', /http\(s\)/],
    ['javascript:alert(1)', /http\(s\)/],
    ['hooks.example.com/x', /absolute URL/],
    ['https://user:pass@hooks.example.com/', /user name or password/],
    ['https://hooks.example.com/#x', /fragment/],
    [`https://hooks.example.com/${'a'.repeat(2000)}`, /at most 2000/],
  ];
  it.each(cases)('%s', (url, problem) => {
    const found = webhookUrlProblem(url);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });

  it('shows a secret as its last four characters', () => expect(secretHint('whsec_abcdefgh')).toBe('…efgh'));
});

describe('DispatchEvents', () => {
  const event: RecordedEvent = {
    id: 'evt_1', type: 'ticket.created', helpdesk: 'builtin', ticketId: 1, data: {}, causedBy: [], createdAt: T0,
  };
  const outbox: EventOutbox = { record: async () => 0, get: async (id) => (id === event.id ? event : null), lastActivity: async () => null };
  const consumer = (name: string, fail: () => unknown = () => null) => {
    const calls: string[] = [];
    const c: EventConsumer & { calls: string[] } = {
      name, calls,
      async handle(e) {
        calls.push(e.id);
        const err = fail();
        if (err) throw err;
      },
    };
    return c;
  };

  it('hands the event to every consumer; one that fails is retried on its own, the others are not run again', async () => {
    let failures = 1;
    const a = consumer('a');
    const b = consumer('b', () => (failures-- > 0 ? new Error('b is down') : null));
    const c = consumer('c');
    const retries: [string, string, Date | null][] = [];
    const dispatch = new DispatchEvents(outbox, [a, b, c], { retryLater: async (...args) => void retries.push(args) });
    await dispatch.run('evt_1');
    expect([a.calls, b.calls, c.calls]).toEqual([['evt_1'], ['evt_1'], ['evt_1']]);
    expect(retries).toEqual([['evt_1', 'b', null]]);
    await dispatch.run('evt_1', 'b');
    expect([a.calls, b.calls, c.calls]).toEqual([['evt_1'], ['evt_1', 'evt_1'], ['evt_1']]);
  });

  it("keeps a consumer's DeferJob as the time of its retry, and rethrows its failure when it runs alone", async () => {
    const until = at(60_000);
    const b = consumer('b', () => new DeferJob(until));
    const retries: [string, string, Date | null][] = [];
    const dispatch = new DispatchEvents(outbox, [b], { retryLater: async (...args) => void retries.push(args) });
    await dispatch.run('evt_1');
    expect(retries).toEqual([['evt_1', 'b', until]]);
    await expect(dispatch.run('evt_1', 'b')).rejects.toBeInstanceOf(DeferJob);
  });

  it('without retryLater, fails the job (every consumer is idempotent, so running them all again is harmless)', async () => {
    const dispatch = new DispatchEvents(outbox, [consumer('a'), consumer('b', () => new Error('down'))]);
    await expect(dispatch.run('evt_1')).rejects.toThrow('down');
  });

  it('does nothing for an event that is not stored', async () => {
    const a = consumer('a');
    await new DispatchEvents(outbox, [a]).run('evt_missing');
    expect(a.calls).toEqual([]);
  });
});
