import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioClient, type TwilioClient } from '../../src/adapters/twilio/client.ts';
import { startTwilioEmulator, type EmulatorCallView, type TwilioEmulator } from '../../src/adapters/twilio/emulator/index.ts';

/** The emulator's Calls API driven by the official twilio SDK (and raw requests where the SDK would refuse first). */

const ACCOUNT = { sid: `AC${'d'.repeat(32)}`, authToken: 'token-of-account-d' };
const OTHER = { sid: `AC${'e'.repeat(32)}`, authToken: 'token-of-account-e' };
/** Used by the pacing test only, so its queue starts idle. */
const PACED = { sid: `AC${'a'.repeat(32)}`, authToken: 'token-of-account-a' };
const ALL_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];
const FINAL = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

interface ReceivedCallback {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Form body (POST) or query (GET). */
  params: Record<string, string>;
}

let receiver: Server;
let receiverOrigin: string;
const received: ReceivedCallback[] = [];
let emulator: TwilioEmulator;
let client: TwilioClient;
let numberSeq = 0;

/** A fresh number per use, so tests never share a To or From filter. */
function freshNumber(): string {
  numberSeq += 1;
  return `+1415555${String(2000 + numberSeq).padStart(4, '0')}`;
}

const basicAuth = (sid: string, token: string) => `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;
const callsUrl = (sid = ACCOUNT.sid) => `${emulator.apiBaseUrl}/2010-04-01/Accounts/${sid}/Calls.json`;

async function rawCreate(params: Record<string, string | string[]>, authorization = basicAuth(ACCOUNT.sid, ACCOUNT.authToken)): Promise<Response> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) form.append(name, v);
  return fetch(callsUrl(), {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

const say = (text: string) => `<Response><Say>${text}</Say></Response>`;
const callbackUrl = (name: string) => `${receiverOrigin}/calls?case=${name}&x=a%20b`;
const finished = (sid: string): Promise<EmulatorCallView> =>
  emulator.waitForCall((c) => c.sid === sid && FINAL.includes(c.status), { what: `call ${sid} in a final status` });
/** Waits until `n` status callbacks of the call were answered (the receiver has them all by then). */
async function callbacksOf(sid: string, n: number): Promise<ReceivedCallback[]> {
  await emulator.waitForCallStatusCallback((c) => c.callSid === sid && c.responseStatus !== null, { count: n, what: `${n} answered callbacks of ${sid}` });
  return received.filter((c) => c.params.CallSid === sid);
}

function expectSigned(callback: ReceivedCallback): void {
  const signature = callback.headers['x-twilio-signature'];
  expect(typeof signature).toBe('string');
  const url = receiverOrigin + callback.path;
  const params = callback.method === 'POST' ? callback.params : {};
  expect(twilio.validateRequest(ACCOUNT.authToken, signature as string, url, params)).toBe(true);
  // And not with another account's token.
  expect(twilio.validateRequest(OTHER.authToken, signature as string, url, params)).toBe(false);
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: number; message: string }> {
  const err = await promise.then(
    () => {
      throw new Error('the create was accepted');
    },
    (e: unknown) => e as { status: number; code: number; message: string },
  );
  return { status: err.status, code: err.code, message: err.message };
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver.invalid');
      const params = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, params: Object.fromEntries(params) });
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end('<Response/>');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // Fast steps and no CPS wait unless a test asks for one.
  emulator = await startTwilioEmulator({ accounts: [ACCOUNT, OTHER, PACED], statusDelayMs: 5, callsPerSecond: 1000 });
  client = createTwilioClient(ACCOUNT, emulator.apiBaseUrl);
});

afterAll(async () => {
  await emulator.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('create', () => {
  it('answers 201 queued, then rings, answers, says the TwiML\'s text and completes, with signed callbacks in order', async () => {
    const from = freshNumber();
    const to = freshNumber();
    const twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="alice">Ticket 42: Tom &amp; Jerry &lt;3</Say><Pause length="1"/><Say>Bye<break time="1s"/> now</Say></Response>';
    const created = await client.calls.createWithHttpInfo({ to, from, twiml, statusCallback: callbackUrl('progress'), statusCallbackEvent: ALL_EVENTS });

    expect(created.statusCode).toBe(201);
    const call = created.body;
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call).toMatchObject({
      accountSid: ACCOUNT.sid,
      to,
      from,
      toFormatted: `(415) 555-${to.slice(-4)}`,
      status: 'queued',
      direction: 'outbound-api',
      apiVersion: '2010-04-01',
      startTime: null,
      endTime: null,
      duration: null,
      parentCallSid: null,
      answeredBy: null,
      price: null,
      uri: `/2010-04-01/Accounts/${ACCOUNT.sid}/Calls/${call.sid}.json`,
    });
    expect(call.phoneNumberSid).toMatch(/^PN[0-9a-f]{32}$/);
    expect(call.dateCreated).toBeInstanceOf(Date);

    const done = await finished(call.sid);
    expect(done.status).toBe('completed');
    expect(done.statusHistory.map((h) => h.status)).toEqual(['queued', 'ringing', 'in-progress', 'completed']);
    expect(done.twiml).toBe(twiml);
    expect(done.spoken).toEqual(['Ticket 42: Tom & Jerry <3', 'Bye now']);
    expect(done.twimlError).toBeNull();

    const callbacks = await callbacksOf(call.sid, 4);
    expect(callbacks.map((c) => c.params.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(callbacks.map((c) => c.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    for (const callback of callbacks) {
      expect(callback.method).toBe('POST');
      expect(callback.path).toBe('/calls?case=progress&x=a%20b');
      expect(callback.params).toMatchObject({
        CallSid: call.sid,
        AccountSid: ACCOUNT.sid,
        From: from,
        To: to,
        Caller: from,
        Called: to,
        Direction: 'outbound-api',
        ApiVersion: '2010-04-01',
        CallbackSource: 'call-progress-events',
      });
      expect(Number.isNaN(Date.parse(callback.params.Timestamp!))).toBe(false);
      expectSigned(callback);
    }
    expect(callbacks[3]!.params.CallDuration).toBe(String(done.duration));
    expect(callbacks[0]!.params.CallDuration).toBeUndefined();

    const fetched = await client.calls(call.sid).fetch();
    expect(fetched).toMatchObject({ sid: call.sid, status: 'completed', duration: String(done.duration) });
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(fetched.endTime).toBeInstanceOf(Date);
    expect(Number(fetched.duration)).toBeGreaterThanOrEqual(1);
  });

  it('sends only the completed callback when no StatusCallbackEvent is given, as Twilio does', async () => {
    const call = await client.calls.create({ to: freshNumber(), from: freshNumber(), twiml: say('hello'), statusCallback: callbackUrl('default') });
    const done = await finished(call.sid);
    expect(done.statusCallbackEvents).toEqual(['completed']);
    const [only] = await callbacksOf(call.sid, 1);
    expect(only!.params).toMatchObject({ CallStatus: 'completed', SequenceNumber: '0' });
    // The completed callback is the last one a call sends.
    expect(emulator.callStatusCallbacks.filter((c) => c.callSid === call.sid)).toHaveLength(1);
  });

  it('reports with GET when StatusCallbackMethod is GET: parameters in the query, signed over the whole URL', async () => {
    const call = await client.calls.create({
      to: freshNumber(), from: freshNumber(), twiml: say('hi'), statusCallback: callbackUrl('get'), statusCallbackMethod: 'GET', statusCallbackEvent: ['answered', 'completed'],
    });
    const callbacks = await callbacksOf(call.sid, 2);
    expect(callbacks.map((c) => [c.method, c.params.CallStatus])).toEqual([['GET', 'in-progress'], ['GET', 'completed']]);
    expect(callbacks[0]!.path).toMatch(/^\/calls\?case=get&x=a%20b&AccountSid=/);
    for (const callback of callbacks) expectSigned(callback);
  });

  it('takes a Url over a Twiml given with it (the TwiML is ignored, as documented); it does not fetch the Url', async () => {
    const call = await client.calls.create({ to: freshNumber(), from: freshNumber(), url: 'https://example.com/twiml', twiml: say('ignored') });
    const done = await finished(call.sid);
    expect(done).toMatchObject({ status: 'completed', url: 'https://example.com/twiml', twiml: null, spoken: null });
  });

  it('calls a client: identity from a phone number', async () => {
    const call = await client.calls.create({ to: 'client:agent_7', from: freshNumber(), twiml: say('hi') });
    expect((await finished(call.sid)).spoken).toEqual(['hi']);
  });

  it.each([
    ['not XML at all', 'Hello there', 12100],
    ['an unclosed element', '<Response><Say>hi</Response>', 12100],
    ['a raw ampersand', '<Response><Say>Tom & Jerry</Say></Response>', 12100],
    ['an HTML entity XML does not define', '<Response><Say>caf&eacute;</Say></Response>', 12100],
    ['another root', '<Say>hi</Say>', 12100],
    ['a verb TwiML does not have', '<Response><Speak>hi</Speak></Response>', 12200],
  ])('answers a call whose TwiML has %s, and records why Twilio could not run it', async (_case, twiml, code) => {
    const call = await client.calls.create({ to: freshNumber(), from: freshNumber(), twiml });
    const done = await finished(call.sid);
    expect(done.status).toBe('completed');
    expect(done.twimlError).toMatchObject({ code });
  });

  it('dials each account\'s calls at its calls per second; the others wait queued for their slot', async () => {
    emulator.setOutboundOptions({ callsPerSecond: 20 });
    try {
      const paced = createTwilioClient(PACED, emulator.apiBaseUrl);
      const from = freshNumber();
      const created = await Promise.all([0, 1, 2].map(() => paced.calls.create({ to: freshNumber(), from, twiml: say('paced') })));
      const dialed = await Promise.all(created.map((c) => emulator.waitForCall((v) => v.sid === c.sid && v.startTime !== null, { what: `${c.sid} dialed` })));
      // A slot every 50 ms at 20 CPS, in the order the creates arrived: the first dial of an idle queue starts the
      // schedule, and no call is dialed before its slot is due (a late dial keeps the schedule, not its lateness).
      const byStart = [...dialed].sort((a, b) => Date.parse(a.startTime!) - Date.parse(b.startTime!));
      const starts = byStart.map((v) => Date.parse(v.startTime!));
      const arrival = emulator.calls().filter((c) => c.accountSid === PACED.sid).map((c) => c.sid);
      expect(byStart.map((v) => v.sid)).toEqual(arrival);
      expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(50);
      expect(starts[2]! - starts[0]!).toBeGreaterThanOrEqual(100);
      // queue_time is the wait between the create and the dial, in milliseconds.
      const last = await paced.calls(byStart[2]!.sid).fetch();
      expect(Number(last.queueTime)).toBe(starts[2]! - Date.parse(byStart[2]!.dateCreated));
    } finally {
      emulator.setOutboundOptions({ callsPerSecond: 1000 });
    }
  });
});

describe('refused creates (nothing is placed)', () => {
  const from = freshNumber();
  const to = freshNumber();

  it.each<[string, number, Record<string, string | string[]>, RegExp]>([
    ['no To', 21201, { From: from, Twiml: say('x') }, /'To'/],
    ['an empty To', 21201, { To: '', From: from, Twiml: say('x') }, /'To'/],
    ['no From', 21213, { To: to, Twiml: say('x') }, /'From'/],
    ['neither Url nor Twiml', 21205, { To: to, From: from }, /Url parameter is required/],
    ['a Url that is not absolute http(s)', 21205, { To: to, From: from, Url: '/twiml' }, /not a valid URL/],
    ['an ApplicationSid (the emulator has no Applications)', 21218, { To: to, From: from, ApplicationSid: `AP${'0'.repeat(32)}` }, /ApplicationSid/],
    ['Twiml past 4000 characters', 32018, { To: to, From: from, Twiml: say('a'.repeat(4001 - say('').length)) }, /4000/],
    ['a To that is not a number', 21211, { To: 'not-a-number', From: from, Twiml: say('x') }, /not a valid phone number/],
    ['a To not in E.164', 21211, { To: '4155550100', From: from, Twiml: say('x') }, /not a valid phone number/],
    ['a short code From', 21212, { To: to, From: '12345', Twiml: say('x') }, /'From'/],
    ['a client: From calling a phone number', 21212, { To: to, From: 'client:alice', Twiml: say('x') }, /must come from one/],
    ['the magic invalid From', 21212, { To: to, From: '+15005550001', Twiml: say('x') }, /'From'/],
    ['the magic invalid To', 21217, { To: '+15005550001', From: from, Twiml: say('x') }, /not appear to be valid/],
    ['the magic unroutable To', 21214, { To: '+15005550002', From: from, Twiml: say('x') }, /cannot be reached/],
    ['the magic To without geo permission', 21215, { To: '+15005550003', From: from, Twiml: say('x') }, /international permissions/],
    ['the magic blocklisted To', 21216, { To: '+15005550004', From: from, Twiml: say('x') }, /blocklist/],
    ['a StatusCallback that is not a URL', 21609, { To: to, From: from, Twiml: say('x'), StatusCallback: 'not a url' }, /StatusCallback/],
    ['a StatusCallback host with an underscore', 21609, { To: to, From: from, Twiml: say('x'), StatusCallback: 'https://my_host.example/cb' }, /StatusCallback/],
    ['an unknown StatusCallbackEvent', 20001, { To: to, From: from, Twiml: say('x'), StatusCallback: 'https://example.com/cb', StatusCallbackEvent: ['initiated', 'answerd'] }, /answerd/],
    ['a StatusCallbackMethod other than GET or POST', 21209, { To: to, From: from, Twiml: say('x'), StatusCallbackMethod: 'PUT' }, /GET or POST/],
  ])('%s → 400 / %i', async (_case, code, params, message) => {
    const before = emulator.calls().length;
    const response = await rawCreate(params);
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code, status: 400, more_info: `https://www.twilio.com/docs/errors/${code}` });
    expect(body.message).toMatch(message);
    expect(emulator.calls()).toHaveLength(before);
  });

  it('takes exactly 4000 characters of Twiml', async () => {
    const twiml = say('a'.repeat(4000 - say('').length));
    expect(twiml).toHaveLength(4000);
    const call = await client.calls.create({ to: freshNumber(), from: freshNumber(), twiml });
    expect((await finished(call.sid)).spoken![0]).toHaveLength(4000 - say('').length);
  });

  it('takes several events in one space-separated StatusCallbackEvent value, as in TwiML attributes', async () => {
    const response = await rawCreate({ To: freshNumber(), From: freshNumber(), Twiml: say('x'), StatusCallback: callbackUrl('spaces'), StatusCallbackEvent: 'ringing completed' });
    expect(response.status).toBe(201);
    const { sid } = (await response.json()) as { sid: string };
    expect((await finished(sid)).statusCallbackEvents).toEqual(['ringing', 'completed']);
  });

  it('refuses a From that is not one of the account\'s caller IDs once they are set (21210), and takes one that is', async () => {
    const own = freshNumber();
    emulator.setCallerIds(ACCOUNT.sid, [own]);
    try {
      const err = await refusal(client.calls.create({ to: freshNumber(), from: freshNumber(), twiml: say('x') }));
      expect(err).toMatchObject({ status: 400, code: 21210 });
      expect(err.message).toMatch(/not yet verified for your account/);
      const call = await client.calls.create({ to: freshNumber(), from: own, twiml: say('mine') });
      expect(call.status).toBe('queued');
      // Another account's caller IDs are its own.
      const other = createTwilioClient(OTHER, emulator.apiBaseUrl);
      expect((await other.calls.create({ to: freshNumber(), from: freshNumber(), twiml: say('x') })).status).toBe('queued');
    } finally {
      emulator.setCallerIds(ACCOUNT.sid, null);
    }
  });

  it('answers 401 / 20003 for wrong credentials and for another account\'s path', async () => {
    const wrong = createTwilioClient({ sid: ACCOUNT.sid, authToken: 'f'.repeat(32) }, emulator.apiBaseUrl);
    expect(await refusal(wrong.calls.create({ to: freshNumber(), from: freshNumber(), twiml: say('x') }))).toMatchObject({ status: 401, code: 20003 });
    const response = await fetch(callsUrl(OTHER.sid), {
      method: 'POST',
      headers: { Authorization: basicAuth(ACCOUNT.sid, ACCOUNT.authToken), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: freshNumber(), From: freshNumber(), Twiml: say('x') }).toString(),
    });
    expect(response.status).toBe(401);
  });

  it('answers a fault injected with failNextCallCreates, creating nothing', async () => {
    emulator.failNextCallCreates(1, { status: 503 });
    const before = emulator.calls().length;
    expect(await refusal(client.calls.create({ to: freshNumber(), from: freshNumber(), twiml: say('x') }))).toMatchObject({ status: 503, code: 20503 });
    expect(emulator.calls()).toHaveLength(before);
  });
});

