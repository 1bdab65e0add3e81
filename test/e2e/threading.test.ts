import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, OTHER_CUSTOMER, OTHER_NUMBER, startHarness, type Harness } from '../helpers/harness.ts';

interface Ticket {
  id: number; subject: string; status: string; twilioNumber: string; descriptionHtml: string;
  requester: { id: number; phone: string };
  notes: { bodyHtml: string; incoming: boolean }[];
}
interface Message { sid: string; body: string; ticketId: number; routing: { action: string; rule: string; reason: string; ticketId: number } }

describe.each(backends)('threading on $name', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const tickets = async (phone = CUSTOMER) =>
    (await h.api<{ tickets: Ticket[] }>(`/api/v1/tickets?phone=${encodeURIComponent(phone)}`)).body.tickets.sort((a, b) => a.id - b.id);
  const ticket = async (id: number) => (await h.api<Ticket>(`/api/v1/tickets/${id}`)).body;
  const messages = async (phone = CUSTOMER) => (await h.api<{ messages: Message[] }>(`/api/v1/messages?phone=${encodeURIComponent(phone)}`)).body.messages;
  const textAndRoute = async (from: string, to: string, body: string) => {
    const res = await h.text(from, to, body);
    expect(res.status).toBe(200);
    await h.idle();
    return (await messages(from)).find((m) => m.sid === res.messageSid)!;
  };

  it('puts a burst of 10 concurrent texts from one customer on one ticket, in order', async () => {
    h = await startHarness(backend);
    const bodies = Array.from({ length: 10 }, (_, i) => `part ${i + 1}`);
    // Sent one after another without waiting, as a phone fires a long story: acks overlap, routing must not.
    const results = await Promise.all(bodies.map((b, i) => new Promise((r) => setTimeout(r, i * 2)).then(() => h.text(CUSTOMER, NUMBER, b))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await h.idle();
    const all = await tickets();
    expect(all).toHaveLength(1);
    const t = all[0]!;
    expect(t.notes).toHaveLength(9);
    const stored = await messages();
    expect(new Set(stored.map((m) => m.ticketId))).toEqual(new Set([t.id]));
    // The order routed is the order stored: the description holds the first, the notes the rest in turn.
    const order = stored.map((m) => m.body);
    expect(t.descriptionHtml).toContain(`>${order[0]}<`);
    t.notes.forEach((n, i) => expect(n.bodyHtml).toContain(`>${order[i + 1]}<`));
  });

  it('gives each of many customers texting at once a ticket of their own', async () => {
    h = await startHarness(backend);
    const customers = Array.from({ length: 8 }, (_, i) => `+1415555020${i}`);
    await Promise.all(customers.flatMap((c) => [1, 2, 3].map((n) => h.text(c, NUMBER, `${c} says ${n}`))));
    await h.idle();
    for (const c of customers) {
      const own = await tickets(c);
      expect(own).toHaveLength(1);
      expect(own[0]!.notes).toHaveLength(2);
      expect(own[0]!.requester.phone).toBe(c);
    }
    const contacts = (await h.api<{ contacts: unknown[] }>('/api/v1/contacts')).body.contacts;
    expect(contacts).toHaveLength(8);
  });

  it('follows the window: a follow-up inside it appends and says why', async () => {
    h = await startHarness(backend);
    const first = await textAndRoute(CUSTOMER, NUMBER, 'Where is my parcel?');
    const second = await textAndRoute(CUSTOMER, NUMBER, 'It was due Monday');
    expect(first.routing).toMatchObject({ action: 'create', rule: 'new' });
    expect(second.routing).toMatchObject({ action: 'append', rule: 'window', ticketId: first.ticketId });
    expect(second.routing.reason).toMatch(new RegExp(`^appended to #${first.ticketId}: open, last activity under a minute ago, window 60 min$`));
    const t = await ticket(first.ticketId);
    expect(t.notes).toHaveLength(1);
    expect(t.notes[0]).toMatchObject({ incoming: true });
    expect(t.notes[0]!.bodyHtml).toContain('INCOMING SMS: via Twilio Webhook');
  });

  it('starts a new ticket once the window has passed, and when texting another number', async () => {
    h = await startHarness(backend, { env: { THREAD_WINDOW_MINUTES: '30' } });
    const first = await textAndRoute(CUSTOMER, NUMBER, 'first');
    const otherNumber = await textAndRoute(CUSTOMER, OTHER_NUMBER, 'to the other line');
    expect(otherNumber.ticketId).not.toBe(first.ticketId);
    // 31 minutes pass: the ticket and its SMS binding age.
    await h.sql.query(`UPDATE ticket_links SET last_activity_at = last_activity_at - interval '31 minutes'`);
    await h.sql.query(`UPDATE hd_tickets SET updated_at = updated_at - interval '31 minutes'`);
    const late = await textAndRoute(CUSTOMER, NUMBER, 'much later');
    expect(late.routing.action).toBe('create');
    expect(late.routing.reason).toMatch(/#\d+ last active 31 min ago, outside the 30 min window/);
    expect(late.ticketId).not.toBe(first.ticketId);
  });

  it('threads by when a text arrived, not by when it was routed', async () => {
    h = await startHarness(backend, { env: { THREAD_WINDOW_MINUTES: '30' } });
    const first = await textAndRoute(CUSTOMER, NUMBER, 'first');
    await h.sql.query(`UPDATE ticket_links SET last_activity_at = last_activity_at - interval '20 minutes'`);
    await h.sql.query(`UPDATE hd_tickets SET updated_at = updated_at - interval '20 minutes'`);
    // Sent 20 minutes after the first text; routing then stalled for an hour (a backlog, an outage).
    await h.smsdesk.worker.stop();
    const res = await h.text(CUSTOMER, NUMBER, 'second, delayed');
    await h.sql.query(`UPDATE ticket_links SET last_activity_at = last_activity_at - interval '60 minutes'`);
    await h.sql.query(`UPDATE hd_tickets SET updated_at = updated_at - interval '60 minutes'`);
    await h.sql.query(`UPDATE messages SET created_at = created_at - interval '60 minutes' WHERE sid = $1`, [res.messageSid]);
    h.smsdesk.worker.start();
    await h.idle();
    const second = (await messages()).find((m) => m.sid === res.messageSid)!;
    expect(second.routing).toMatchObject({ action: 'append', rule: 'window', ticketId: first.ticketId });
    expect(second.routing.reason).toMatch(/last activity 20 min ago, window 30 min/);
  });

  it('lets the ticket-id pattern beat the window, and reopens a resolved ticket', async () => {
    h = await startHarness(backend);
    const old = await textAndRoute(CUSTOMER, NUMBER, 'old problem');
    await h.api(`/api/v1/tickets/${old.ticketId}`, { method: 'PATCH', body: { status: 'resolved' } });
    const recent = await textAndRoute(CUSTOMER, NUMBER, 'new problem');
    expect(recent.ticketId).not.toBe(old.ticketId);
    const byId = await textAndRoute(CUSTOMER, NUMBER, `About #${old.ticketId} again`);
    expect(byId.routing).toMatchObject({ action: 'append', rule: 'pattern', ticketId: old.ticketId });
    expect(byId.routing.reason).toMatch(/resolved and is reopened/);
    expect((await ticket(old.ticketId)).status).toBe('open');
    expect((await ticket(recent.ticketId)).notes).toHaveLength(0);
  });

  it('never lets a stranger reach another customer\'s ticket by naming it', async () => {
    h = await startHarness(backend);
    const victim = await textAndRoute(CUSTOMER, NUMBER, 'my private issue');
    const probe = await textAndRoute(OTHER_CUSTOMER, NUMBER, `Add this to #${victim.ticketId} please`);
    expect(probe.ticketId).not.toBe(victim.ticketId);
    expect(probe.routing.action).toBe('create');
    expect(probe.routing.reason).not.toContain(`#${victim.ticketId}`);
    expect((await ticket(victim.ticketId)).notes).toHaveLength(0);
    expect((await tickets(OTHER_CUSTOMER))[0]!.requester.phone).toBe(OTHER_CUSTOMER);
  });

  it('opens a follow-up ticket, linked, when the text names a closed ticket', async () => {
    h = await startHarness(backend);
    const closed = await textAndRoute(CUSTOMER, NUMBER, 'done and dusted');
    await h.api(`/api/v1/tickets/${closed.ticketId}`, { method: 'PATCH', body: { status: 'closed' } });
    const follow = await textAndRoute(CUSTOMER, NUMBER, `Re #${closed.ticketId}: it broke again`);
    expect(follow.routing).toMatchObject({ action: 'create', rule: 'pattern-closed' });
    expect(follow.ticketId).not.toBe(closed.ticketId);
    const t = await ticket(follow.ticketId);
    expect(t.descriptionHtml).toContain(`Follow-up to closed ticket #${closed.ticketId}`);
    expect((await ticket(closed.ticketId)).status).toBe('closed');
  });

  it('can turn each rule off', async () => {
    h = await startHarness(backend, { env: { THREAD_WINDOW_MINUTES: '0', TICKET_ID_PATTERN: '' } });
    const a = await textAndRoute(CUSTOMER, NUMBER, 'one');
    const b = await textAndRoute(CUSTOMER, NUMBER, `two, see #${a.ticketId}`);
    expect(b.ticketId).not.toBe(a.ticketId);
    expect(b.routing.reason).toBe('created: recent-activity threading is off');
  });

  it('escapes every value where it lands in HTML', async () => {
    h = await startHarness(backend);
    const evil = `<script>alert("x")</script> & 'quotes' <img src=x onerror=alert(1)>`;
    const m = await textAndRoute(CUSTOMER, NUMBER, evil);
    const t = await ticket(m.ticketId);
    expect(t.descriptionHtml).not.toContain('<script>');
    expect(t.descriptionHtml).not.toContain('<img');
    expect(t.descriptionHtml).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    await textAndRoute(CUSTOMER, NUMBER, '</td></tr></table><b>bold</b>');
    const note = (await ticket(m.ticketId)).notes[0]!;
    expect(note.bodyHtml).toContain('&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;b&gt;bold&lt;/b&gt;');
    expect(t.subject).toBe(evil);
  });
});
