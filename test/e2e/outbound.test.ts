import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/databases.ts';
import {
  CUSTOMER, NUMBER, postReply, postSignedStatus, startHarness, ticketFrom as ticketFromHelper, waitForMessage, type ApiMessage, type Harness,
} from '../helpers/outbound.ts';

type Message = ApiMessage;
interface Ticket { id: number; notes: { bodyHtml: string; incoming: boolean; private: boolean }[] }

describe.each(backends)('outbound on $name', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const ticketFrom = (customer = CUSTOMER) => ticketFromHelper(h, customer);
  const reply = (ticketId: number, payload: Record<string, unknown>) => postReply(h, ticketId, payload);
  /** Waits for the status callbacks to bring a message to `status`. */
  const message = (id: number) => waitForMessage(h, id, () => true, 'appeared');
  const until = (id: number, status: string) => waitForMessage(h, id, (m) => m.status === status, `reached ${status}`);
  const outboundAtTwilio = () => h.emulator.messages().filter((m) => m.direction !== 'inbound');

  it('replies from the number the customer texted, tracks delivery, and notes the SID on the ticket', async () => {
    h = await startHarness(backend);
    const ticketId = await ticketFrom();
    const res = await reply(ticketId, { body: 'Thanks, we are on it!' });
    expect(res.status).toBe(202);
    expect(res.body.message).toMatchObject({ direction: 'outbound', from: NUMBER, to: CUSTOMER, status: 'queued', encoding: 'GSM-7', segments: 1, ticketId });
    const done = await until(res.body.message.id, 'delivered');
    expect(done.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(done.statusHistory.map((s) => s.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
    const [atTwilio] = outboundAtTwilio();
    expect(atTwilio).toMatchObject({ sid: done.sid, from: NUMBER, to: CUSTOMER, body: 'Thanks, we are on it!' });
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body;
    const note = ticket.notes.find((n) => !n.incoming)!;
    expect(note.private).toBe(false);
    expect(note.bodyHtml).toContain('OUTGOING SMS');
    expect(note.bodyHtml).toContain(done.sid!);
  });

  it('refuses a forged status callback and ignores repeated and shuffled ones', async () => {
    h = await startHarness(backend, { emulator: { duplicateCallbacks: true, shuffleCallbacks: true } });
    const ticketId = await ticketFrom();
    const res = await reply(ticketId, { body: 'shuffled' });
    const { sid } = await until(res.body.message.id, 'delivered');
    // Shuffled, "delivered" may come before "sending": wait for all six callbacks (three statuses, each twice).
    await h.emulator.waitForStatusCallback((c) => c.messageSid === sid && c.responseStatus !== null, { count: 6, what: `six answered callbacks of ${sid}` });
    const done = await message(res.body.message.id);
    expect(done.statusHistory.map((s) => s.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
    const forged = await postSignedStatus(h, { MessageSid: done.sid!, MessageStatus: 'failed', ErrorCode: '30007' }, 'f'.repeat(32));
    expect(forged.status).toBe(403);
    const late = await postSignedStatus(h, { MessageSid: done.sid!, MessageStatus: 'sending' });
    expect(late.status).toBe(200);
    expect((await message(res.body.message.id)).status).toBe('delivered');
  });

  it.each([
    ['+15005550001', 21211],
    ['+15005550003', 21408],
    ['+15005550004', 21610],
    ['+15005550009', 21614],
  ])('records Twilio refusing %s with error %i, and explains it on the ticket', async (to, code) => {
    h = await startHarness(backend);
    const ticketId = await ticketFrom(to);
    const res = await reply(ticketId, { body: 'Can you hear me?' });
    expect(res.status).toBe(202);
    const failed = await until(res.body.message.id, 'failed');
    expect(failed.errorCode).toBe(code);
    expect(failed.sid).toBeNull();
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body;
    const note = ticket.notes.find((n) => n.private)!;
    expect(note.bodyHtml).toContain(`Twilio error ${code}`);
    expect(note.bodyHtml).toContain('What to do:');
    expect(outboundAtTwilio()).toHaveLength(0);
    if (code === 21610) {
      // Twilio's word that they unsubscribed stands: the next reply is refused before any call.
      const again = await reply(ticketId, { body: 'Second try' });
      expect([again.status, again.body.error?.code]).toEqual([409, 'opted_out']);
      expect(again.body.error!.message).toMatch(/Twilio reported the number unsubscribed \(21610\)/);
    }
  });

  it('sends 20 parallel replies as exactly 20 Twilio messages', async () => {
    h = await startHarness(backend);
    const ticketId = await ticketFrom();
    h.emulator.setSender(NUMBER, { mps: 200 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reply(ticketId, { body: `reply ${i}` })));
    expect(results.every((r) => r.status === 202)).toBe(true);
    for (const r of results) await until(r.body.message.id, 'delivered');
    const sent = outboundAtTwilio();
    expect(sent).toHaveLength(20);
    expect(new Set(sent.map((m) => m.body)).size).toBe(20);
  });

  it('retries a 20429 without sending twice, and reconciles a timed-out request instead of resending', async () => {
    h = await startHarness(backend, { smsdesk: { twilioTimeoutMs: 300 } });
    const ticketId = await ticketFrom();
    h.emulator.failNextCreates(2, { status: 429, code: 20429 });
    const throttled = await reply(ticketId, { body: 'after two 429s' });
    await until(throttled.body.message.id, 'delivered');
    // Twilio takes this one but answers too late: the outcome is unclear, so smsdesk looks before resending.
    h.emulator.failNextCreates(1, { hangMs: 1_000 });
    const unclear = await reply(ticketId, { body: 'answered too late' });
    const done = await until(unclear.body.message.id, 'delivered');
    const sent = outboundAtTwilio();
    expect(sent.map((m) => m.body).sort()).toEqual(['after two 429s', 'answered too late']);
    expect(sent.find((m) => m.body === 'answered too late')!.sid).toBe(done.sid);
    // The paths really ran: three attempts for the throttled one; one for the other, then reconciliation (by
    // its status callback or Twilio's list: reply-reconcile.test.ts tells the two apart), no second create.
    const attempts = await h.sql.query<{ body: string; send_attempts: number }>(
      `SELECT body, send_attempts FROM messages WHERE direction = 'outbound' ORDER BY id`);
    expect(attempts).toEqual([{ body: 'after two 429s', send_attempts: 3 }, { body: 'answered too late', send_attempts: 1 }]);
    const creates = h.emulator.apiRequests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'));
    expect(creates).toHaveLength(4);
  });

  it('refuses a body over 1,600 characters before anything is queued, and never truncates', async () => {
    h = await startHarness(backend);
    const ticketId = await ticketFrom();
    const res = await reply(ticketId, { body: 'x'.repeat(1601) });
    expect(res.status).toBe(400);
    expect(res.body.error!.code).toBe('body_too_long');
    const ok = await reply(ticketId, { body: 'y'.repeat(1600) });
    expect(ok.status).toBe(202);
    expect(ok.body.message.segments).toBe(11);
    const done = await until(ok.body.message.id, 'delivered');
    expect(outboundAtTwilio()[0]!.body).toBe(done.body);
    expect(done.body).toHaveLength(1600);
  });

  it('leaves a private note with the explanation when a reply is undelivered', async () => {
    h = await startHarness(backend);
    const ticketId = await ticketFrom();
    h.emulator.setDeliveryOutcome(CUSTOMER, { status: 'undelivered', errorCode: 30007 });
    const res = await reply(ticketId, { body: 'buy now!!!' });
    const m = await until(res.body.message.id, 'undelivered');
    expect(m.errorCode).toBe(30007);
    expect(m.errorMessage).toBeTruthy();
    await h.idle(); // the note is written by a job queued with the status
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body;
    expect(ticket.notes.filter((n) => n.private)).toHaveLength(1);
    expect(ticket.notes.find((n) => n.private)!.bodyHtml).toContain('Twilio error 30007');
  });

  it('honours STOP and START: the keyword lands on the ticket, sending is refused with the reason in between', async () => {
    h = await startHarness(backend);
    const ticketId = await ticketFrom();
    await h.text(CUSTOMER, NUMBER, '  Stop! ');
    await h.idle();
    const { body } = await h.api<{ messages: (Message & { routing: { keyword?: string; ticketId: number } })[] }>(`/api/v1/messages?ticketId=${ticketId}`);
    expect(body.messages.at(-1)!.routing).toMatchObject({ keyword: 'STOP (opt-out)', ticketId });
    const refused = await reply(ticketId, { body: 'Are you still there?' });
    expect(refused.status).toBe(409);
    expect(refused.body.error!.code).toBe('opted_out');
    expect(refused.body.error!.message).toMatch(/opted out of messages from \+14155550199: they texted STOP .*text START/);
    expect(outboundAtTwilio()).toHaveLength(0);
    await h.text(CUSTOMER, NUMBER, 'start');
    await h.idle();
    const allowed = await reply(ticketId, { body: 'Welcome back' });
    expect(allowed.status).toBe(202);
    await until(allowed.body.message.id, 'delivered');
  });

  it('starts a conversation with POST /messages, on a ticket bound to the pair, and continues it', async () => {
    h = await startHarness(backend);
    const first = await h.api<{ message: Message }>('/api/v1/messages', { method: 'POST', body: { to: '+1 415 555 0123', from: NUMBER, body: 'Your order shipped' } });
    expect(first.status).toBe(202);
    expect(first.body.message).toMatchObject({ to: '+14155550123', from: NUMBER, status: 'queued' });
    await until(first.body.message.id, 'delivered');
    const ticketId = first.body.message.ticketId!;
    const ticket = (await h.api<{ twilioNumber: string; requester: { phone: string } }>(`/api/v1/tickets/${ticketId}`)).body;
    expect(ticket).toMatchObject({ twilioNumber: NUMBER, requester: { phone: '+14155550123' } });
    const second = await h.api<{ message: Message }>('/api/v1/messages', { method: 'POST', body: { to: '+14155550123', from: NUMBER, body: 'It arrives Monday' } });
    expect(second.body.message.ticketId).toBe(ticketId);
    // The customer's answer threads onto the same ticket.
    await h.text('+14155550123', NUMBER, 'Great, thanks');
    await h.idle();
    const msgs = (await h.api<{ messages: Message[] }>(`/api/v1/messages?ticketId=${ticketId}`)).body.messages;
    expect(msgs.map((m) => m.direction)).toEqual(['outbound', 'outbound', 'inbound']);
    const noSender = await h.api<{ error: { code: string } }>('/api/v1/messages', { method: 'POST', body: { to: '+14155550123', body: 'x' } });
    expect([noSender.status, noSender.body.error.code]).toEqual([400, 'no_sender']);
  });

  it('previews encoding and segments, naming the characters that force UCS-2', async () => {
    h = await startHarness(backend);
    const gsm = await h.api<{ encoding: string; segments: number }>('/api/v1/messages/preview', { method: 'POST', body: { body: 'Hello [world] {ok} €5' } });
    expect(gsm.body).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    const ucs = await h.api<{ encoding: string; segments: number; nonGsmCharacters: string[]; problems: { code: string }[] }>(
      '/api/v1/messages/preview', { method: 'POST', body: { body: 'Thanks 😀 — see you' } });
    expect(ucs.body).toMatchObject({ encoding: 'UCS-2', segments: 1, nonGsmCharacters: ['😀', '—'], problems: [] });
    const long = await h.api<{ problems: { code: string }[] }>('/api/v1/messages/preview', { method: 'POST', body: { body: 'z'.repeat(1601) } });
    expect(long.body.problems.map((p) => p.code)).toEqual(['body_too_long']);
  });

  it('explains a failure in the SMS log', async () => {
    h = await startHarness(backend);
    const ticketId = await ticketFrom('+15005550009');
    const res = await reply(ticketId, { body: 'hello landline' });
    await until(res.body.message.id, 'failed');
    const { body } = await h.api<{ messages: (Message & { errorExplanation: { title: string; fix: string; moreInfo: string } })[] }>('/api/v1/messages');
    const failed = body.messages.find((m) => m.id === res.body.message.id)!;
    expect(failed.errorExplanation.moreInfo).toBe('https://www.twilio.com/docs/errors/21614');
    expect(failed.errorExplanation.fix.length).toBeGreaterThan(10);
  });
});
