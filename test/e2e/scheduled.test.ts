import { afterEach, describe, expect, it } from 'vitest';
import { backends, postgresBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, postReply, startHarness, ticketFrom, type ApiMessage, type Harness } from '../helpers/outbound.ts';

interface Scheduled extends ApiMessage { sendAt: string | null; origin: string; heldBy: string | null }
interface Ticket { id: number; notes: { bodyHtml: string; private: boolean }[] }

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
/** Texts at Twilio (the emulator) with this body. */
const atTwilio = (h: Harness, body: string) => h.emulator.messages().filter((m) => m.direction !== 'inbound' && m.body === body);
const WAIT = { timeout: 20_000, interval: 50 };
const message = async (h: Harness, id: number) => (await h.api<Scheduled>(`/api/v1/messages/${id}`)).body;

/** Harnesses started by a test, closed after it (a restart's second one first). */
const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0).reverse()) await h.close();
});
const start = async (...args: Parameters<typeof startHarness>) => {
  const h = await startHarness(...args);
  open.push(h);
  return h;
};

describe.each(backends)('scheduled messages on $name', (backend) => {

  it('sends a scheduled reply once at its time, not before, and lists it while it waits', async () => {
    const h = await start(backend);
    const ticketId = await ticketFrom(h);
    const sendAt = inMs(1500);
    const res = await postReply(h, ticketId, { body: 'Your appointment is tomorrow at 10.', sendAt });
    expect(res.status).toBe(202);
    const m = res.body.message as Scheduled;
    expect(m).toMatchObject({ status: 'scheduled', origin: 'api', heldBy: null });
    expect(new Date(m.sendAt!).toISOString()).toBe(sendAt);
    const pending = (await h.api<{ messages: Scheduled[] }>('/api/v1/messages?status=scheduled')).body.messages;
    expect(pending.map((p) => p.id)).toEqual([m.id]);

    await expect.poll(() => atTwilio(h, 'Your appointment is tomorrow at 10.').length, WAIT).toBe(1);
    const [sent] = atTwilio(h, 'Your appointment is tomorrow at 10.');
    expect(Date.parse(sent!.dateCreated)).toBeGreaterThanOrEqual(Date.parse(sendAt));
    await h.idle();
    expect(atTwilio(h, 'Your appointment is tomorrow at 10.')).toHaveLength(1);
    const after = await message(h, m.id);
    expect(after.statusHistory.map((s) => s.status).slice(0, 2)).toEqual(['scheduled', 'queued']);
    expect((await h.api<{ messages: Scheduled[] }>('/api/v1/messages?status=scheduled')).body.messages).toEqual([]);
  });

  it('lists pending messages soonest first, and edits the time and text of one', async () => {
    const h = await start(backend);
    const ticketId = await ticketFrom(h);
    const later = (await postReply(h, ticketId, { body: 'later', sendAt: inMs(3 * 3_600_000) })).body.message;
    const sooner = (await postReply(h, ticketId, { body: 'sooner', sendAt: inMs(3_600_000) })).body.message;
    const list = (await h.api<{ messages: Scheduled[] }>('/api/v1/messages?status=scheduled')).body.messages;
    expect(list.map((x) => x.body)).toEqual(['sooner', 'later']);

    const edited = await h.api<Scheduled>(`/api/v1/messages/${later.id}`, { method: 'PATCH', body: { body: 'now soon, and edited', sendAt: inMs(1200) } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ status: 'scheduled', body: 'now soon, and edited' });
    await expect.poll(() => atTwilio(h, 'now soon, and edited').length, WAIT).toBe(1);
    expect(atTwilio(h, 'later')).toHaveLength(0);
    // Once sent, it is no longer scheduled: edits and cancels are refused with the reason.
    const tooLate = await h.api<{ error: { code: string; message: string } }>(`/api/v1/messages/${later.id}`, { method: 'PATCH', body: { body: 'x' } });
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error.code).toBe('not_scheduled');
    expect((await h.api(`/api/v1/messages/${later.id}/cancel`, { method: 'POST' })).status).toBe(409);
    expect((await h.api<{ messages: Scheduled[] }>('/api/v1/messages?status=scheduled')).body.messages.map((x) => x.id)).toEqual([sooner.id]);
  });

  it('cancels a scheduled message: it never goes, and a cancel racing the send has one winner', async () => {
    const h = await start(backend);
    const ticketId = await ticketFrom(h);
    const canceled = (await postReply(h, ticketId, { body: 'never to go', sendAt: inMs(60_000) })).body.message;
    const res = await h.api<Scheduled>(`/api/v1/messages/${canceled.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('canceled');
    const outcomes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const body = `race ${i}`;
      const sendAt = Date.now() + 400;
      const m = (await postReply(h, ticketId, { body, sendAt: new Date(sendAt).toISOString() })).body.message;
      // Cancel as close to the due time as this process can.
      await new Promise((r) => setTimeout(r, Math.max(0, sendAt - Date.now() + i * 30 - 60)));
      const cancel = await h.api<Scheduled | { error: { code: string } }>(`/api/v1/messages/${m.id}/cancel`, { method: 'POST' });
      outcomes.push(cancel.status);
      await h.idle();
      const state = await message(h, m.id);
      if (cancel.status === 200) {
        expect(state.status).toBe('canceled');
        expect(atTwilio(h, body)).toHaveLength(0);
      } else {
        expect(cancel.status).toBe(409);
        expect(state.status).not.toBe('canceled');
        await expect.poll(() => atTwilio(h, body).length, WAIT).toBe(1);
      }
    }
    expect(outcomes.every((s) => s === 200 || s === 409)).toBe(true);
    await h.idle();
    expect(atTwilio(h, 'never to go')).toHaveLength(0);
  });

  it('refuses a time in the past, more than a year ahead, or without an offset', async () => {
    const h = await start(backend);
    const ticketId = await ticketFrom(h);
    for (const sendAt of [inMs(-60_000), inMs(400 * 86_400_000), '2027-01-01T09:00:00', 'tomorrow', '2027-13-45T09:00:00Z']) {
      const res = await postReply(h, ticketId, { body: 'x', sendAt });
      expect(res.status, sendAt).toBe(400);
      expect(res.body.error?.code).toBe('invalid_send_at');
    }
    const started = await h.api<{ error: { code: string } }>('/api/v1/messages', { method: 'POST', body: { to: CUSTOMER, from: NUMBER, body: 'x', sendAt: inMs(-1) } });
    expect(started.body.error.code).toBe('invalid_send_at');
    expect((await h.api<{ messages: Scheduled[] }>('/api/v1/messages?status=scheduled')).body.messages).toEqual([]);
  });

  it('checks opt-outs when the message is due: one who opted out meanwhile gets nothing, and the ticket says why', async () => {
    const h = await start(backend);
    const ticketId = await ticketFrom(h);
    const m = (await postReply(h, ticketId, { body: 'a reminder', sendAt: inMs(1500) })).body.message;
    await h.text(CUSTOMER, NUMBER, 'STOP');
    await h.idle();
    await expect.poll(async () => (await message(h, m.id)).status, WAIT).toBe('failed');
    expect(atTwilio(h, 'a reminder')).toHaveLength(0);
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body;
    expect(ticket.notes.some((n) => n.private && n.bodyHtml.includes('was not sent') && n.bodyHtml.includes('opted out'))).toBe(true);
  });

  it('sends a message scheduled before a restart once, after it', async () => {
    const h = await start(backend);
    const ticketId = await ticketFrom(h);
    await postReply(h, ticketId, { body: 'across a restart', sendAt: inMs(1500) });
    await h.stopSmsdesk();
    const again = await start(backend, { db: h.db, env: { TWILIO_API_BASE_URL: h.emulator.apiBaseUrl } });
    await expect.poll(() => atTwilio(h, 'across a restart').length, WAIT).toBe(1);
    await again.idle();
    expect(atTwilio(h, 'across a restart')).toHaveLength(1);
  });
});

describe.each(backends)('quiet hours, business hours and the monthly limit on $name', (backend) => {
  const LONDON = '+447700900123';
  const SAN_FRANCISCO = '+14155550123';

  /** A window around this minute in London (and so 8 hours off San Francisco's night): HH:MM-HH:MM. */
  const quietAroundNowInLondon = () => {
    const fmt = (d: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
    return { window: `${fmt(new Date(Date.now() - 30 * 60_000))}-${fmt(new Date(Date.now() + 10 * 60_000))}`, endsBy: Date.now() + 11 * 60_000 };
  };

  it('holds a scheduled text inside quiet hours in the recipient\'s time zone: +44 waits, +1 415 goes at the same instant', async () => {
    const quiet = quietAroundNowInLondon();
    const h = await start(backend, { env: { QUIET_HOURS: quiet.window } });
    const sendAt = inMs(1200);
    const uk = (await h.api<{ message: Scheduled }>('/api/v1/messages', { method: 'POST', body: { to: LONDON, from: NUMBER, body: 'to London', sendAt } })).body.message;
    const us = (await h.api<{ message: Scheduled }>('/api/v1/messages', { method: 'POST', body: { to: SAN_FRANCISCO, from: NUMBER, body: 'to San Francisco', sendAt } })).body.message;
    await expect.poll(() => atTwilio(h, 'to San Francisco').length, WAIT).toBe(1);
    await expect.poll(async () => (await message(h, uk.id)).heldBy, WAIT).toMatch(/quiet hours .* in Europe\/London/);
    const held = await message(h, uk.id);
    expect(held.status).toBe('scheduled');
    expect(Date.parse(held.sendAt!)).toBeGreaterThan(Date.parse(sendAt));
    expect(Date.parse(held.sendAt!)).toBeLessThanOrEqual(quiet.endsBy);
    expect(held.sendAt!.slice(14, 19)).toMatch(/^\d\d:00$/); // the window's end, to the minute
    expect(atTwilio(h, 'to London')).toHaveLength(0);
    expect((await message(h, us.id)).heldBy).toBeNull();
    // An agent's direct reply is never held.
    await h.api('/api/v1/messages', { method: 'POST', body: { to: LONDON, from: NUMBER, body: 'direct to London' } });
    await expect.poll(() => atTwilio(h, 'direct to London').length, WAIT).toBe(1);
  });

  it('holds past a quiet window that ends in the hour clocks skip (DST), to the first moment after it', async () => {
    // 01:50 EST on 2027-03-14 in New York, where 02:00 becomes 03:00: a window ending at 02:30 ends at 03:30 EDT.
    const h = await start(backend, {
      env: { QUIET_HOURS: '22:00-02:30' },
      smsdesk: { clock: { now: () => new Date('2027-03-14T06:50:00Z') } },
    });
    const m = (await h.api<{ message: Scheduled }>('/api/v1/messages', { method: 'POST', body: { to: '+12125550123', from: NUMBER, body: 'spring forward', sendAt: inMs(1000) } })).body.message;
    await expect.poll(async () => (await message(h, m.id)).heldBy, WAIT).toMatch(/America\/New_York/);
    expect(new Date((await message(h, m.id)).sendAt!).toISOString()).toBe('2027-03-14T07:30:00.000Z');
  });

  it('offers the next business morning in the team\'s time zone', async () => {
    const h = await start(backend, {
      env: { BUSINESS_HOURS: 'Mon-Fri 09:00-17:00', DEFAULT_TIMEZONE: 'America/New_York' },
      smsdesk: { clock: { now: () => new Date('2026-12-04T23:00:00Z') } }, // Friday 18:00 in New York
    });
    const s = (await h.api<{ businessOpen: boolean; nextOpening: string; businessHours: string }>('/api/v1/settings/schedule')).body;
    expect(s).toMatchObject({ businessOpen: false, businessHours: 'Mon-Fri 09:00-17:00' });
    expect(new Date(s.nextOpening).toISOString()).toBe('2026-12-07T14:00:00.000Z'); // Monday 09:00 EST
    const bad = await h.api<{ error: { code: string; message: string } }>('/api/v1/settings/schedule', { method: 'PATCH', body: { businessHours: 'weekdays 9 to 5' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/BUSINESS_HOURS/);
    const holiday = await h.api<{ holidays: string[] }>('/api/v1/settings/schedule', { method: 'PATCH', body: { holidays: ['2026-12-07'] } });
    expect(holiday.body.holidays).toEqual(['2026-12-07']);
    const after = (await h.api<{ nextOpening: string }>('/api/v1/settings/schedule')).body;
    expect(new Date(after.nextOpening).toISOString()).toBe('2026-12-08T14:00:00.000Z');
  });

  it('refuses a send that would pass the monthly limit before calling Twilio, and reports usage', async () => {
    const h = await start(backend, { env: { SMS_MONTHLY_LIMIT: '3' } });
    const ticketId = await ticketFrom(h);
    expect((await postReply(h, ticketId, { body: 'one' })).status).toBe(202);
    expect((await postReply(h, ticketId, { body: 'two' })).status).toBe(202);
    const long = 'x'.repeat(200); // two segments: 4 in all would pass 3
    const refused = await postReply(h, ticketId, { body: long });
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('monthly_limit_reached');
    expect(refused.body.error?.message).toMatch(/2 used, this message needs 2/);
    await h.idle();
    expect(atTwilio(h, long)).toHaveLength(0);
    const usage = (await h.api<{ month: string; segments: number; messages: number; limit: number; byNumber: { number: string; segments: number }[]; warning: number | null }>('/api/v1/usage')).body;
    expect(usage).toMatchObject({ month: new Date().toISOString().slice(0, 7), segments: 2, messages: 2, limit: 3 });
    expect(usage.byNumber).toEqual([{ number: NUMBER, segments: 2, messages: 2 }]);
    // A scheduled message due past the limit fails with that code and a note on its ticket.
    const later = (await postReply(h, ticketId, { body: long, sendAt: inMs(1000) })).body.message;
    await expect.poll(async () => (await message(h, later.id)).status, WAIT).toBe('failed');
    expect((await message(h, later.id)).errorMessage).toMatch(/^monthly_limit_reached/);
    const ticket = (await h.api<Ticket>(`/api/v1/tickets/${ticketId}`)).body;
    expect(ticket.notes.some((n) => n.private && n.bodyHtml.includes('monthly limit'))).toBe(true);
    // One more segment fits: 3 of 3, and admins are warned at 100%.
    expect((await postReply(h, ticketId, { body: 'three' })).status).toBe(202);
    expect((await h.api<{ warning: number | null; segments: number }>('/api/v1/usage')).body).toMatchObject({ warning: 1, segments: 3 });
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('scheduled messages across instances', () => {
  it('two instances on one PostgreSQL send each scheduled message once', async () => {
    const a = await startHarness(postgresBackend);
    const b = await startHarness(postgresBackend, { db: { ...a.db, sql: await a.db.connectAgain!() }, env: { TWILIO_API_BASE_URL: a.emulator.apiBaseUrl } });
    try {
      const ticketId = await ticketFrom(a);
      const bodies = Array.from({ length: 20 }, (_, i) => `instance test ${i}`);
      for (const [i, body] of bodies.entries()) await postReply(i % 2 ? a : b, ticketId, { body, sendAt: inMs(1500 + i * 20) });
      await expect.poll(() => bodies.filter((body) => atTwilio(a, body).length > 0).length, WAIT).toBe(bodies.length);
      await a.idle();
      await b.idle();
      for (const body of bodies) expect(atTwilio(a, body)).toHaveLength(1);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
