import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioEmulator, type EmulatorCallView, type TwilioEmulator } from '../../src/adapters/twilio/emulator/index.ts';
import { TwilioMessaging } from '../../src/adapters/twilio/twilio-messaging.ts';
import { AppError } from '../../src/domain/errors.ts';
import { SendError } from '../../src/ports/messaging.ts';

/** TwilioMessaging.call and findCalls (the SDK, smsdesk's TwiML and its error mapping) against the emulator's Calls API. */

const ACCOUNT = { sid: `AC${'f'.repeat(32)}`, authToken: 'token-of-account-f' };
const FINAL = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

let emulator: TwilioEmulator;
let messaging: TwilioMessaging;
let receiver: Server;
let receiverOrigin: string;
const received: { path: string; headers: IncomingHttpHeaders; params: Record<string, string> }[] = [];
let numberSeq = 0;

function freshNumber(): string {
  numberSeq += 1;
  return `+1628555${String(1000 + numberSeq).padStart(4, '0')}`;
}

const creates = () => emulator.apiRequests.filter((r) => r.method === 'POST' && r.path.endsWith('/Calls.json')).length;
const finished = (sid: string): Promise<EmulatorCallView> =>
  emulator.waitForCall((c) => c.sid === sid && FINAL.includes(c.status), { what: `call ${sid} in a final status` });

async function sendError(promise: Promise<unknown>): Promise<SendError> {
  const err = await promise.then(
    () => {
      throw new Error('the call was placed');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SendError);
  return err as SendError;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, params: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  emulator = await startTwilioEmulator({ accounts: [ACCOUNT], statusDelayMs: 5, callsPerSecond: 1000 });
  messaging = new TwilioMessaging(() => [ACCOUNT], emulator.apiBaseUrl);
});

