import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/adapters/twilio/emulator/index.ts';
import { TwilioMessaging } from '../../src/adapters/twilio/twilio-messaging.ts';
import { SendError } from '../../src/ports/messaging.ts';
import { ACCOUNT } from '../helpers/harness.ts';

/** TwilioMessaging (the SDK with smsdesk's concurrency limit) against the emulator's 20429s. */
describe('TwilioMessaging', () => {
  let emulator: TwilioEmulator;
  const FROM = '12345';
  let n = 0;
  const request = (body: string) => ({
    accountSid: ACCOUNT.sid, from: FROM, to: `+1415555${String(1000 + n++).padStart(4, '0')}`, body, mediaUrls: [],
    statusCallback: 'http://127.0.0.1:9/status',
  });
  const creates = () => emulator.apiRequests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json')).length;

  beforeAll(async () => {
    emulator = await startTwilioEmulator({ accounts: [ACCOUNT], maxConcurrentRequests: 2, requestLatencyMs: 40 });
  });
  afterAll(() => emulator.close());

  it('learns the concurrency Twilio allows: 12 sends at once all go, each created once, 429s only while learning', async () => {
    const before = creates();
    const messaging = new TwilioMessaging(() => [ACCOUNT], emulator.apiBaseUrl);
    const bodies = Array.from({ length: 12 }, (_, i) => `parallel ${i}`);
    const sent = await Promise.all(bodies.map((b) => messaging.send(request(b))));
    expect(new Set(sent.map((s) => s.sid)).size).toBe(12);
    const atTwilio = emulator.messages().filter((m) => bodies.includes(m.body));
    expect(atTwilio.map((m) => m.body).sort()).toEqual([...bodies].sort());
    const throttledCreates = creates() - before - 12;
    // The first wave overshoots (up to 16 at once); once the limit is 1 below what failed, no more 429s.
    expect(throttledCreates).toBeGreaterThan(0);
    expect(throttledCreates).toBeLessThanOrEqual(10);
    const again = creates();
    await Promise.all(Array.from({ length: 6 }, (_, i) => messaging.send(request(`second wave ${i}`))));
    expect(creates() - again).toBe(6);
  });

  it('hands a 429 it cannot explain (nothing else of ours in flight) to the caller as throttled', async () => {
    const messaging = new TwilioMessaging(() => [ACCOUNT], emulator.apiBaseUrl);
    emulator.failNextCreates(1, { status: 429, code: 20429 });
    const before = creates();
    const err = await messaging.send(request('alone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({ kind: 'throttled', code: 20429 });
    expect(creates() - before).toBe(1);
    expect(emulator.messages().some((m) => m.body === 'alone')).toBe(false);
  });
});
