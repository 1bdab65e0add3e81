import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioClient, type TwilioClient } from '../../src/adapters/twilio/client.ts';
import { startTwilioEmulator, type EmulatorMessageView, type TwilioEmulator } from '../../src/adapters/twilio/emulator/index.ts';

const ACCOUNT = { sid: `AC${'c'.repeat(32)}`, authToken: 'token-of-account-c' };
const STATUS_DELAY_MS = 10;

interface ReceivedCallback {
  path: string;
  headers: IncomingHttpHeaders;
  params: Record<string, string>;
}

let receiver: Server;
let receiverOrigin: string;
let callbacks: ReceivedCallback[] = [];
let emulator: TwilioEmulator;
let client: TwilioClient;
let numberSeq = 0;

/** A fresh number per use, so tests never share a sender queue or a To filter. */
function freshNumber(): string {
  numberSeq += 1;
  return `+1415555${String(1000 + numberSeq).padStart(4, '0')}`;
}

/** A fast sender: these tests are about the API, not throughput (except where they say so). */
function fastSender(): string {
  const from = freshNumber();
  emulator.setSender(from, { mps: 1000 });
  return from;
}

const basicAuth = (sid: string, token: string) => `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;
const messagesUrl = () => `${emulator.apiBaseUrl}/2010-04-01/Accounts/${ACCOUNT.sid}/Messages.json`;

async function rawCreate(params: Record<string, string | string[]>, authorization = basicAuth(ACCOUNT.sid, ACCOUNT.authToken)): Promise<Response> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) form.append(name, v);
  return fetch(messagesUrl(), {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

const callbacksFor = (sid: string) => callbacks.filter((c) => c.params.MessageSid === sid);
const viewOf = (sid: string): EmulatorMessageView | undefined => emulator.messages().find((m) => m.sid === sid);
/** Waits until `n` status callbacks of the message were answered (our receiver has them all by then). */
const callbacksAnswered = (sid: string, n: number) =>
  emulator.waitForStatusCallback((c) => c.messageSid === sid && c.responseStatus !== null, { count: n, what: `${n} answered status callbacks of ${sid}` });
const FINAL = ['delivered', 'undelivered', 'failed', 'canceled'];
const finalStatus = (sid: string) => emulator.waitForMessage((m) => m.sid === sid && FINAL.includes(m.status), { what: `${sid} in a final status` });

function statusCallbackUrl(name: string): string {
  // A query string with an escape: the signature covers the URL exactly as given.
  return `${receiverOrigin}/status?case=${name}&x=a%20b`;
}

function expectSigned(callback: ReceivedCallback): void {
  const signature = callback.headers['x-twilio-signature'];
  expect(typeof signature).toBe('string');
  const url = receiverOrigin + callback.path;
  expect(twilio.validateRequest(ACCOUNT.authToken, signature as string, url, callback.params)).toBe(true);
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      callbacks.push({ path: req.url ?? '', headers: req.headers, params: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  emulator = await startTwilioEmulator({ accounts: [ACCOUNT], statusDelayMs: STATUS_DELAY_MS });
  client = createTwilioClient(ACCOUNT, emulator.apiBaseUrl);
});

afterAll(async () => {
  await emulator.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

beforeEach(() => {
  callbacks = [];
});

describe('create', () => {
  it('answers 201 with the Message resource, then progresses to delivered with signed status callbacks in order', async () => {
    const from = fastSender();
    const to = freshNumber();
    const statusCallback = statusCallbackUrl('delivered');
    const created = await client.messages.createWithHttpInfo({ to, from, body: 'Hello from smsdesk', statusCallback });

    expect(created.statusCode).toBe(201);
    const message = created.body;
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message).toMatchObject({
      accountSid: ACCOUNT.sid,
      to,
      from,
      messagingServiceSid: null,
      body: 'Hello from smsdesk',
      status: 'queued',
      numSegments: '1',
      numMedia: '0',
      direction: 'outbound-api',
      apiVersion: '2010-04-01',
      dateSent: null,
      errorCode: null,
      errorMessage: null,
      price: null,
      uri: `/2010-04-01/Accounts/${ACCOUNT.sid}/Messages/${message.sid}.json`,
      subresourceUris: { media: `/2010-04-01/Accounts/${ACCOUNT.sid}/Messages/${message.sid}/Media.json` },
    });
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(Math.abs(message.dateCreated.getTime() - Date.now())).toBeLessThan(5000);

    await callbacksAnswered(message.sid, 3);
    const received = callbacksFor(message.sid);
    expect(received.map((c) => c.params.MessageStatus)).toEqual(['sending', 'sent', 'delivered']);
    for (const callback of received) {
      expect(callback.path).toBe(new URL(statusCallback).pathname + new URL(statusCallback).search);
      expect(callback.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expectSigned(callback);
    }
    expect(received[2]?.params).toEqual({
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: 'delivered',
      SmsStatus: 'delivered',
      AccountSid: ACCOUNT.sid,
      From: from,
      To: to,
      ApiVersion: '2010-04-01',
    });

    const fetched = await client.messages(message.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.dateSent).toBeInstanceOf(Date);
    expect(viewOf(message.sid)?.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
  });

  it('counts segments, uses an MM SID for media, and lists no media for an outbound message', async () => {
    const from = fastSender();
    const unicode = await client.messages.create({ to: freshNumber(), from, body: '👋'.repeat(40) });
    expect(unicode.numSegments).toBe('2');
    expect(unicode.sid).toMatch(/^SM/);

    const mms = await client.messages.create({ to: freshNumber(), from, mediaUrl: ['https://example.com/a.png', 'https://example.com/b.png'] });
    expect(mms.sid).toMatch(/^MM[0-9a-f]{32}$/);
    expect(mms).toMatchObject({ numMedia: '2', body: '' });
    expect(await client.messages(mms.sid).media.list()).toEqual([]);
  });

  it("validates like Twilio, with Twilio's error codes and test magic numbers", async () => {
    const from = fastSender();
    const to = freshNumber();
    const cases: [Parameters<TwilioClient['messages']['create']>[0], number][] = [
      [{ to, from }, 21602],
      [{ to, from, body: 'x'.repeat(1601) }, 21617],
      [{ to, from, mediaUrl: Array.from({ length: 11 }, (_, i) => `https://example.com/${i}.png`) }, 21623],
      [{ to: 'not a number', from, body: 'x' }, 21211],
      [{ to: '+15005550001', from, body: 'x' }, 21211],
      [{ to: '+15005550003', from, body: 'x' }, 21408],
      [{ to: '+15005550004', from, body: 'x' }, 21610],
      [{ to: '+15005550009', from, body: 'x' }, 21614],
      [{ to }, 21603],
    ];
    for (const [params, code] of cases) {
      await expect(client.messages.create(params)).rejects.toMatchObject({ status: 400, code, moreInfo: `https://www.twilio.com/docs/errors/${code}` });
    }
    // 1600 characters is still fine.
    await expect(client.messages.create({ to, from, body: 'x'.repeat(1600) })).resolves.toMatchObject({ numSegments: '11' });

    // The SDK refuses to send without To itself, so this one goes raw.
    const noTo = await rawCreate({ From: from, Body: 'x' });
    expect(noTo.status).toBe(400);
    expect(await noTo.json()).toEqual({
      code: 21604,
      message: "A 'To' phone number is required.",
      more_info: 'https://www.twilio.com/docs/errors/21604',
      status: 400,
    });
    expect(emulator.messages().filter((m) => m.to === to)).toHaveLength(1);
  });

  it('answers 401 / 20003 to wrong credentials', async () => {
    const wrong = createTwilioClient({ sid: ACCOUNT.sid, authToken: 'wrong' }, emulator.apiBaseUrl);
    await expect(wrong.messages.create({ to: freshNumber(), from: fastSender(), body: 'x' })).rejects.toMatchObject({ status: 401, code: 20003 });
    const raw = await rawCreate({ To: freshNumber(), From: fastSender(), Body: 'x' }, 'Basic bm9wZTpub3Bl');
    expect(raw.status).toBe(401);
  });

  it('refuses media from a sender that is not MMS-capable with 21606', async () => {
    const from = fastSender();
    emulator.setSender(from, { mms: false });
    await expect(client.messages.create({ to: freshNumber(), from, body: 'x', mediaUrl: ['https://example.com/a.png'] })).rejects.toMatchObject({
      status: 400,
      code: 21606,
      message: expect.stringContaining('not MMS-capable'),
    });
    await expect(client.messages.create({ to: freshNumber(), from, body: 'plain SMS is fine' })).resolves.toMatchObject({ status: 'queued' });
  });

  it('starts a Messaging Service message as accepted and sends it from the service’s sender', async () => {
    const serviceSid = `MG${'1'.repeat(32)}`;
    const sender = fastSender();
    emulator.setMessagingServiceSender(serviceSid, sender);
    const message = await client.messages.create({ to: freshNumber(), messagingServiceSid: serviceSid, body: 'via service', statusCallback: statusCallbackUrl('mg') });
    expect(message).toMatchObject({ status: 'accepted', from: null, messagingServiceSid: serviceSid });
    await callbacksAnswered(message.sid, 3);
    expect(callbacksFor(message.sid)[2]?.params).toMatchObject({ MessageStatus: 'delivered', From: sender, MessagingServiceSid: serviceSid });
    expect(viewOf(message.sid)?.statusHistory.map((h) => h.status)).toEqual(['accepted', 'queued', 'sending', 'sent', 'delivered']);
  });
});

