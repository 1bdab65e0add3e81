import { afterEach, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { backends } from '../helpers/databases.ts';
import { ACCOUNT } from '../helpers/harness.ts';
import { CUSTOMER, NUMBER, postReply, startHarness, ticketFrom, type ApiMessage, type Harness } from '../helpers/outbound.ts';
import type { EmulatorMessageView } from '../../src/adapters/twilio/emulator/index.ts';

/**
 * Issue 10, points 2 and 11, end to end (HTTP, the twilio SDK, the emulator): a reply whose outcome was
 * unclear is reconciled to its own Twilio message, never to an earlier one with the same words; a send the
 * queue gives up on ends visibly failed and does not hold up the conversation; Twilio's 21610 is worded as
 * what it is.
 */

const SAME = 'Thanks, we are on it!';
/**
 * Backoff shaped as in production (doubling, capped at a minute), fast at first: a send that kept failing
 * would hold its conversation for minutes, far past any wait below, instead of a few seconds.
 */
const PRODUCTION_LIKE_RETRIES = { pollMs: 50, retryBaseMs: 50, retryMaxMs: 60_000 };

interface Ticket { notes: { bodyHtml: string; private: boolean }[] }

describe.each(backends)('reply reconciliation and parked sends on $name', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const message = async (id: number): Promise<ApiMessage> =>
    (await h.api<{ messages: ApiMessage[] }>('/api/v1/messages')).body.messages.find((m) => m.id === id)!;
  const atTwilio = (body: string) => h.emulator.messages().filter((m) => m.direction === 'outbound-api' && m.body === body);
  /** The first outbound message at Twilio matching `matches`, now or later; fails loudly after 5 s. */
  const twilioMessage = (what: string, matches: (m: EmulatorMessageView) => boolean) =>
    h.emulator.waitForMessage((m) => m.direction === 'outbound-api' && matches(m), { what });

  it('sends a reply that repeats an earlier one after a dropped connection: once, with its own SID', async () => {
    h = await startHarness(backend, { smsdesk: { worker: PRODUCTION_LIKE_RETRIES } });
    const ticketId = await ticketFrom(h);
    const first = await postReply(h, ticketId, { body: SAME });
    const firstAtTwilio = await twilioMessage('with the first reply, delivered', (m) => m.body === SAME && m.status === 'delivered');
    await expect.poll(async () => (await message(first.body.message.id)).sid).toBe(firstAtTwilio.sid);

    // The connection drops before Twilio creates anything: smsdesk cannot tell whether it was sent.
    h.emulator.failNextCreates(1, { dropConnection: true });
    const second = await postReply(h, ticketId, { body: SAME });
    const secondAtTwilio = await twilioMessage('with the second reply', (m) => m.body === SAME && m.sid !== firstAtTwilio.sid);
    await expect.poll(async () => (await message(second.body.message.id)).sid).toBe(secondAtTwilio.sid);

    // The conversation is not held up behind it.
    const next = await postReply(h, ticketId, { body: 'Anything else?' });
    await twilioMessage('with the next reply', (m) => m.body === 'Anything else?');
    await expect.poll(async () => (await message(next.body.message.id)).status).toBe('delivered');
    await expect.poll(async () => (await message(second.body.message.id)).status).toBe('delivered');

    expect(atTwilio(SAME).map((m) => m.sid).sort()).toEqual([firstAtTwilio.sid, secondAtTwilio.sid].sort());
    // The second: the dropped attempt, then one that found nothing of its own in Twilio's list and sent.
    const attempts = await h.sql.query<{ send_attempts: number }>(`SELECT send_attempts FROM messages WHERE direction = 'outbound' ORDER BY id`);
    expect(attempts.map((r) => r.send_attempts)).toEqual([1, 2, 1]);
    expect(await h.sql.query(`SELECT id FROM jobs WHERE state = 'failed'`)).toEqual([]);
  });

  it("takes its SID from Twilio's status callback, not from an identical text another system sent meanwhile", async () => {
    h = await startHarness(backend, { smsdesk: { twilioTimeoutMs: 1_000, worker: PRODUCTION_LIKE_RETRIES } });
    const ticketId = await ticketFrom(h);
    // Twilio takes the reply but answers after smsdesk gave up waiting: the SID is not in any answer.
    h.emulator.failNextCreates(1, { hangMs: 3_000 });
    const reply = await postReply(h, ticketId, { body: SAME });
    const ours = await twilioMessage('with the reply', (m) => m.body === SAME);
    // Meanwhile another client of the account texts the customer the same words from the same number.
    const other = twilio(ACCOUNT.sid, ACCOUNT.authToken, { autoRetry: false });
    other.api.baseUrl = h.emulator.apiBaseUrl;
    const theirs = await other.messages.create({ from: NUMBER, to: CUSTOMER, body: SAME });

    await expect.poll(async () => (await message(reply.body.message.id)).sid, { timeout: 10_000 }).toBe(ours.sid);
    await expect.poll(async () => (await message(reply.body.message.id)).status).toBe('delivered');
    expect(atTwilio(SAME).map((m) => m.sid).sort()).toEqual([ours.sid, theirs.sid].sort());
    expect(ours.statusCallback).toBe(`${h.smsdesk.publicUrl}/webhooks/twilio/status?message=${reply.body.message.id}`);
  });

  it('marks a send the queue gives up on failed, notes why on the ticket, and sends the next reply', async () => {
    h = await startHarness(backend, { smsdesk: { queue: { maxAttempts: 3 } } });
    const ticketId = await ticketFrom(h);
    h.emulator.failNextCreates(3, { status: 503 });
    const doomed = await postReply(h, ticketId, { body: 'This one will not make it' });
    const next = await postReply(h, ticketId, { body: 'But this one will' });

    await twilioMessage('with the next reply', (m) => m.body === 'But this one will');
    await expect.poll(async () => (await message(next.body.message.id)).status).toBe('delivered');
    await expect.poll(async () => (await message(doomed.body.message.id)).status).toBe('failed');
    const failed = await message(doomed.body.message.id);
    expect(failed).toMatchObject({ sid: null, errorCode: null });
    expect(failed.errorMessage).toMatch(/^smsdesk gave up sending this reply after 3 attempts; the last failed with: .*Service Unavailable/);
    expect(failed.statusHistory.map((s) => s.status)).toEqual(['queued', 'failed']);
    await h.idle(); // the note is written by a job queued with the failure
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body;
    const notes = ticket.notes.filter((n) => n.private && n.bodyHtml.includes('Could not be sent'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.bodyHtml).toContain('smsdesk gave up sending this reply after 3 attempts');
    expect(atTwilio('This one will not make it')).toEqual([]);
  });

  it("words Twilio's 21610 as Twilio reporting the number unsubscribed, not as something the customer texted", async () => {
    h = await startHarness(backend);
    const unsubscribed = '+15005550004';
    const ticketId = await ticketFrom(h, unsubscribed);
    const first = await postReply(h, ticketId, { body: 'Hello?' });
    await expect.poll(async () => (await message(first.body.message.id)).errorCode).toBe(21610);

    const lookup = async (phone: string) =>
      (await h.api<{ optOuts: { sender: string; reason: string }[] }>(`/api/v1/opt-outs?phone=${encodeURIComponent(phone)}`)).body.optOuts;
    expect(await lookup(unsubscribed)).toMatchObject([{ sender: NUMBER, reason: 'Twilio reported the number unsubscribed (21610)' }]);
    const again = await postReply(h, ticketId, { body: 'Still there?' });
    expect([again.status, again.body.error?.code]).toEqual([409, 'opted_out']);
    expect(again.body.error!.message).toContain(`opted out of messages from ${NUMBER}: Twilio reported the number unsubscribed (21610) on `);

    // A keyword is still what the customer texted.
    expect((await h.text(CUSTOMER, NUMBER, 'STOP')).status).toBe(200);
    await h.idle();
    expect(await lookup(CUSTOMER)).toMatchObject([{ sender: NUMBER, reason: 'they texted STOP' }]);
  });
});
