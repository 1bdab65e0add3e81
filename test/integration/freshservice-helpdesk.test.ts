import { createHash } from 'node:crypto';
import { startHookReceiver } from '../helpers/hook-receiver.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { useFakeClock } from '../helpers/fake-clock.ts';
import { expectPausedUntilRetryAfter } from '../fakes/fake-helpdesk-server.ts';
import { FreshserviceHelpdesk } from '../../src/adapters/helpdesk/freshservice/freshservice-helpdesk.ts';
import { HelpdeskBusy, HelpdeskError, type AttachmentInput } from '../../src/ports/helpdesk.ts';
import { FakeFreshservice, FRESHSERVICE_AGENT_ID } from '../fakes/freshservice.ts';

const PHONE = '+14155550100';

function file(blobId: number, filename: string, contentType: string, data: Buffer): AttachmentInput {
  return { blobId, filename, contentType, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), read: async () => data };
}

describe('Freshservice helpdesk against the Freshservice fake', () => {
  let fake: FakeFreshservice;

  afterEach(async () => {
    await fake?.close();
  });

  async function start(opts: { maxWaitMs?: number } = {}) {
    fake = await new FakeFreshservice().start();
    return new FreshserviceHelpdesk({ url: fake.url, apiKey: fake.apiKey, ...opts });
  }

  async function ticketFor(fs: FreshserviceHelpdesk, attachments: AttachmentInput[] = []) {
    const c = await fs.createContact({ phone: PHONE, name: 'Ada' });
    const t = await fs.createTicket({
      idempotencyKey: 'inbound:1', requesterId: c.id, requesterPhone: PHONE, subject: 'SMS from +14155550100',
      descriptionHtml: '<p>my printer is on fire</p><p>smsdesk ref inbound:1</p>', attachments,
    });
    return { contact: c, ticketId: t.id };
  }

  it('finds a requester by the exact mobile filter right after creating it, while the query index still lags', async () => {
    const fs = await start();
    expect(await fs.findContactByPhone(PHONE)).toBeNull();
    const created = await fs.createContact({ phone: PHONE, name: 'Ada' });
    expect(created).toEqual({ id: expect.any(Number), name: 'Ada', phone: PHONE });
    expect(created.id).toBeGreaterThan(2 ** 31);
    expect(await fs.findContactByPhone(PHONE)).toEqual(created);
    expect(await fs.listContacts({ phone: PHONE })).toEqual([created]);
    expect(await fs.findContactByPhone('+14155550199')).toBeNull();

    // Filter Requesters is an index: the new requester is not in it yet, which is why the adapter never asks it.
    const query = encodeURIComponent(`"mobile_phone_number:'${PHONE}'"`);
    const res = await fetch(`${fake.url}/api/v2/requesters?query=${query}`, { headers: { authorization: 'Basic ' + Buffer.from(`${fake.apiKey}:X`).toString('base64') } });
    expect(await res.json()).toEqual({ requesters: [] });
  });

  it('makes one requester of two concurrent creates of one phone, in one process or in two', async () => {
    const fs = await start();
    const [a, b] = await Promise.all([fs.createContact({ phone: PHONE, name: 'Ada' }), fs.createContact({ phone: PHONE, name: 'Ada' })]);
    expect(a.id).toBe(b.id);
    expect(fake.count(/^POST \/api\/v2\/requesters$/)).toBe(1);

    // Two smsdesk processes: Freshservice keeps no mobile number unique, so both create; both settle on the older.
    const other = '+14155550111';
    const [p, q] = await Promise.all([
      new FreshserviceHelpdesk({ url: fake.url, apiKey: fake.apiKey }).createContact({ phone: other, name: 'Bo' }),
      new FreshserviceHelpdesk({ url: fake.url, apiKey: fake.apiKey }).createContact({ phone: other, name: 'Bo' }),
    ]);
    expect(p.id).toBe(q.id);
    expect([...fake.requesters.values()].filter((r) => r.mobile_phone_number === other).map((r) => r.id)).toEqual([p.id]);
    expect(fake.count(/^DELETE \/api\/v2\/requesters\/\d+\/forget$/)).toBe(1);
    expect(await fs.findContactByPhone(other)).toEqual(p);
  });

  it('creates a ticket with two attachments, source Phone and the sms tag, and reads it back in full', async () => {
    const fs = await start();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const txt = Buffer.from('hello from a handset\n');
    const { contact, ticketId } = await ticketFor(fs, [file(1, 'photo.png', 'image/png', png), file(2, 'note.txt', 'text/plain', txt)]);

    const stored = fake.tickets.get(ticketId)!;
    expect(stored).toMatchObject({ requester_id: contact.id, status: 2, priority: 1, source: 3, tags: ['sms'], subject: 'SMS from +14155550100' });
    expect(stored.attachments.map((a) => [a.name, a.content_type, a.size])).toEqual([['photo.png', 'image/png', png.length], ['note.txt', 'text/plain', txt.length]]);
    expect(fake.attachedBytes(ticketId)).toBe(png.length + txt.length);

    const t = (await fs.getTicket(ticketId))!;
    expect(t).toMatchObject({
      id: ticketId, subject: 'SMS from +14155550100', status: 'open', requester: { id: contact.id, name: 'Ada', phone: PHONE },
      descriptionHtml: '<p>my printer is on fire</p><p>smsdesk ref inbound:1</p>', notes: [],
    });
    expect(t.attachments.map((a) => [a.filename, a.contentType, a.size])).toEqual([['photo.png', 'image/png', png.length], ['note.txt', 'text/plain', txt.length]]);
    const served = await fetch(t.attachments[0]!.url!);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(png);
    expect(await fs.getTicket(999)).toBeNull();
    expect(await fs.getTicketSummary(999)).toBeNull();
  });

  it('adds customer notes as the requester and private notes as the agent; sets status; summarises', async () => {
    const fs = await start();
    const { contact, ticketId } = await ticketFor(fs);
    const pic = Buffer.from('a picture');
    const customer = await fs.addNote(ticketId, {
      idempotencyKey: 'inbound:2', bodyHtml: '<p>still on fire</p>', incoming: true, authorId: contact.id, private: false,
      attachments: [file(3, 'fire.jpg', 'image/jpeg', pic)],
    });
    const internal = await fs.addNote(ticketId, { idempotencyKey: 'status:1', bodyHtml: '<p>delivered</p>', incoming: false, private: true, attachments: [] });
    expect(customer.id).toBeGreaterThan(2 ** 31);

    const [c1, c2] = fake.conversations.get(ticketId)!;
    expect(c1).toMatchObject({ incoming: true, private: false, user_id: contact.id, source: 2, body: '<p>still on fire</p>' });
    expect(c2).toMatchObject({ incoming: false, private: true, user_id: FRESHSERVICE_AGENT_ID });

    await fs.setStatus(ticketId, 'pending');
    expect(fake.tickets.get(ticketId)!.status).toBe(3);
    expect(await fs.getTicketSummary(ticketId)).toEqual({
      id: ticketId, status: 'pending', requesterId: contact.id, requesterPhone: PHONE, updatedAt: expect.any(Date), priority: 'low',
    });

    const t = (await fs.getTicket(ticketId))!;
    expect(t.status).toBe('pending');
    expect(t.notes.map((n) => [n.id, n.bodyHtml, n.incoming, n.private])).toEqual([
      [customer.id, '<p>still on fire</p>', true, false],
      [internal.id, '<p>delivered</p>', false, true],
    ]);
    expect(t.notes[0]!.attachments).toEqual([{ id: expect.any(Number), filename: 'fire.jpg', contentType: 'image/jpeg', size: pic.length, sha256: '', url: expect.stringMatching(/^http/) }]);

    const listed = await fs.listTickets({ requesterPhone: PHONE });
    expect(listed.map((x) => [x.id, x.notes.length, x.requester.phone])).toEqual([[ticketId, 2, PHONE]]);
    expect(await fs.listTickets({ requesterPhone: PHONE, status: 'open' })).toEqual([]);
    expect(await fs.listTickets({ requesterPhone: '+14155550199' })).toEqual([]);
  });

  it('shows an event an agent reply and smsdesk public notes, not private notes nor the customer', async () => {
    const fs = await start();
    const { contact, ticketId } = await ticketFor(fs);
    await fs.addNote(ticketId, { idempotencyKey: 'inbound:2', bodyHtml: '<p>hello?</p>', incoming: true, authorId: contact.id, private: false, attachments: [] });
    const reply = fake.agentReply(ticketId, '<p>We are on it.</p>');
    fake.agentReply(ticketId, '<p>internal: call the fire brigade</p>', { private: true });
    const system = await fs.addNote(ticketId, { idempotencyKey: 'x', bodyHtml: '<p>Auto-reply sent</p>', incoming: false, private: false, attachments: [] });

    const view = (await fs.ticketForEvent(ticketId))!;
    expect(view.summary).toMatchObject({ id: ticketId, status: 'open', requesterId: contact.id, requesterPhone: PHONE });
    expect(view.tags).toEqual(['sms']);
    expect(view.agentMessages.map((m) => [m.id, m.bodyHtml])).toEqual([[reply.id, '<p>We are on it.</p>'], [system.id, '<p>Auto-reply sent</p>']]);
    expect(fake.calls.filter((c) => c.path === `/api/v2/tickets/${ticketId}`).length).toBe(1);
    expect(await fs.ticketForEvent(999)).toBeNull();
  });

  it('finds an earlier write by its marker', async () => {
    const fs = await start();
    const { contact, ticketId } = await ticketFor(fs);
    await fs.addNote(ticketId, { idempotencyKey: 'inbound:2', bodyHtml: '<p>again</p><p>smsdesk ref inbound:2</p>', incoming: true, authorId: contact.id, private: false, attachments: [] });
    const noteId = fake.conversations.get(ticketId)![0]!.id;
    expect(await fs.findTicketWith(contact.id, 'smsdesk ref inbound:1')).toEqual({ id: ticketId });
    expect(await fs.findTicketWith(contact.id, 'smsdesk ref inbound:9')).toBeNull();
    expect(await fs.findNoteWith(ticketId, 'smsdesk ref inbound:2')).toEqual({ id: noteId });
    expect(await fs.findNoteWith(ticketId, 'smsdesk ref inbound:9')).toBeNull();
  });

  it('waits out a storm of 429s with nothing lost', async () => {
    const fs = await start();
    const { ticketId } = await ticketFor(fs);
    const clock = useFakeClock();
    fake.storm(5, 1);
    const notes = await clock.settle(Promise.all([1, 2, 3, 4, 5].map((i) =>
      fs.addNote(ticketId, { idempotencyKey: `n${i}`, bodyHtml: `<p>note ${i}</p>`, incoming: false, private: true, attachments: [] })))).finally(clock.restore);
    expect(new Set(notes.map((n) => n.id)).size).toBe(5);
    expect(fake.throttled).toBe(5);
    expect(fake.conversations.get(ticketId)!.map((c) => c.body).sort()).toEqual([1, 2, 3, 4, 5].map((i) => `<p>note ${i}</p>`));
    expectPausedUntilRetryAfter(fake.calls, 1000);
  });

  it('throws HelpdeskBusy when Freshservice asks for a longer pause than a call may wait', async () => {
    const fs = await start({ maxWaitMs: 1000 });
    const clock = useFakeClock();
    try {
      fake.storm(1, 60);
      const started = Date.now();
      const err = await clock.frozen(fs.findContactByPhone(PHONE).catch((e: unknown) => e), 'findContactByPhone');
      expect(err).toBeInstanceOf(HelpdeskBusy);
      expect((err as HelpdeskBusy).until.getTime()).toBe(started + 60_000);
    } finally {
      clock.restore();
    }
  });

  it('follows the conversation pages past 100', async () => {
    const fs = await start();
    const { ticketId } = await ticketFor(fs);
    for (let i = 0; i < 130; i++) fake.agentReply(ticketId, `<p>reply ${i}</p>`);
    const t = (await fs.getTicket(ticketId))!;
    expect(t.notes).toHaveLength(130);
    expect(t.notes[129]!.bodyHtml).toBe('<p>reply 129</p>');
    expect(fake.count(/^GET \/api\/v2\/tickets\/\d+\/conversations$/)).toBe(2);
  });

  it('surfaces a wrong API key as a HelpdeskError in Freshservice\'s words', async () => {
    await start();
    const wrong = new FreshserviceHelpdesk({ url: fake.url, apiKey: 'not-the-key' });
    const err = await wrong.findContactByPhone(PHONE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelpdeskError);
    expect((err as HelpdeskError).status).toBe(401);
    expect((err as HelpdeskError).message).toMatch(/Freshservice: GET \/api\/v2\/requesters answered 401: You have to be logged in to perform this action/);
  });

  it('refuses attachments past 40 MB a ticket, which the adapter reports as its cap', async () => {
    const fs = await start();
    expect(fs.attachmentCapBytes).toBe(40 * 1024 * 1024);
    const { ticketId } = await ticketFor(fs, [file(1, 'a.bin', 'application/octet-stream', Buffer.alloc(30 * 1024 * 1024))]);
    const err = await fs.addNote(ticketId, {
      idempotencyKey: 'big', bodyHtml: '<p>b</p>', incoming: false, private: true,
      attachments: [file(2, 'b.bin', 'application/octet-stream', Buffer.alloc(11 * 1024 * 1024))],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelpdeskError);
    expect((err as HelpdeskError).status).toBe(400);
    expect((err as HelpdeskError).message).toMatch(/attachments: The total size of all the ticket's attachments cannot exceed 40 MB/);
    expect(fake.attachedBytes(ticketId)).toBe(30 * 1024 * 1024);
  });

  it('fires the workflow webhook with the ticket id and the shared secret', async () => {
    const fs = await start();
    const hook = await startHookReceiver();
    const got = hook.received;
    fake.webhook = { url: hook.url, secret: 's3cret' };

    const { ticketId } = await ticketFor(fs);
    fake.agentReply(ticketId, '<p>on it</p>');
    fake.agentSetStatus(ticketId, 5);
    await fake.settled();
    expect(got.map((g) => JSON.parse(g.body))).toEqual([
      { ticket_id: String(ticketId), triggered_event: 'reply_sent' },
      { ticket_id: String(ticketId), triggered_event: 'ticket_updated' },
    ]);
    expect(got.every((g) => g.headers['x-smsdesk-secret'] === 's3cret' && g.headers['content-type'] === 'application/json')).toBe(true);
    expect(fake.deliveries.map((d) => d.status)).toEqual([204, 204]);
    await hook.close();
  });
});