describe('delivery outcomes and callbacks', () => {
  it('ends undelivered with the ErrorCode in the callback and on the resource', async () => {
    const to = freshNumber();
    emulator.setDeliveryOutcome(to, { status: 'undelivered', errorCode: 30007 });
    const message = await client.messages.create({ to, from: fastSender(), body: 'spammy', statusCallback: statusCallbackUrl('undelivered') });
    await callbacksAnswered(message.sid, 3);
    const received = callbacksFor(message.sid);
    expect(received.map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([
      ['sending', undefined],
      ['sent', undefined],
      ['undelivered', '30007'],
    ]);
    received.forEach(expectSigned);
    const fetched = await client.messages(message.sid).fetch();
    expect(fetched).toMatchObject({ status: 'undelivered', errorCode: 30007, errorMessage: 'Message filtered' });
    emulator.setDeliveryOutcome(to, null);
  });

  it('ends failed without passing through sent', async () => {
    const to = freshNumber();
    emulator.setDeliveryOutcome(to, { status: 'failed', errorCode: 30003 });
    const message = await client.messages.create({ to, from: fastSender(), body: 'x', statusCallback: statusCallbackUrl('failed') });
    await callbacksAnswered(message.sid, 2);
    expect(callbacksFor(message.sid).map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([
      ['sending', undefined],
      ['failed', '30003'],
    ]);
    expect((await client.messages(message.sid).fetch()).dateSent).toBeNull();
  });

  it('can send every callback twice and in random order', async () => {
    emulator.setOutboundOptions({ duplicateCallbacks: true, shuffleCallbacks: true });
    try {
      const message = await client.messages.create({ to: freshNumber(), from: fastSender(), body: 'x', statusCallback: statusCallbackUrl('dup') });
      await callbacksAnswered(message.sid, 6);
      const statuses = callbacksFor(message.sid).map((c) => c.params.MessageStatus);
      expect([...statuses].sort()).toEqual(['delivered', 'delivered', 'sending', 'sending', 'sent', 'sent']);
      callbacksFor(message.sid).forEach(expectSigned);
    } finally {
      emulator.setOutboundOptions({ duplicateCallbacks: false, shuffleCallbacks: false });
    }
  });
});

describe('sender queues', () => {
  it("sends no faster than the sender's MPS and records each send time", async () => {
    const from = freshNumber();
    emulator.setSender(from, { mps: 50 });
    const sids = (await Promise.all(Array.from({ length: 5 }, (_, i) => client.messages.create({ to: freshNumber(), from, body: `burst ${i}` })))).map((m) => m.sid);
    await Promise.all(sids.map(finalStatus));

    const log = emulator.sentLog.filter((e) => e.from === from);
    expect(log.map((e) => e.sid).sort()).toEqual([...sids].sort());
    const times = log.map((e) => e.sentAt.getTime());
    // On schedule: the k-th send no earlier than k intervals after the first (a timer that fired late may be
    // followed by a shorter gap, as Twilio's queue keeps its pace rather than losing the lag).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[0]!).toBeGreaterThanOrEqual((i * 1000) / 50);
    // date_sent is the moment the message left the queue.
    const fetched = await client.messages(log[0]!.sid).fetch();
    expect(fetched.dateSent?.getTime()).toBe(Math.floor(times[0]! / 1000) * 1000);
  });

  it('defaults by sender type: toll-free 3 MPS, short code 100 MPS', async () => {
    const tollFree = '+18005550100';
    const shortCode = '12345';
    const sids = await Promise.all(
      [tollFree, tollFree, shortCode, shortCode, shortCode].map(async (from) => (await client.messages.create({ to: freshNumber(), from, body: 'x' })).sid),
    );
    await Promise.all(sids.map(finalStatus));
    /** Each send's distance from the sender's first, against k intervals. */
    const offsets = (from: string) => {
      const times = emulator.sentLog.filter((e) => e.from === from).map((e) => e.sentAt.getTime());
      return times.slice(1).map((t) => t - times[0]!);
    };
    offsets(tollFree).forEach((offset, k) => expect(offset).toBeGreaterThanOrEqual(((k + 1) * 1000) / 3));
    offsets(shortCode).forEach((offset, k) => expect(offset).toBeGreaterThanOrEqual(((k + 1) * 1000) / 100));
  });
});

describe('failures of the create request', () => {
  it('answers 429 / 20429 with Retry-After when too many creates overlap', async () => {
    emulator.setOutboundOptions({ maxConcurrentRequests: 2 });
    const held = emulator.holdCreates();
    try {
      const from = fastSender();
      const since = emulator.cursors().apiRequests;
      const sdkAttempts = Promise.allSettled([1, 2, 3].map((i) => client.messages.create({ to: freshNumber(), from, body: `overlap ${i}` })));
      // Two are in flight (held); the third arrived over the limit (answered as it arrives).
      await held.waitUntilHeld(2);
      await emulator.waitForApiRequest((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'), { since, count: 3 });
      const raw = await rawCreate({ To: freshNumber(), From: from, Body: 'raw overlap' });
      expect(raw.status).toBe(429);
      expect(raw.headers.get('retry-after')).toBe('1');
      expect(await raw.json()).toEqual({ code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 });

      held.release();
      const outcomes = await sdkAttempts;
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
      const rejected = outcomes.filter((o) => o.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.reason).toMatchObject({ status: 429, code: 20429 });
    } finally {
      held.release();
      emulator.setOutboundOptions({ maxConcurrentRequests: 100 });
    }
  });

  it('fails the next creates as told, creating nothing', async () => {
    const to = freshNumber();
    const from = fastSender();
    emulator.failNextCreates(1, { status: 500 });
    emulator.failNextCreates(1, { status: 429, code: 20429 });
    await expect(client.messages.create({ to, from, body: 'x' })).rejects.toMatchObject({ status: 500, code: 20500 });
    await expect(client.messages.create({ to, from, body: 'x' })).rejects.toMatchObject({ status: 429, code: 20429 });
    expect(emulator.messages().filter((m) => m.to === to)).toEqual([]);
    await expect(client.messages.create({ to, from, body: 'x' })).resolves.toMatchObject({ status: 'queued' });
  });

  it('creates the message when the answer hangs past the client timeout', async () => {
    const impatient = twilio(ACCOUNT.sid, ACCOUNT.authToken, { autoRetry: false, timeout: 100 });
    impatient.api.baseUrl = emulator.apiBaseUrl;
    const to = freshNumber();
    const from = fastSender();
    emulator.failNextCreates(1, { hangMs: 400 });
    await expect(impatient.messages.create({ to, from, body: 'did it go?' })).rejects.toThrow(/timeout/i);

    const found = await client.messages.list({ to, from, limit: 5 });
    expect(found.map((m) => m.body)).toEqual(['did it go?']);
  });
});

describe('fetch, list and cancel', () => {
  it('answers 404 / 20404 for an unknown SID', async () => {
    await expect(client.messages(`SM${'0'.repeat(32)}`).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it('lists newest first with Twilio paging, through the SDK and raw', async () => {
    const to = freshNumber();
    const from = fastSender();
    for (let i = 0; i < 5; i++) await client.messages.create({ to, from, body: `page test ${i}` });
    await client.messages.create({ to: freshNumber(), from, body: 'another recipient' });

    const requestsBefore = emulator.apiRequests.length;
    const all = await client.messages.list({ to, pageSize: 2, limit: 10 });
    expect(all.map((m) => m.body)).toEqual(['page test 4', 'page test 3', 'page test 2', 'page test 1', 'page test 0']);
    const pageRequests = emulator.apiRequests.slice(requestsBefore).filter((r) => r.method === 'GET');
    expect(pageRequests).toHaveLength(3);
    expect(pageRequests[1]?.path).toContain('PageToken=PA');

    const limited = await client.messages.list({ to, limit: 3 });
    expect(limited.map((m) => m.body)).toEqual(['page test 4', 'page test 3', 'page test 2']);

    const auth = { Authorization: basicAuth(ACCOUNT.sid, ACCOUNT.authToken) };
    const first = (await (await fetch(`${messagesUrl()}?To=${encodeURIComponent(to)}&PageSize=2`, { headers: auth })).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ page: 0, page_size: 2, start: 0, end: 1, previous_page_uri: null });
    expect(first.first_page_uri).toBe(`/2010-04-01/Accounts/${ACCOUNT.sid}/Messages.json?To=${encodeURIComponent(to)}&PageSize=2&Page=0`);
    expect(first.next_page_uri).toMatch(/&Page=1&PageToken=PA(SM|MM)[0-9a-f]{32}$/);
    const second = (await (await fetch(emulator.apiBaseUrl + (first.next_page_uri as string), { headers: auth })).json()) as Record<string, unknown>;
    expect(second).toMatchObject({ page: 1, start: 2, end: 3 });
    expect(second.previous_page_uri).toMatch(/&Page=0&PageToken=PB/);

    // DateSent> (on or after a day): only messages already sent match.
    await Promise.all(emulator.messages().filter((m) => m.to === to).map(({ sid }) => emulator.waitForMessage((m) => m.sid === sid && m.dateSent !== null)));
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const byDay = async (day: string) =>
      ((await (await fetch(`${messagesUrl()}?To=${encodeURIComponent(to)}&DateSent%3E=${day}`, { headers: auth })).json()) as { messages: unknown[] }).messages;
    expect(await byDay(today)).toHaveLength(5);
    expect(await byDay(tomorrow)).toHaveLength(0);
    expect(await client.messages.list({ to, dateSentAfter: new Date(`${today}T00:00:00Z`) })).toHaveLength(5);
  });

  it('cancels a queued message; a message already sending cannot be canceled (30409)', async () => {
    const from = freshNumber();
    emulator.setSender(from, { mps: 1 });
    const first = await client.messages.create({ to: freshNumber(), from, body: 'goes out' });
    const second = await client.messages.create({ to: freshNumber(), from, body: 'waits a second in the queue', statusCallback: statusCallbackUrl('cancel') });

    const canceled = await client.messages(second.sid).update({ status: 'canceled' });
    expect(canceled.status).toBe('canceled');
    await callbacksAnswered(second.sid, 1);
    expect(callbacksFor(second.sid)[0]?.params.MessageStatus).toBe('canceled');

    await finalStatus(first.sid);
    await expect(client.messages(first.sid).update({ status: 'canceled' })).rejects.toMatchObject({ status: 400, code: 30409 });
    expect(emulator.sentLog.map((e) => e.sid)).not.toContain(second.sid);
    expect(viewOf(second.sid)?.statusHistory.map((h) => h.status)).toEqual(['queued', 'canceled']);
  });
});

describe('sandbox visibility', () => {
  it('shows inbound and outbound messages with their status history at /__emulator/messages', async () => {
    emulator.setWebhookUrl(`${receiverOrigin}/inbound`);
    const inbound = await emulator.sendInbound({ from: freshNumber(), to: freshNumber(), body: 'hi' });
    const outbound = await client.messages.create({ to: freshNumber(), from: fastSender(), body: 'hello back' });
    await finalStatus(outbound.sid);

    const response = await fetch(`${emulator.apiBaseUrl}/__emulator/messages`);
    expect(response.status).toBe(200);
    const listed = (await response.json()) as EmulatorMessageView[];
    expect(listed).toEqual(emulator.messages());
    expect(listed.find((m) => m.sid === inbound.messageSid)).toMatchObject({
      direction: 'inbound',
      status: 'received',
      body: 'hi',
      statusHistory: [{ status: 'received', at: expect.any(String), errorCode: null }],
    });
    const out = listed.find((m) => m.sid === outbound.sid);
    expect(out).toMatchObject({ direction: 'outbound-api', status: 'delivered', body: 'hello back' });
    expect(out?.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);

    // Inbound messages are Message resources too, as in Twilio.
    expect(await client.messages(inbound.messageSid).fetch()).toMatchObject({ direction: 'inbound', status: 'received', body: 'hi' });
  });
});