afterAll(async () => {
  await emulator.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('TwilioMessaging.call', () => {
  it('places a call that says the text (escaped on the way, read back as written), reporting every progress event', async () => {
    const from = freshNumber();
    const to = freshNumber();
    const text = 'Ticket #42 from Tom & Jerry <urgent>: "call back" today';
    const statusCallback = `${receiverOrigin}/webhooks/twilio/calls?attempt=7`;
    const placed = await messaging.call({ accountSid: ACCOUNT.sid, from, to, say: text, statusCallback });

    expect(placed.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(placed.status).toBe('queued');
    const done = await finished(placed.sid);
    expect(done).toMatchObject({ from, to, status: 'completed', spoken: [text], twimlError: null, statusCallback });
    expect(done.statusCallbackEvents).toEqual(['initiated', 'ringing', 'answered', 'completed']);

    await emulator.waitForCallStatusCallback((c) => c.callSid === placed.sid && c.callStatus === 'completed' && c.responseStatus !== null);
    const callbacks = received.filter((c) => c.params.CallSid === placed.sid);
    expect(callbacks.map((c) => c.params.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    for (const callback of callbacks) {
      expect(callback.path).toBe('/webhooks/twilio/calls?attempt=7');
      expect(twilio.validateRequest(ACCOUNT.authToken, callback.headers['x-twilio-signature'] as string, receiverOrigin + callback.path, callback.params)).toBe(true);
    }
  });

  it('asks for no callbacks without a StatusCallback', async () => {
    const placed = await messaging.call({ accountSid: ACCOUNT.sid, from: freshNumber(), to: freshNumber(), say: 'Quiet call' });
    const done = await finished(placed.sid);
    expect(done).toMatchObject({ statusCallback: null, spoken: ['Quiet call'] });
    expect(emulator.callStatusCallbacks.some((c) => c.callSid === placed.sid)).toBe(false);
  });

  it.each([
    ['empty', '   '],
    ['past Twilio\'s 4000 characters of TwiML', 'x'.repeat(4000)],
  ])('refuses a text that is %s with AppError invalid_say, before any request', async (_case, say) => {
    const before = creates();
    const err = await messaging.call({ accountSid: ACCOUNT.sid, from: freshNumber(), to: freshNumber(), say }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'invalid', code: 'invalid_say' });
    expect(creates()).toBe(before);
  });

  it('maps Twilio\'s refusals to rejected SendErrors with Twilio\'s code', async () => {
    const own = freshNumber();
    emulator.setCallerIds(ACCOUNT.sid, [own]);
    try {
      const notOurs = await sendError(messaging.call({ accountSid: ACCOUNT.sid, from: freshNumber(), to: freshNumber(), say: 'x' }));
      expect(notOurs).toMatchObject({ kind: 'rejected', code: 21210 });
      const invalidTo = await sendError(messaging.call({ accountSid: ACCOUNT.sid, from: own, to: '+15005550001', say: 'x' }));
      expect(invalidTo).toMatchObject({ kind: 'rejected', code: 21217 });
      const badTo = await sendError(messaging.call({ accountSid: ACCOUNT.sid, from: own, to: '0800 FLOWERS', say: 'x' }));
      expect(badTo).toMatchObject({ kind: 'rejected', code: 21211 });
    } finally {
      emulator.setCallerIds(ACCOUNT.sid, null);
    }
  });

  it('hands a 429 to the caller as throttled: nothing was placed', async () => {
    const to = freshNumber();
    emulator.failNextCallCreates(1, { status: 429, code: 20429 });
    const before = creates();
    const err = await sendError(messaging.call({ accountSid: ACCOUNT.sid, from: freshNumber(), to, say: 'x' }));
    expect(err).toMatchObject({ kind: 'throttled', code: 20429 });
    expect(creates() - before).toBe(1);
    expect(emulator.calls().some((c) => c.to === to)).toBe(false);
  });

  it('refuses an account smsdesk does not have, as send does', async () => {
    const err = await sendError(messaging.call({ accountSid: `AC${'0'.repeat(32)}`, from: freshNumber(), to: freshNumber(), say: 'x' }));
    expect(err.kind).toBe('rejected');
  });
});

describe('reconciling an unclear call with findCalls', () => {
  it('an answer that never came (Twilio placed the call): unclear, and findCalls names the call', async () => {
    const from = freshNumber();
    const to = freshNumber();
    const impatient = new TwilioMessaging(() => [ACCOUNT], emulator.apiBaseUrl, 250);
    emulator.failNextCallCreates(1, { hangMs: 60_000 });
    const since = new Date();
    const err = await sendError(impatient.call({ accountSid: ACCOUNT.sid, from, to, say: 'Did this go out?' }));
    expect(err.kind).toBe('unclear');

    // The emulator placed it before holding the answer back (awaited: on a busy machine the client may give up first).
    const placed = await emulator.waitForCall((c) => c.to === to, { what: `the call to ${to}` });
    const candidates = await messaging.findCalls({ accountSid: ACCOUNT.sid, from, to, since });
    expect(candidates).toEqual([{ sid: placed.sid, status: expect.any(String), dateCreated: expect.any(Date) }]);
    expect(emulator.calls().filter((c) => c.to === to)).toHaveLength(1);
  });

  it('a connection dropped before Twilio took the request: unclear, and findCalls finds nothing to take', async () => {
    const from = freshNumber();
    const to = freshNumber();
    emulator.failNextCallCreates(1, { dropConnection: true });
    const since = new Date();
    const err = await sendError(messaging.call({ accountSid: ACCOUNT.sid, from, to, say: 'Lost' }));
    expect(err.kind).toBe('unclear');
    expect(await messaging.findCalls({ accountSid: ACCOUNT.sid, from, to, since })).toEqual([]);
  });

  it('lists only calls between the two numbers, newest first, created since the attempt (60 s of clock skew allowed)', async () => {
    const from = freshNumber();
    const to = freshNumber();
    const first = await messaging.call({ accountSid: ACCOUNT.sid, from, to, say: 'one' });
    const second = await messaging.call({ accountSid: ACCOUNT.sid, from, to, say: 'two' });
    await messaging.call({ accountSid: ACCOUNT.sid, from, to: freshNumber(), say: 'elsewhere' });
    await messaging.call({ accountSid: ACCOUNT.sid, from: freshNumber(), to, say: 'from elsewhere' });

    const now = Date.now();
    const found = await messaging.findCalls({ accountSid: ACCOUNT.sid, from, to, since: new Date(now - 5_000) });
    expect(found.map((c) => c.sid)).toEqual([second.sid, first.sid]);
    for (const c of found) expect(c.dateCreated).toBeInstanceOf(Date);
    // An attempt recorded as starting 30 s from now (the database's clock ahead of Twilio's) still finds them...
    expect(await messaging.findCalls({ accountSid: ACCOUNT.sid, from, to, since: new Date(now + 30_000) })).toHaveLength(2);
    // ...but not calls from more than 60 s before the attempt began.
    expect(await messaging.findCalls({ accountSid: ACCOUNT.sid, from, to, since: new Date(now + 120_000) })).toEqual([]);
  });

  it('finds a call still queued behind the account\'s calls per second (it has no start_time yet)', async () => {
    const from = freshNumber();
    const to = freshNumber();
    emulator.setOutboundOptions({ callsPerSecond: 0.01 });
    try {
      await messaging.call({ accountSid: ACCOUNT.sid, from, to: freshNumber(), say: 'takes the slot' });
      const since = new Date();
      const queued = await messaging.call({ accountSid: ACCOUNT.sid, from, to, say: 'waits' });
      expect(await messaging.findCalls({ accountSid: ACCOUNT.sid, from, to, since })).toEqual([{ sid: queued.sid, status: 'queued', dateCreated: expect.any(Date) }]);
    } finally {
      emulator.setOutboundOptions({ callsPerSecond: 1000 });
    }
  });
});
