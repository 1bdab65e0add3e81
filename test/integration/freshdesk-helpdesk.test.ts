import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { startHookReceiver } from '../helpers/hook-receiver.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { useFakeClock } from '../helpers/fake-clock.ts';
import { expectPausedUntilRetryAfter } from '../fakes/fake-helpdesk-server.ts';
import { FreshdeskHelpdesk } from '../../src/adapters/helpdesk/freshdesk/freshdesk-helpdesk.ts';
import { HelpdeskBusy, HelpdeskError, type AttachmentInput } from '../../src/ports/helpdesk.ts';
import { FakeFreshdesk, FRESHDESK_AGENT_ID } from '../fakes/freshdesk.ts';

const PHONE = '+14155550100';

function file(blobId: number, filename: string, contentType: string, data: Buffer): AttachmentInput {
  return { blobId, filename, contentType, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), read: async () => data };
}

/** A bare HTTP server on 127.0.0.1 that records what it was sent; its origin differs from the fake's (another port). */
async function listen(handler: (req: { url: string; method: string; headers: IncomingHttpHeaders }, res: ServerResponse) => void) {
  const seen: { url: string; method: string; headers: IncomingHttpHeaders }[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const r = { url: req.url ?? '/', method: req.method ?? 'GET', headers: req.headers };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, seen, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

describe('Freshdesk helpdesk against the Freshdesk fake', () => {
  let fake: FakeFreshdesk;
  const servers: Server[] = [];

  afterEach(async () => {
    await fake?.close();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  async function start(opts: { maxWaitMs?: number } = {}) {
    fake = await new FakeFreshdesk().start();
    return new FreshdeskHelpdesk({ url: fake.url, apiKey: fake.apiKey, ...opts });
  }

  function basic(apiKey: string): string {
    return 'Basic ' + Buffer.from(`${apiKey}:X`).toString('base64');
  }

  async function ticketFor(fd: FreshdeskHelpdesk, attachments: AttachmentInput[] = []) {
    const c = (await fd.findContactByPhone(PHONE)) ?? (await fd.createContact({ phone: PHONE, name: 'Ada' }));
    const t = await fd.createTicket({
      idempotencyKey: 'inbound:1', requesterId: c.id, requesterPhone: PHONE, subject: 'SMS from +14155550100',
      descriptionHtml: '<p>my printer is on fire</p><p>smsdesk ref inbound:1</p>', attachments,
    });
    return { contact: c, ticketId: t.id };
  }

  it('finds a contact by the exact mobile filter right after creating it, while the search API still lags', async () => {
    const fd = await start();
    expect(await fd.findContactByPhone(PHONE)).toBeNull();
    const created = await fd.createContact({ phone: PHONE, name: 'Ada' });
    expect(created).toEqual({ id: expect.any(Number), name: 'Ada', phone: PHONE });
    expect(created.id).toBeGreaterThan(2 ** 31);
    expect(Number.isSafeInteger(created.id)).toBe(true);
    expect(fake.contacts.get(created.id)).toMatchObject({ name: 'Ada', mobile: PHONE, phone: null });

    expect(await fd.findContactByPhone(PHONE)).toEqual(created);
    expect(await fd.findContactByPhone('+14155550199')).toBeNull();
    expect(await fd.listContacts({ phone: PHONE })).toEqual([created]);
    expect(fake.count(/^GET \/api\/v2\/search\//)).toBe(0);

    // Which is as well: the search API has not indexed the new contact yet…
    const search = (query: string) =>
      fetch(`${fake.url}/api/v2/search/contacts?query=${encodeURIComponent(query)}`, { headers: { authorization: basic(fake.apiKey) } });
    const lagging = await search(`"mobile:'${PHONE}'"`);
    expect(lagging.status).toBe(200);
    expect(await lagging.json()).toEqual({ results: [], total: 0 });
    // …though the query is right: once the index catches up, it finds the contact.
    fake.searchLagMs = 0;
    const later = (await (await search(`"mobile:'${PHONE}'"`)).json()) as { results: { id: number }[]; total: number };
    expect(later.results.map((r) => r.id)).toEqual([created.id]);
  });

  it('makes one contact of two concurrent creates of one phone (409 duplicate_value naming the contact)', async () => {
    const fd = await start();
    const [a, b] = await Promise.all([fd.createContact({ phone: PHONE, name: 'Ada' }), fd.createContact({ phone: PHONE, name: 'Ada' })]);
    expect(a.id).toBe(b.id);
    expect(a).toEqual({ id: a.id, name: 'Ada', phone: PHONE });
    expect(b).toEqual(a);
    expect([...fake.contacts.values()].filter((c) => c.mobile === PHONE).map((c) => c.id)).toEqual([a.id]);
    expect(fake.contacts.size).toBe(1);
    // Both posted; Freshdesk refused the second as a twin, and named the first in additional_info.user_id,
    // so the adapter settled without looking the contact up.
    expect(fake.calls.filter((c) => c.method === 'POST' && c.path === '/api/v2/contacts').map((c) => c.status).sort()).toEqual([201, 409]);
    expect(fake.count(/^GET \/api\/v2\/contacts$/)).toBe(0);

    // Another process, later: the same 409 path.
    const again = await new FreshdeskHelpdesk({ url: fake.url, apiKey: fake.apiKey }).createContact({ phone: PHONE, name: 'Ada' });
    expect(again.id).toBe(a.id);
    expect(fake.contacts.size).toBe(1);
  });

  it('creates a ticket with two attachments as multipart, source Phone, status Open, priority Low, tag sms', async () => {
    const fd = await start();
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200ff00fe', 'hex');
    const txt = Buffer.from('hello from a handset\n\u00e9\u00e8 \u{1F600}');
    const { contact, ticketId } = await ticketFor(fd, [file(1, 'photo.png', 'image/png', png), file(2, 'note.txt', 'text/plain', txt)]);

    const stored = fake.tickets.get(ticketId)!;
    expect(stored).toMatchObject({
      requester_id: contact.id, status: 2, priority: 1, source: 3, tags: ['sms'], subject: 'SMS from +14155550100',
      description: '<p>my printer is on fire</p><p>smsdesk ref inbound:1</p>',
    });
    expect(stored.attachments.map((a) => [a.name, a.content_type, a.size])).toEqual([['photo.png', 'image/png', png.length], ['note.txt', 'text/plain', txt.length]]);
    // The exact bytes landed.
    expect(fake.files.get(stored.attachments[0]!.id)!.data.equals(png)).toBe(true);
    expect(fake.files.get(stored.attachments[1]!.id)!.data.equals(txt)).toBe(true);
    expect(fake.attachedBytes(ticketId)).toBe(png.length + txt.length);

    // Without attachments the ticket goes as JSON, with the same fields.
    const plain = await fd.createTicket({
      idempotencyKey: 'inbound:2', requesterId: contact.id, requesterPhone: PHONE, subject: 'SMS', descriptionHtml: '<p>hi</p>', attachments: [], tags: ['sms', 'vip'],
    });
    expect(fake.tickets.get(plain.id)).toMatchObject({ status: 2, priority: 1, source: 3, tags: ['sms', 'vip'], attachments: [] });
  });

  it('reads a ticket back with its attachment urls and notes, following conversation pages past 100', async () => {
    const fd = await start();
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const { contact, ticketId } = await ticketFor(fd, [file(1, 'photo.png', 'image/png', png)]);
    for (let i = 0; i < 150; i++) fake.agentReply(ticketId, `<p>reply ${i}</p>`);
    const jpg = Buffer.from('jpeg bytes');
    const last = await fd.addNote(ticketId, {
      idempotencyKey: 'inbound:2', bodyHtml: '<p>thanks</p>', incoming: true, authorId: contact.id, private: false, attachments: [file(2, 'fire.jpg', 'image/jpeg', jpg)],
    });

    const before = fake.count(/^GET \/api\/v2\/tickets\/\d+\/conversations$/);
    const t = (await fd.getTicket(ticketId))!;
    expect(fake.count(/^GET \/api\/v2\/tickets\/\d+\/conversations$/) - before).toBe(2);
    expect(t).toMatchObject({
      id: ticketId, subject: 'SMS from +14155550100', status: 'open', requester: { id: contact.id, name: 'Ada', phone: PHONE },
      descriptionHtml: '<p>my printer is on fire</p><p>smsdesk ref inbound:1</p>', createdAt: expect.any(Date), updatedAt: expect.any(Date),
    });
    expect(t.notes).toHaveLength(151);
    expect(t.notes.slice(0, 150).map((n) => n.bodyHtml)).toEqual(Array.from({ length: 150 }, (_, i) => `<p>reply ${i}</p>`));
    expect(t.notes[150]).toMatchObject({ id: last.id, bodyHtml: '<p>thanks</p>', incoming: true, private: false });
    expect(new Set(t.notes.map((n) => n.id)).size).toBe(151);

    expect(t.attachments).toEqual([{ id: expect.any(Number), filename: 'photo.png', contentType: 'image/png', size: png.length, sha256: '', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/fd-attachments\/\d+$/) }]);
    expect(t.notes[150]!.attachments).toEqual([{ id: expect.any(Number), filename: 'fire.jpg', contentType: 'image/jpeg', size: jpg.length, sha256: '', url: expect.stringMatching(/^http/) }]);
    for (const [url, bytes] of [[t.attachments[0]!.url!, png], [t.notes[150]!.attachments[0]!.url!, jpg]] as const) {
      const served = await fetch(url);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
    }
    expect(await fd.getTicket(999)).toBeNull();
  });

  it("adds the customer's note as the contact (incoming, public) and a private note as the agent", async () => {
    const fd = await start();
    const { contact, ticketId } = await ticketFor(fd);
    const customer = await fd.addNote(ticketId, {
      idempotencyKey: 'inbound:2', bodyHtml: '<p>still on fire</p>', incoming: true, authorId: contact.id, private: false, attachments: [],
    });
    const pic = Buffer.from('a picture');
    const internal = await fd.addNote(ticketId, {
      idempotencyKey: 'status:1', bodyHtml: '<p>Delivery failed: 30003</p>', incoming: false, private: true, attachments: [file(3, 'x.jpg', 'image/jpeg', pic)],
    });
    expect(customer.id).toBeGreaterThan(2 ** 31);

    const [c1, c2] = fake.conversations.get(ticketId)!;
    expect(c1).toMatchObject({ id: customer.id, incoming: true, private: false, user_id: contact.id, source: 2, body: '<p>still on fire</p>' });
    expect(c2).toMatchObject({ id: internal.id, incoming: false, private: true, user_id: FRESHDESK_AGENT_ID, body: '<p>Delivery failed: 30003</p>' });
    expect(fake.files.get(c2!.attachments[0]!.id)!.data.equals(pic)).toBe(true);

    const t = (await fd.getTicket(ticketId))!;
    expect(t.notes.map((n) => [n.id, n.bodyHtml, n.incoming, n.private])).toEqual([
      [customer.id, '<p>still on fire</p>', true, false],
      [internal.id, '<p>Delivery failed: 30003</p>', false, true],
    ]);
  });

  it('maps statuses both ways and reads a summary in one call (requester phone from include=requester)', async () => {
    const fd = await start();
    const { contact, ticketId } = await ticketFor(fd);
    const before = fd.calls;
    expect(await fd.getTicketSummary(ticketId)).toEqual({ id: ticketId, status: 'open', requesterId: contact.id, requesterPhone: PHONE, updatedAt: expect.any(Date), priority: 'low' });
    expect(fd.calls - before).toBe(1);
    const headerCalls = fd.calls;
    expect(await fd.getTicketHeader(ticketId)).toMatchObject({ id: ticketId, status: 'open', requester: { id: contact.id, phone: PHONE } });
    expect(fd.calls - headerCalls).toBe(1);

    for (const [status, n] of [['pending', 3], ['resolved', 4], ['closed', 5], ['open', 2]] as const) {
      await fd.setStatus(ticketId, status);
      expect(fake.tickets.get(ticketId)!.status).toBe(n);
      expect((await fd.getTicketSummary(ticketId))!.status).toBe(status);
    }
    expect(fake.calls.filter((c) => c.method === 'PUT').map((c) => c.status)).toEqual([200, 200, 200, 200]);
    // A custom status (6+) is someone's to act on: pending.
    fake.agentSetStatus(ticketId, 6);
    expect((await fd.getTicketSummary(ticketId))!.status).toBe('pending');

    // An unknown ticket is a 404 with no body: null, not an error.
    const raw = await fetch(`${fake.url}/api/v2/tickets/999`, { headers: { authorization: basic(fake.apiKey) } });
    expect(raw.status).toBe(404);
    expect(await raw.text()).toBe('');
    expect(await fd.getTicketSummary(999)).toBeNull();
    expect(await fd.ticketForEvent(999)).toBeNull();
  });

  it("ticketForEvent lists agents' public replies and notes, oldest first, not private notes nor the customer's", async () => {
    const fd = await start();
    const { contact, ticketId } = await ticketFor(fd);
    await fd.addNote(ticketId, { idempotencyKey: 'inbound:2', bodyHtml: '<p>hello?</p>', incoming: true, authorId: contact.id, private: false, attachments: [] });
    const reply = fake.agentReply(ticketId, '<p>We are on it.</p>');
    fake.agentReply(ticketId, '<p>internal: call the fire brigade</p>', { private: true });
    const publicNote = fake.agentReply(ticketId, '<p>Technician booked for Monday.</p>', { note: true });
    await fd.addNote(ticketId, { idempotencyKey: 'inbound:3', bodyHtml: '<p>great</p>', incoming: true, authorId: contact.id, private: false, attachments: [] });
    await fd.addNote(ticketId, { idempotencyKey: 'status:1', bodyHtml: '<p>delivered</p>', incoming: false, private: true, attachments: [] });
    const system = await fd.addNote(ticketId, { idempotencyKey: 'auto:1', bodyHtml: '<p>Auto-reply sent</p>', incoming: false, private: false, attachments: [] });
    fake.tickets.get(ticketId)!.tags.push('vip');

    const view = (await fd.ticketForEvent(ticketId))!;
    expect(view.summary).toEqual({ id: ticketId, status: 'open', requesterId: contact.id, requesterPhone: PHONE, updatedAt: expect.any(Date), priority: 'low' });
    expect(view.tags).toEqual(['sms', 'vip']);
    expect(view.agentMessages).toEqual([
      { id: reply.id, bodyHtml: '<p>We are on it.</p>', createdAt: new Date(reply.created_at) },
      { id: publicNote.id, bodyHtml: '<p>Technician booked for Monday.</p>', createdAt: new Date(publicNote.created_at) },
      { id: system.id, bodyHtml: '<p>Auto-reply sent</p>', createdAt: expect.any(Date) },
    ]);
    // One read of the ticket, one of its conversations.
    expect(fake.count(new RegExp(`^GET /api/v2/tickets/${ticketId}$`))).toBe(1);
  });

  it('finds an earlier write by its marker', async () => {
    const fd = await start();
    const { contact, ticketId } = await ticketFor(fd);
    for (let i = 0; i < 120; i++) fake.agentReply(ticketId, `<p>reply ${i}</p>`);
    const note = await fd.addNote(ticketId, {
      idempotencyKey: 'inbound:2', bodyHtml: '<p>again</p><p>smsdesk ref inbound:2</p>', incoming: true, authorId: contact.id, private: false, attachments: [],
    });
    expect(await fd.findNoteWith(ticketId, 'smsdesk ref inbound:2')).toEqual({ id: note.id }); // on the second page
    expect(await fd.findNoteWith(ticketId, 'smsdesk ref inbound:1')).toBeNull(); // the description is not a note
    expect(await fd.findNoteWith(ticketId, 'smsdesk ref inbound:9')).toBeNull();
    expect(await fd.findTicketWith(contact.id, 'smsdesk ref inbound:1')).toEqual({ id: ticketId });
    expect(await fd.findTicketWith(contact.id, 'smsdesk ref inbound:9')).toBeNull();
    const other = await fd.createContact({ phone: '+14155550111', name: 'Bo' });
    expect(await fd.findTicketWith(other.id, 'smsdesk ref inbound:1')).toBeNull();
  });

  it('lists tickets by requester phone and status', async () => {
    const fd = await start();
    const a = await ticketFor(fd);
    const b = await ticketFor(fd);
    await fd.setStatus(b.ticketId, 'pending');
    const listed = await fd.listTickets({ requesterPhone: PHONE });
    expect(listed.map((t) => t.id).sort()).toEqual([a.ticketId, b.ticketId].sort());
    expect(listed.every((t) => t.requester.phone === PHONE && t.descriptionHtml.includes('smsdesk ref inbound:1'))).toBe(true);
    expect((await fd.listTickets({ requesterPhone: PHONE, status: 'pending' })).map((t) => t.id)).toEqual([b.ticketId]);
    expect(await fd.listTickets({ requesterPhone: '+14155550199' })).toEqual([]);
  });

  it('waits out a storm of 429s, and each write lands once with its bytes intact', async () => {
    const fd = await start();
    const { contact, ticketId } = await ticketFor(fd);
    const pdf = Buffer.from('%PDF-1.4 not really');
    const clock = useFakeClock();
    fake.storm(5, 1);
    const [ticket, ...notes] = await clock.settle(Promise.all([
      fd.createTicket({
        idempotencyKey: 'inbound:9', requesterId: contact.id, requesterPhone: PHONE, subject: 'SMS', descriptionHtml: '<p>storm ticket</p>',
        attachments: [file(9, 'a.pdf', 'application/pdf', pdf)],
      }),
      ...[1, 2, 3, 4].map((i) => fd.addNote(ticketId, { idempotencyKey: `n${i}`, bodyHtml: `<p>note ${i}</p>`, incoming: false, private: true, attachments: [] })),
    ])).finally(clock.restore);
    expectPausedUntilRetryAfter(fake.calls, 1000);
    expect(fake.throttled).toBe(5);
    expect(new Set(notes.map((n) => n.id)).size).toBe(4);
    expect(fake.conversations.get(ticketId)!.map((c) => c.body).sort()).toEqual([1, 2, 3, 4].map((i) => `<p>note ${i}</p>`));
    expect([...fake.tickets.values()].filter((t) => t.description === '<p>storm ticket</p>').map((t) => t.id)).toEqual([ticket!.id]);
    expect(fake.calls.filter((c) => c.method === 'POST' && c.path === '/api/v2/tickets' && c.status === 201)).toHaveLength(2);
    // The multipart body went again after its 429, whole.
    const [stored] = fake.tickets.get(ticket!.id)!.attachments;
    expect(fake.files.get(stored!.id)!.data.equals(pdf)).toBe(true);
    // calls counts every call, 429s included.
    expect(fd.calls).toBe(fake.calls.length);
    expect(fake.calls.filter((c) => c.status === 429)).toHaveLength(5);
  });

  it('throws HelpdeskBusy when Freshdesk asks for a longer pause than a call may wait', async () => {
    const fd = await start({ maxWaitMs: 1000 });
    const clock = useFakeClock();
    try {
      fake.storm(1, 60);
      const started = Date.now();
      // Thrown at once: with the clock stopped, a call that waited (its maxWaitMs, say) would never return.
      const err = await clock.frozen(fd.findContactByPhone(PHONE).catch((e: unknown) => e), 'findContactByPhone');
      expect(err).toBeInstanceOf(HelpdeskBusy);
      expect((err as HelpdeskBusy).until.getTime()).toBe(started + 60_000);
      expect((err as HelpdeskBusy).helpdesk).toBe('Freshdesk');
      expect(fd.calls).toBe(1);
      // The pause holds for every call to this helpdesk, without another request.
      await expect(clock.frozen(fd.getTicketSummary(1), 'getTicketSummary')).rejects.toBeInstanceOf(HelpdeskBusy);
      expect(fd.calls).toBe(1);
    } finally {
      clock.restore();
    }
  });

  it("surfaces a wrong API key as a 401 HelpdeskError in Freshdesk's words", async () => {
    await start();
    const wrong = new FreshdeskHelpdesk({ url: fake.url, apiKey: 'not-the-key' });
    const err = await wrong.findContactByPhone(PHONE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelpdeskError);
    expect((err as HelpdeskError).status).toBe(401);
    expect((err as HelpdeskError).message).toMatch(/^Freshdesk: GET \/api\/v2\/contacts answered 401: You have to be logged in to perform this action/);
  });

  it('surfaces a validation error as a 400 HelpdeskError naming the field', async () => {
    const fd = await start();
    const err = await fd.createTicket({
      idempotencyKey: 'inbound:1', requesterId: 43000009999, requesterPhone: PHONE, subject: 'SMS', descriptionHtml: '<p>hi</p>', attachments: [],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelpdeskError);
    expect((err as HelpdeskError).status).toBe(400);
    expect((err as HelpdeskError).message).toContain('POST /api/v2/tickets answered 400: Validation failed');
    expect((err as HelpdeskError).message).toContain('requester_id: There is no contact matching the given requester_id');
    expect(fake.tickets.size).toBe(0);
  });

  it('refuses attachments past 20 MB a ticket, which the adapter reports as its cap', async () => {
    const fd = await start();
    expect(fd.attachmentCapBytes).toBe(20 * 1024 * 1024);
    const { ticketId } = await ticketFor(fd, [file(1, 'a.bin', 'application/octet-stream', Buffer.alloc(15 * 1024 * 1024))]);
    const err = await fd.addNote(ticketId, {
      idempotencyKey: 'big', bodyHtml: '<p>b</p>', incoming: false, private: true,
      attachments: [file(2, 'b.bin', 'application/octet-stream', Buffer.alloc(6 * 1024 * 1024))],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelpdeskError);
    expect((err as HelpdeskError).status).toBe(400);
    expect((err as HelpdeskError).message).toContain('attachments: The cumulative attachment size must not exceed 20 MB');
    expect(fake.attachedBytes(ticketId)).toBe(15 * 1024 * 1024);
  });

  it('never follows a redirect off the configured origin, so the API key stays there', async () => {
    const elsewhere = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    servers.push(elsewhere.server);
    const origin = await listen((req, res) => res.writeHead(req.method === 'GET' ? 302 : 307, { location: `${elsewhere.url}${req.url}` }).end());
    servers.push(origin.server);
    fake = await new FakeFreshdesk().start(); // for afterEach
    const fd = new FreshdeskHelpdesk({ url: origin.url, apiKey: 'fd-secret-key' });

    const err = await fd.findContactByPhone(PHONE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelpdeskError);
    expect((err as HelpdeskError).status).toBe(302);
    const post = await fd.createContact({ phone: PHONE, name: 'Ada' }).catch((e: unknown) => e);
    expect(post).toBeInstanceOf(HelpdeskError);
    expect((post as HelpdeskError).status).toBe(307);

    expect(origin.seen.map((r) => [r.method, r.headers.authorization])).toEqual([['GET', basic('fd-secret-key')], ['POST', basic('fd-secret-key')]]);
    expect(elsewhere.seen).toEqual([]);
  });

  it('reads the X-RateLimit headers and counts its calls', async () => {
    const fd = await start();
    expect(fd.client.rateLimit).toEqual({ total: null, remaining: null });
    expect(fd.calls).toBe(0);
    fake.rateLimit = { perMinute: 50, timeScale: 1 };
    await fd.findContactByPhone(PHONE);
    expect(fd.client.rateLimit).toEqual({ total: 50, remaining: 49 });
    expect(fd.calls).toBe(1);
    await fd.createContact({ phone: PHONE, name: 'Ada' });
    expect(fd.client.rateLimit).toEqual({ total: 50, remaining: 48 });
    expect(fd.calls).toBe(2);
    expect(fake.calls).toHaveLength(2);
  });

  it('fires the automation webhook with the ticket id and the shared secret', async () => {
    const fd = await start();
    const hook = await startHookReceiver();
    const got = hook.received;
    const { ticketId } = await ticketFor(fd);
    fake.webhook = { url: hook.url, secret: 's3cret' };

    fake.agentReply(ticketId, '<p>on it</p>');
    await fd.setStatus(ticketId, 'resolved');
    await fake.settled();
    expect(got.map((g) => JSON.parse(g.body))).toEqual([
      { freshdesk_webhook: { ticket_id: ticketId, triggered_event: 'reply_sent' } },
      { freshdesk_webhook: { ticket_id: ticketId, triggered_event: 'ticket_updated' } },
    ]);
    expect(got.every((g) => g.headers['x-smsdesk-secret'] === 's3cret' && g.headers['content-type'] === 'application/json')).toBe(true);
    expect(fake.deliveries.map((d) => d.status)).toEqual([204, 204]);
    await hook.close();
  });
});
