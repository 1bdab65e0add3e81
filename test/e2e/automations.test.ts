import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, startHarness, ticketFrom, type Harness } from '../helpers/outbound.ts';

interface Run { id: number; event: string; ticketId: number | null; fired: boolean; reason: string; state: string; actions: { kind: string; state: string; detail: string | null }[] }
interface ApiError { error: { code: string; message: string } }
interface Ticket { id: number; status: string; notes: { bodyHtml: string; private: boolean }[] }

const atTwilio = (h: Harness, body: string) => h.emulator.messages().filter((m) => m.direction !== 'inbound' && m.body === body);

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0).reverse()) await h.close();
});
const start = async (...args: Parameters<typeof startHarness>) => {
  const h = await startHarness(...args);
  open.push(h);
  return h;
};

async function create(h: Harness, automation: Record<string, unknown>): Promise<number> {
  const res = await h.api<{ id: number } & Partial<ApiError>>('/api/v1/automations', { method: 'POST', body: automation });
  if (res.status !== 201) throw new Error(`POST /api/v1/automations answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}
const runs = async (h: Harness, id: number) => (await h.api<{ runs: Run[] }>(`/api/v1/automations/${id}/runs`)).body.runs;
const setStatus = (h: Harness, ticketId: number, status: string) =>
  h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status } });

describe.each(backends)('automations on $name', (backend) => {
  it('texts the requester once when their ticket is resolved, and keeps the run', async () => {
    const h = await start(backend);
    const id = await create(h, {
      name: 'Resolved notice', when: 'ticket.status_changed', if: { status: 'resolved' },
      then: [{ sendSms: { body: 'Ticket #{{ticket.id}} is resolved. Reply to reopen.' } }],
    });
    const ticketId = await ticketFrom(h);
    expect((await setStatus(h, ticketId, 'pending')).status).toBe(200);
    expect((await setStatus(h, ticketId, 'resolved')).status).toBe(200);
    await h.idle();
    expect(atTwilio(h, `Ticket #${ticketId} is resolved. Reply to reopen.`)).toHaveLength(1);
    const [resolved, pending] = await runs(h, id);
    expect(pending).toMatchObject({ event: 'ticket.status_changed', fired: false, state: 'skipped', reason: 'status is pending, not resolved' });
    expect(resolved).toMatchObject({ event: 'ticket.status_changed', ticketId, fired: true, state: 'done', actions: [{ kind: 'sendSms', state: 'done' }] });
    // The automated text is the automation's: its origin says so.
    const { body } = await h.api<{ messages: { body: string; origin: string }[] }>('/api/v1/messages');
    expect(body.messages.find((m) => m.body.startsWith(`Ticket #${ticketId} is resolved`))?.origin).toBe(`automation:${id}`);
  });

  it('answers a keyword, any case, and only that word', async () => {
    const h = await start(backend);
    const id = await create(h, {
      name: 'Hours', when: 'message.received', if: { keyword: 'hours' },
      then: [{ sendSms: { body: 'We are open 9–5, Monday to Friday.' } }],
    });
    await h.text(CUSTOMER, NUMBER, 'HOURS');
    await h.text(CUSTOMER, NUMBER, 'what are your hours?');
    await h.idle();
    expect(atTwilio(h, 'We are open 9–5, Monday to Friday.')).toHaveLength(1);
    const r = await runs(h, id);
    expect(r.map((x) => x.fired).sort()).toEqual([false, true]);
    expect(r.find((x) => !x.fired)?.reason).toBe('the text is not the keyword hours');
  });

  it('a conversation an agent starts is a ticket.created too (and an existing one is not)', async () => {
    const h = await start(backend);
    await create(h, { name: 'Ack', when: 'ticket.created', then: [{ note: { bodyHtml: '<p>New ticket</p>' } }] });
    const first = await h.api<{ message: { ticketId: number } }>('/api/v1/messages', { method: 'POST', body: { to: CUSTOMER, from: NUMBER, body: 'Your order shipped.' } });
    expect(first.status).toBe(202);
    await h.api('/api/v1/messages', { method: 'POST', body: { to: CUSTOMER, from: NUMBER, body: 'It arrives Friday.' } });
    await h.idle();
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${first.body.message.ticketId}`)).body;
    expect(ticket.notes.filter((n) => n.bodyHtml.includes('New ticket'))).toHaveLength(1);
  });

  it('acts once per event however often the event is seen (Twilio retrying the same text)', async () => {
    const h = await start(backend);
    await create(h, { name: 'Ack', when: 'ticket.created', then: [{ sendSms: { body: 'Thanks, we got your message.' } }] });
    const first = await h.text(CUSTOMER, NUMBER, 'My order is late');
    await h.idle();
    // Twilio retries the same webhook (same MessageSid) twice more.
    await h.text(CUSTOMER, NUMBER, 'My order is late', { messageSid: first.messageSid });
    await h.text(CUSTOMER, NUMBER, 'My order is late', { messageSid: first.messageSid });
    await h.idle();
    expect(atTwilio(h, 'Thanks, we got your message.')).toHaveLength(1);
  });

  it('never triggers itself: its own status change is not an event for it', async () => {
    const h = await start(backend);
    // Would loop forever if its own change fired it: pending → open → pending…
    const a = await create(h, { name: 'Bounce', when: 'ticket.status_changed', then: [{ setStatus: { status: 'pending' } }, { note: { bodyHtml: '<p>Bounced to pending</p>' } }] });
    const b = await create(h, { name: 'Bounce back', when: 'ticket.status_changed', if: { status: 'pending' }, then: [{ setStatus: { status: 'open' } }] });
    const ticketId = await ticketFrom(h);
    await setStatus(h, ticketId, 'resolved');
    await h.idle();
    // resolved (agent) → a: pending → b: open → a sees its own doing in the chain: stops.
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body;
    expect(ticket.status).toBe('open');
    const aRuns = await runs(h, a);
    expect(aRuns.filter((r) => r.fired)).toHaveLength(1);
    expect(aRuns.some((r) => r.reason === 'the event came from this automation’s own actions')).toBe(true);
    expect((await runs(h, b)).filter((r) => r.fired)).toHaveLength(1);
  });

  it('refuses a bad automation naming the bad part, and stores nothing', async () => {
    const h = await start(backend);
    const bad = async (body: unknown) => (await h.api<ApiError>('/api/v1/automations', { method: 'POST', body })).body.error;
    expect(await bad({ name: 'x', when: 'ticket.exploded', then: [{ sendSms: { body: 'hi' } }] })).toMatchObject({
      code: 'invalid_automation', message: expect.stringContaining('when: unknown event "ticket.exploded"'),
    });
    expect((await bad({ name: 'x', when: 'ticket.created', if: { colour: 'red' }, then: [{ sendSms: { body: 'hi' } }] })).message).toContain('if: unknown key "colour"');
    expect((await bad({ name: 'x', when: 'ticket.created', then: [{ fax: {} }] })).message).toContain('then[0]: unknown action "fax"');
    expect((await bad({ name: 'x', when: 'ticket.created', then: [{ sendSms: { body: 'Hi {{contact.nmae}}' } }] })).message).toContain('then[0].sendSms.body: unknown placeholder {{contact.nmae}}');
    expect((await bad({ name: 'x', when: 'ticket.created', then: [{ sendSms: { body: 'hi', delayMinutes: -1 } }] })).message).toContain('then[0].sendSms.delayMinutes');
    expect((await h.api<{ automations: unknown[] }>('/api/v1/automations')).body.automations).toEqual([]);
  });

  it('CSAT: the survey texts a question; a 1–5 reply is the rating, on that ticket, no new ticket, no reopen', async () => {
    const h = await start(backend);
    await create(h, { name: 'Resolved + CSAT', when: 'ticket.status_changed', if: { status: 'resolved' }, then: [{ survey: {} }] });
    const ticketId = await ticketFrom(h);
    await setStatus(h, ticketId, 'resolved');
    await h.idle();
    expect(atTwilio(h, 'How did we do? Reply with a number from 1 (poor) to 5 (great), and a comment if you like.')).toHaveLength(1);
    await h.text(CUSTOMER, NUMBER, '4 - quick and friendly, thanks');
    await h.idle();
    const ticket = (await h.api<Ticket & { csat: { rating: number; comment: string } | null }>(`/api/v1/tickets/${ticketId}`)).body;
    expect(ticket.status).toBe('resolved');
    expect(ticket.csat).toMatchObject({ rating: 4, comment: 'quick and friendly, thanks' });
    expect(ticket.notes.some((n) => n.private && n.bodyHtml.includes('CSAT rating: 4 of 5'))).toBe(true);
    expect(ticket.notes.some((n) => !n.private && n.bodyHtml.includes('quick and friendly'))).toBe(true);
    const tickets = (await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`)).body.tickets;
    expect(tickets.map((t) => t.id)).toEqual([ticketId]);
    const { message } = (await h.api<{ messages: { body: string; routing: { rule: string } | null }[] }>('/api/v1/messages')).body.messages
      .filter((m) => m.body.startsWith('4 - quick')).map((m) => ({ message: m }))[0]!;
    expect(message.routing?.rule).toBe('answer');
    const report = (await h.api<{ rows: { ratings: number; average: number; twilioNumber: string }[] }>('/api/v1/reports/csat')).body.rows;
    expect(report).toMatchObject([{ ratings: 1, average: 4, twilioNumber: NUMBER }]);
    // A second reply is an ordinary text again (the survey was answered): it reopens the resolved ticket as usual.
    await h.text(CUSTOMER, NUMBER, '5');
    await h.idle();
    expect((await h.api<Ticket & { csat: { rating: number } }>(`/api/v1/tickets/${ticketId}`)).body.csat.rating).toBe(4);
  });

  it('ask: YES and NO run their answer\'s actions; no answer in time runs onTimeout', async () => {
    const h = await start(backend);
    const id = await create(h, {
      name: 'Confirm', when: 'ticket.created',
      then: [{ ask: {
        question: 'Reply YES to confirm your appointment, NO to cancel.', timeoutMinutes: 1,
        answers: { YES: [{ sendSms: { body: 'Confirmed, see you then.' } }], NO: [{ sendSms: { body: 'Canceled.' } }, { setStatus: { status: 'resolved' } }] },
        onTimeout: [{ note: { bodyHtml: '<p>No answer to the confirmation.</p>' } }],
      } }],
    });
    const other = '+14155550177';
    const third = '+14155550178';
    await h.text(CUSTOMER, NUMBER, 'Booking please');
    await h.text(other, NUMBER, 'Booking too');
    await h.text(third, NUMBER, 'And me');
    await h.idle();
    expect(atTwilio(h, 'Reply YES to confirm your appointment, NO to cancel.')).toHaveLength(3);
    await h.text(CUSTOMER, NUMBER, 'yes!');
    await h.text(other, NUMBER, 'No');
    await h.idle();
    expect(atTwilio(h, 'Confirmed, see you then.').map((m) => m.to)).toEqual([CUSTOMER]);
    expect(atTwilio(h, 'Canceled.').map((m) => m.to)).toEqual([other]);
    const otherTicket = (await h.api<{ tickets: { id: number; status: string }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(other)}`)).body.tickets;
    expect(otherTicket).toMatchObject([{ status: 'resolved' }]);
    // The third never answers: its wait ends with the timer (moved due now rather than waiting a minute).
    await h.sql.query(`UPDATE jobs SET run_at = now() WHERE queue = 'automation-timer'`);
    await h.idle();
    const thirdTicket = (await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(third)}`)).body.tickets[0]!;
    const t = (await h.api<Ticket>(`/api/v1/tickets/${thirdTicket.id}`)).body;
    expect(t.notes.some((n) => n.bodyHtml.includes('No answer to the confirmation.'))).toBe(true);
    const r = await runs(h, id);
    expect(r.filter((x) => x.event === 'ask.answered').map((x) => x.reason).sort()).toEqual(['answered NO', 'answered YES']);
    expect(r.filter((x) => x.event === 'ask.timed_out')).toHaveLength(1);
    // The answered ones' timers ended nothing: only the third timed out.
    expect(r.filter((x) => x.state === 'failed')).toEqual([]);
  });

  it('ticket.idle: after N minutes without activity it acts once; new activity moves the timer', async () => {
    const h = await start(backend);
    const id = await create(h, {
      name: 'Auto-resolve', when: 'ticket.idle', if: { idleMinutes: 4320, status: 'open' },
      then: [{ sendSms: { body: 'We have not heard back, so we are closing ticket #{{ticket.id}}.' } }, { setStatus: { status: 'resolved' } }],
    });
    const ticketId = await ticketFrom(h);
    await h.text(CUSTOMER, NUMBER, 'one more thing');
    await h.idle();
    const timers = async () => h.sql.query<{ key: string; run_at: Date }>(`SELECT key, run_at FROM jobs WHERE queue = 'automation-timer' AND state = 'ready'`);
    // Two texts armed it twice: one timer waits, three days after the last text.
    const [timer, ...more] = await timers();
    expect(more).toEqual([]);
    expect(timer!.key).toBe(`idle:${id}:builtin:${ticketId}`);
    const last = (await h.api<{ messages: { body: string; createdAt: string }[] }>('/api/v1/messages')).body.messages.find((m) => m.body === 'one more thing')!;
    expect(timer!.run_at.getTime() - Date.parse(last.createdAt)).toBeGreaterThanOrEqual(4320 * 60_000 - 1000);
    // Three days pass (the timer made due now).
    await h.sql.query(`UPDATE jobs SET run_at = now() WHERE queue = 'automation-timer'`);
    await h.idle();
    expect(atTwilio(h, `We have not heard back, so we are closing ticket #${ticketId}.`)).toHaveLength(1);
    expect((await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body.status).toBe('resolved');
    // Its own status change is no activity: no new timer for this automation.
    expect(await timers()).toEqual([]);
    expect((await runs(h, id)).filter((r) => r.fired)).toHaveLength(1);
  });

  it('message.failed: a reply that ends undelivered tells the on-call phone, once', async () => {
    const h = await start(backend);
    await create(h, { name: 'Failed', when: 'message.failed', then: [{ sendSms: { to: '+14155550166', body: 'A text on ticket #{{ticket.id}} failed.' } }] });
    const ticketId = await ticketFrom(h);
    h.emulator.setDeliveryOutcome(CUSTOMER, { status: 'undelivered', errorCode: 30003 });
    const res = await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'Are you there?' } });
    expect(res.status).toBe(202);
    await h.emulator.waitForMessage((m) => m.body === 'Are you there?' && m.status === 'undelivered');
    await h.idle();
    await h.emulator.waitForMessage((m) => m.to === '+14155550166' && m.body === `A text on ticket #${ticketId} failed.`);
    await h.idle();
    expect(atTwilio(h, `A text on ticket #${ticketId} failed.`)).toHaveLength(1);
  });

  it('voice alert: a keyword texted in calls the on-call phone, reading the text, once', async () => {
    const h = await start(backend);
    const onCall = '+14155550166';
    const id = await create(h, {
      name: 'Urgent', when: 'message.received', if: { keyword: 'urgent' },
      then: [{ call: { to: onCall, say: 'Urgent text on ticket {{ticket.id}} from {{contact.phone}}.' } }],
    });
    await h.text(CUSTOMER, NUMBER, 'URGENT');
    await h.idle();
    const call = await h.emulator.waitForCall((c) => c.to === onCall && c.spoken !== null, { timeoutMs: 10_000 });
    const ticketId = (await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`)).body.tickets[0]!.id;
    expect(call).toMatchObject({ from: NUMBER, spoken: [`Urgent text on ticket ${ticketId} from ${CUSTOMER}.`] });
    expect(h.emulator.calls()).toHaveLength(1);
    const [run] = await runs(h, id);
    expect(run!.actions[0]).toMatchObject({ kind: 'call', state: 'done', detail: `call ${call.sid} to ${onCall}` });
  });

  it('quiet hours hold an automated text until they end in the recipient\'s time zone', async () => {
    // Quiet all day but one minute: whenever this runs, it is inside them for a UTC (+44) recipient.
    const now = new Date();
    const end = new Date(now.getTime() - 60_000);
    const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const h = await start(backend, { env: { QUIET_HOURS: `${hhmm(end)}-${hhmm(new Date(end.getTime() - 60_000))}`, DEFAULT_TIMEZONE: 'UTC' } });
    const uk = '+447700900123';
    await create(h, { name: 'Ack', when: 'ticket.created', then: [{ sendSms: { body: 'Got it, thanks.' } }] });
    await h.text(uk, NUMBER, 'hello from London');
    await h.idle();
    expect(atTwilio(h, 'Got it, thanks.')).toHaveLength(0);
    const { messages } = (await h.api<{ messages: { body: string; status: string; heldBy: string | null; sendAt: string }[] }>('/api/v1/messages?status=scheduled')).body;
    expect(messages).toMatchObject([{ body: 'Got it, thanks.', status: 'scheduled', heldBy: expect.stringContaining('quiet hours') }]);
    expect(Date.parse(messages[0]!.sendAt)).toBeGreaterThan(now.getTime());
  });
});

describe.each(backends)('automation webhooks on $name', (backend) => {
  it('posts the event to an outgoing webhook, signed by its secret; an unknown URL fails the action saying how to fix it', async () => {
    const { startWebhookReceiver } = await import('../helpers/webhook-receiver.ts');
    const receiver = await startWebhookReceiver();
    const h = await start(backend, { env: { SMSDESK_FETCH_ALLOW: '127.0.0.1' } });
    try {
      const hook = await h.api<{ id: number; secret: string }>('/api/v1/webhooks', { method: 'POST', body: { url: receiver.url, events: ['csat.received'] } });
      expect(hook.status).toBe(201);
      const id = await create(h, {
        name: 'Tell the CRM', when: 'ticket.created',
        // The same address written differently (scheme case) is the same webhook.
        then: [{ webhook: { url: receiver.url.replace('http://', 'HTTP://') } }, { webhook: { url: 'https://example.com/nobody' } }],
      });
      await h.text(CUSTOMER, NUMBER, 'New here');
      await h.idle();
      const got = await receiver.waitFor(1);
      expect(got.json).toMatchObject({ type: 'ticket.created', data: { ticket: { twilioNumber: NUMBER } } });
      const [t, v1] = String(got.headers['x-smsdesk-signature']).split(',').map((p) => p.split('=')[1]);
      const { createHmac } = await import('node:crypto');
      expect(v1).toBe(createHmac('sha256', hook.body.secret).update(`${t}.${got.body}`).digest('hex'));
      const [run] = await runs(h, id);
      expect(run!.actions.map((a) => a.state)).toEqual(['done', 'failed']);
      expect(run!.actions[1]!.detail).toContain('add it in Settings → Webhooks');
    } finally {
      await receiver.close();
    }
  });

  it('tells a usage.threshold webhook when the month passes 80% and 100% of SMS_MONTHLY_LIMIT, once each', async () => {
    const { startWebhookReceiver } = await import('../helpers/webhook-receiver.ts');
    const receiver = await startWebhookReceiver();
    const h = await start(backend, { env: { SMSDESK_FETCH_ALLOW: '127.0.0.1', SMS_MONTHLY_LIMIT: '5' } });
    try {
      expect((await h.api('/api/v1/webhooks', { method: 'POST', body: { url: receiver.url, events: ['usage.threshold'] } })).status).toBe(201);
      const ticketId = await ticketFrom(h);
      for (let i = 0; i < 5; i++) expect((await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: `reply ${i}` } })).status).toBe(202);
      await h.idle();
      await receiver.waitFor(2);
      const got = receiver.received.map((r) => r.json as { type: string; data: { threshold: number; segments: number; limit: number } });
      expect(got.map((g) => [g.type, g.data.threshold, g.data.segments]).sort()).toEqual([['usage.threshold', 0.8, 4], ['usage.threshold', 1, 5]]);
      expect((await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'one too many' } })).status).toBe(409);
      await h.idle();
      expect(receiver.received).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });
});