describe('fetch and list', () => {
  it('fetches only the account\'s own calls: 404 / 20404 otherwise', async () => {
    const call = await client.calls.create({ to: freshNumber(), from: freshNumber(), twiml: say('x') });
    const other = createTwilioClient(OTHER, emulator.apiBaseUrl);
    expect(await refusal(other.calls(call.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await refusal(client.calls(`CA${'0'.repeat(32)}`).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it('lists newest first, filtered by To, From and Status, paging through every page with the SDK', async () => {
    const from = freshNumber();
    const to = freshNumber();
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push((await client.calls.create({ to, from, twiml: say(`call ${i}`) })).sid);
    await client.calls.create({ to: freshNumber(), from, twiml: say('elsewhere') });
    await Promise.all(sids.map(finished));

    const listed = await client.calls.list({ to, from, pageSize: 2 });
    expect(listed.map((c) => c.sid)).toEqual([...sids].reverse());
    const pages = emulator.apiRequests.filter((r) => r.method === 'GET' && r.path.includes('/Calls.json') && r.path.includes(encodeURIComponent(to)));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect((await client.calls.list({ from })).map((c) => c.sid)).toHaveLength(6);
    expect((await client.calls.list({ to, status: 'completed' })).map((c) => c.sid)).toEqual([...sids].reverse());
    expect(await client.calls.list({ to, status: 'busy' })).toEqual([]);
  });

  it('renders Twilio\'s paging envelope with PageToken links', async () => {
    const to = freshNumber();
    for (let i = 0; i < 3; i++) await client.calls.create({ to, from: freshNumber(), twiml: say('x') });
    const auth = { Authorization: basicAuth(ACCOUNT.sid, ACCOUNT.authToken) };
    const first = (await (await fetch(`${callsUrl()}?To=${encodeURIComponent(to)}&PageSize=2`, { headers: auth })).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ page: 0, page_size: 2, start: 0, end: 1, previous_page_uri: null });
    expect(first.calls).toHaveLength(2);
    expect(first.first_page_uri).toBe(`/2010-04-01/Accounts/${ACCOUNT.sid}/Calls.json?To=${encodeURIComponent(to)}&PageSize=2&Page=0`);
    expect(first.next_page_uri).toMatch(/&Page=1&PageToken=PACA[0-9a-f]{32}$/);
    const second = (await (await fetch(emulator.apiBaseUrl + (first.next_page_uri as string), { headers: auth })).json()) as Record<string, unknown>;
    expect(second).toMatchObject({ page: 1, start: 2, next_page_uri: null });
    expect(second.calls).toHaveLength(1);
  });

  it('filters by StartTime and EndTime as the SDK sends them; a call not dialed yet matches no StartTime filter', async () => {
    const to = freshNumber();
    const from = freshNumber();
    const done = await finished((await client.calls.create({ to, from, twiml: say('timed') })).sid);
    const started = new Date(done.startTime!);
    const secondBefore = new Date(started.getTime() - 1000);
    const secondAfter = new Date(started.getTime() + 1000);
    expect((await client.calls.list({ to, startTimeAfter: secondBefore })).map((c) => c.sid)).toEqual([done.sid]);
    expect(await client.calls.list({ to, startTimeAfter: secondAfter })).toEqual([]);
    expect((await client.calls.list({ to, startTimeBefore: secondAfter })).map((c) => c.sid)).toEqual([done.sid]);
    expect(await client.calls.list({ to, startTimeBefore: secondBefore })).toEqual([]);
    expect((await client.calls.list({ to, endTimeAfter: secondBefore })).map((c) => c.sid)).toEqual([done.sid]);

    // Queued behind a slow CPS, the next call has no start_time: StartTime filters skip it, To alone finds it.
    emulator.setOutboundOptions({ callsPerSecond: 0.01 });
    try {
      await client.calls.create({ to: freshNumber(), from, twiml: say('fills the slot') });
      const queued = await client.calls.create({ to, from, twiml: say('waits') });
      expect((await client.calls.list({ to, startTimeAfter: secondBefore })).map((c) => c.sid)).toEqual([done.sid]);
      expect((await client.calls.list({ to })).map((c) => [c.sid, c.status, c.startTime])).toEqual([[queued.sid, 'queued', null], [done.sid, 'completed', expect.any(Date)]]);
    } finally {
      emulator.setOutboundOptions({ callsPerSecond: 1000 });
    }
  });

  it.each([
    ['Status=ringin', 'Status'],
    ['StartTime%3E=yesterday', 'StartTime>'],
    ['EndTime=2024-13-45', 'EndTime'],
    ['PageSize=0', 'PageSize'],
  ])('refuses the filter %s (400 naming %s)', async (query, named) => {
    const response = await fetch(`${callsUrl()}?${query}`, { headers: { Authorization: basicAuth(ACCOUNT.sid, ACCOUNT.authToken) } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain(named);
  });
});

describe('outcomes per destination', () => {
  it.each([
    ['busy', ['queued', 'busy'], ['initiated', 'busy']],
    ['no-answer', ['queued', 'ringing', 'no-answer'], ['initiated', 'ringing', 'no-answer']],
    ['failed', ['queued', 'failed'], ['initiated', 'failed']],
  ] as const)('%s: the call ends so, unanswered, without a duration; its completed callback says so', async (outcome, statuses, callbackStatuses) => {
    const to = freshNumber();
    emulator.setCallOutcome(to, outcome);
    try {
      const call = await client.calls.create({ to, from: freshNumber(), twiml: say('unheard'), statusCallback: callbackUrl(outcome), statusCallbackEvent: ALL_EVENTS });
      const done = await finished(call.sid);
      expect(done.statusHistory.map((h) => h.status)).toEqual(statuses);
      expect(done).toMatchObject({ status: outcome, spoken: null, duration: null, endTime: null });
      const callbacks = await callbacksOf(call.sid, callbackStatuses.length);
      expect(callbacks.map((c) => c.params.CallStatus)).toEqual(callbackStatuses);
      expect(callbacks.at(-1)!.params.CallDuration).toBe('0');
      expect(callbacks.at(-1)!.params.Duration).toBeUndefined();
      for (const callback of callbacks) expectSigned(callback);
      expect(await client.calls(call.sid).fetch()).toMatchObject({ status: outcome, duration: null, endTime: null });
    } finally {
      emulator.setCallOutcome(to, null);
    }
  });

  it('answers the number again once its outcome is cleared', async () => {
    const to = freshNumber();
    emulator.setCallOutcome(to, 'busy');
    emulator.setCallOutcome(to, null);
    const call = await client.calls.create({ to, from: freshNumber(), twiml: say('heard') });
    expect(await finished(call.sid)).toMatchObject({ status: 'completed', spoken: ['heard'] });
  });

  it('shows every call on GET /__emulator/calls', async () => {
    const call = await client.calls.create({ to: freshNumber(), from: freshNumber(), twiml: say('listed') });
    await finished(call.sid);
    const listed = (await (await fetch(`${emulator.apiBaseUrl}/__emulator/calls`)).json()) as EmulatorCallView[];
    expect(listed.find((c) => c.sid === call.sid)).toMatchObject({ status: 'completed', spoken: ['listed'] });
  });
});
