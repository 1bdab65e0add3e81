import { createHash, createHmac } from 'node:crypto';
import { startHookReceiver } from '../helpers/hook-receiver.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useFakeClock } from '../helpers/fake-clock.ts';
import { expectPausedUntilRetryAfter } from '../fakes/fake-helpdesk-server.ts';
import { ZendeskHelpdesk } from '../../src/adapters/helpdesk/zendesk/zendesk-helpdesk.ts';
import { HelpdeskBusy, HelpdeskError, TicketClosed, type AttachmentInput, type CreateTicketInput } from '../../src/ports/helpdesk.ts';
import { FakeZendesk, ZENDESK_AGENT_ID } from '../fakes/zendesk.ts';

const PHONE = '+14155550100';
let fake: FakeZendesk;
let zd: ZendeskHelpdesk;
let blobIds = 1;

beforeEach(async () => {
  fake = await new FakeZendesk().start();
  zd = new ZendeskHelpdesk({ url: fake.url, email: fake.email, apiToken: fake.apiToken });
});

afterEach(async () => {
  await fake.close();
});

function file(filename: string, contentType: string, data: Buffer): AttachmentInput {
  return {
    blobId: blobIds++, filename, contentType, size: data.length, sha256: createHash('sha256').update(data).digest('hex'),
    read: async () => data,
  };
}

async function ticketFor(phone = PHONE, extra: Partial<CreateTicketInput> = {}): Promise<{ requesterId: number; id: number }> {
  const contact = (await zd.findContactByPhone(phone)) ?? (await zd.createContact({ phone, name: `SMS ${phone}` }));
  const { id } = await zd.createTicket({
    idempotencyKey: `key-${Math.random()}`, requesterId: contact.id, subject: `SMS from ${phone}`, descriptionHtml: '<p>My order is late</p>',
    attachments: [], requesterPhone: phone, ...extra,
  });
  return { requesterId: contact.id, id };
}

describe('ZendeskHelpdesk against the Zendesk fake', () => {
  it('finds users by external_id, creates them once even when two creates race, and never uses the lagging search', async () => {
    expect(await zd.findContactByPhone(PHONE)).toBeNull();
    const created = await zd.createContact({ phone: PHONE, name: 'SMS +1 415 555 0100' });
    expect(created).toEqual({ id: expect.any(Number), name: 'SMS +1 415 555 0100', phone: PHONE });
    expect(created.id).toBeGreaterThan(2 ** 31);
    expect(Number.isSafeInteger(created.id)).toBe(true);
    expect(fake.users.get(created.id)).toMatchObject({ external_id: PHONE, phone: PHONE, role: 'end-user' });
    // Found at once, though the search index has not seen it yet.
    expect(await zd.findContactByPhone(PHONE)).toEqual(created);

    const other = '+14155550111';
    const [a, b] = await Promise.all([zd.createContact({ phone: other, name: 'A' }), zd.createContact({ phone: other, name: 'B' })]);
    expect(a.id).toBe(b.id);
    expect([...fake.users.values()].filter((u) => u.external_id === other)).toHaveLength(1);
    expect(fake.count(/^POST \/api\/v2\/users\/create_or_update$/)).toBe(3);
    expect(await zd.listContacts({ phone: other })).toEqual([expect.objectContaining({ id: a.id, phone: other })]);
    expect((await zd.listContacts({})).map((c) => c.id).sort()).toEqual([created.id, a.id].sort());
    expect(fake.count(/^GET \/api\/v2\/search/)).toBe(0);
    // Which is as well: the search index has not seen the new user yet.
    const search = await fetch(`${fake.url}/api/v2/search.json?query=${encodeURIComponent(`type:user external_id:${PHONE}`)}`, {
      headers: { authorization: 'Basic ' + Buffer.from(`${fake.email}/token:${fake.apiToken}`).toString('base64') },
    });
    expect(((await search.json()) as { count: number }).count).toBe(0);
    fake.searchLagMs = 0;
    const later = await fetch(`${fake.url}/api/v2/search.json?query=${encodeURIComponent(`type:user external_id:${PHONE}`)}`, {
      headers: { authorization: 'Basic ' + Buffer.from(`${fake.email}/token:${fake.apiToken}`).toString('base64') },
    });
    expect(((await later.json()) as { results: { id: number }[] }).results.map((r) => r.id)).toEqual([created.id]);
  });

  it('creates a ticket with two attachments in one upload, written as the requester', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const pdf = Buffer.from('%PDF-1.4 fake pdf body');
    const contact = await zd.createContact({ phone: PHONE, name: 'Customer' });
    const { id } = await zd.createTicket({
      idempotencyKey: 'SM1', requesterId: contact.id, subject: 'SMS from +1 415 555 0100', descriptionHtml: '<p>See the photo</p>',
      attachments: [file('photo.png', 'image/png', png), file('invoice.pdf', 'application/pdf', pdf)], requesterPhone: PHONE,
    });
    const t = fake.tickets.get(id)!;
    expect(t).toMatchObject({ requester_id: contact.id, status: 'open', priority: 'low', tags: ['sms'], subject: 'SMS from +1 415 555 0100' });
    expect(t.description).toBe('See the photo');
    const [first] = fake.comments.get(id)!;
    expect(first).toMatchObject({ author_id: contact.id, public: true });
    expect(first!.attachments.map((a) => [a.file_name, a.content_type, a.size])).toEqual([['photo.png', 'image/png', png.length], ['invoice.pdf', 'application/pdf', pdf.length]]);
    expect(fake.count(/^POST \/api\/v2\/uploads$/)).toBe(2);
    // Both files joined one upload, whose token the comment used up.
    expect(fake.uploads.size).toBe(0);
    for (const [a, bytes] of [[first!.attachments[0]!, png], [first!.attachments[1]!, pdf]] as const) {
      expect(fake.files.get(a.id)!.data.equals(bytes)).toBe(true);
      const res = await fetch(a.content_url); // no credentials: content_url is public to its token
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(a.content_type);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }

    const ticket = (await zd.getTicket(id))!;
    expect(ticket).toMatchObject({ id, subject: 'SMS from +1 415 555 0100', status: 'open', requester: { id: contact.id, phone: PHONE }, notes: [] });
    expect(ticket.descriptionHtml).toContain('<p>See the photo</p>');
    expect(ticket.attachments).toEqual([
      { id: expect.any(Number), filename: 'photo.png', contentType: 'image/png', size: png.length, sha256: '', url: first!.attachments[0]!.content_url },
      { id: expect.any(Number), filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length, sha256: '', url: first!.attachments[1]!.content_url },
    ]);
  });

  it("adds the customer's follow-up as a public comment by the requester and smsdesk's notes as the API user", async () => {
    const { id, requesterId } = await ticketFor();
    const jpg = Buffer.from('jpeg bytes');
    const incoming = await zd.addNote(id, {
      idempotencyKey: 'SM2', bodyHtml: '<p>Any news?</p>', incoming: true, authorId: requesterId, private: false, attachments: [file('more.jpg', 'image/jpeg', jpg)],
    });
    const note = await zd.addNote(id, { idempotencyKey: 'SM3', bodyHtml: '<p>Delivery failed: 30003</p>', incoming: false, private: true, attachments: [] });
    const [, c1, c2] = fake.comments.get(id)!;
    expect(c1).toMatchObject({ id: incoming.id, author_id: requesterId, public: true });
    expect(fake.files.get(c1!.attachments[0]!.id)!.data.equals(jpg)).toBe(true);
    expect(c2).toMatchObject({ id: note.id, author_id: ZENDESK_AGENT_ID, public: false });

    const ticket = (await zd.getTicket(id))!;
    expect(ticket.notes.map((n) => ({ id: n.id, incoming: n.incoming, private: n.private, files: n.attachments.map((a) => a.filename) }))).toEqual([
      { id: incoming.id, incoming: true, private: false, files: ['more.jpg'] },
      { id: note.id, incoming: false, private: true, files: [] },
    ]);
    expect(ticket.notes[0]!.bodyHtml).toContain('<p>Any news?</p>');
  });

  it('maps statuses both ways; a closed ticket refuses notes (TicketClosed) and a follow-up links to it', async () => {
    const { id, requesterId } = await ticketFor();
    await zd.setStatus(id, 'pending');
    expect(fake.tickets.get(id)!.status).toBe('pending');
    expect((await zd.getTicketSummary(id))!.status).toBe('pending');
    fake.agentSetStatus(id, 'open');
    fake.tickets.get(id)!.status = 'hold';
    expect((await zd.getTicketSummary(id))!.status).toBe('pending');
    await zd.setStatus(id, 'resolved');
    expect(fake.tickets.get(id)!.status).toBe('solved');
    expect((await zd.getTicketSummary(id))!.status).toBe('resolved');
    // The customer texting a solved ticket reopens it, as Zendesk does.
    await zd.addNote(id, { idempotencyKey: 'SM4', bodyHtml: '<p>Still broken</p>', incoming: true, authorId: requesterId, private: false, attachments: [] });
    expect((await zd.getTicketSummary(id))!.status).toBe('open');

    await zd.setStatus(id, 'closed');
    expect(fake.tickets.get(id)!.status).toBe('closed');
    const refused = await zd.addNote(id, { idempotencyKey: 'SM5', bodyHtml: '<p>Hello?</p>', incoming: true, authorId: requesterId, private: false, attachments: [] })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TicketClosed);
    expect((refused as TicketClosed).ticketId).toBe(id);
    await zd.setStatus(id, 'closed'); // already closed: nothing to do
    await expect(zd.setStatus(id, 'open')).rejects.toBeInstanceOf(TicketClosed);

    const followUp = await ticketFor(PHONE, { followUpOf: id, descriptionHtml: '<p>Hello?</p>' });
    expect(fake.tickets.get(followUp.id)!.via).toEqual({ channel: 'api', source: { from: { ticket_id: id, subject: `SMS from ${PHONE}` }, to: {}, rel: 'follow_up' } });
    expect(fake.tickets.get(id)!.followup_ids).toEqual([followUp.id]);
    // Only a closed ticket can be followed up: for any other, Zendesk ignores the link.
    const notClosed = await ticketFor(PHONE, { followUpOf: followUp.id });
    expect(fake.tickets.get(notClosed.id)!.via.source.rel).toBeNull();
  });

  it('reads a summary in one call, and answers null for a ticket that does not exist', async () => {
    const { id, requesterId } = await ticketFor();
    const before = zd.calls;
    expect(await zd.getTicketSummary(id)).toEqual({ id, status: 'open', requesterId, requesterPhone: PHONE, updatedAt: expect.any(Date), priority: 'low' });
    expect(zd.calls - before).toBe(1);
    const headerCalls = zd.calls;
    expect(await zd.getTicketHeader(id)).toMatchObject({ id, status: 'open', requester: { id: requesterId, phone: PHONE } });
    expect(zd.calls - headerCalls).toBe(1);
    expect(await zd.getTicketSummary(999)).toBeNull();
    expect(await zd.getTicket(999)).toBeNull();
    expect(await zd.ticketForEvent(999)).toBeNull();
    expect(await zd.findNoteWith(999, 'x')).toBeNull();
  });

  it('ticketForEvent lists public agent comments, not private notes, the description or the customer’s texts; the trigger signs its webhook', async () => {
    const hook = await startHookReceiver(200);
    const hooks = hook.received;
    try {
      const { id, requesterId } = await ticketFor();
      fake.webhook = { url: hook.url, secret: 'signing-secret' };
      await zd.addNote(id, { idempotencyKey: 'SM6', bodyHtml: '<p>customer text</p>', incoming: true, authorId: requesterId, private: false, attachments: [] });
      const reply = fake.agentReply(id, '<p>We shipped it today.</p>');
      fake.agentReply(id, '<p>internal: check the courier</p>', { private: true });
      const view = (await zd.ticketForEvent(id))!;
      expect(view.summary).toMatchObject({ id, status: 'open', requesterId, requesterPhone: PHONE });
      expect(view.tags).toEqual(['sms']);
      expect(view.agentMessages).toEqual([{ id: reply.id, bodyHtml: reply.html_body, createdAt: new Date(reply.created_at) }]);

      await fake.settled();
      expect(hooks.map((h) => JSON.parse(h.body))).toEqual([
        { ticket_id: String(id), event: 'comment_added' }, { ticket_id: String(id), event: 'comment_added' }, { ticket_id: String(id), event: 'comment_added' },
      ]);
      for (const h of hooks) {
        const timestamp = String(h.headers['x-zendesk-webhook-signature-timestamp']);
        expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(h.headers['x-zendesk-webhook-signature']).toBe(createHmac('sha256', 'signing-secret').update(timestamp + h.body).digest('base64'));
      }
    } finally {
      await hook.close();
    }
  });

  it('finds an earlier write by its marker: a note on the ticket, a ticket of the requester', async () => {
    const { id, requesterId } = await ticketFor(PHONE, { descriptionHtml: '<p>First text</p><p style="color:#888888">smsdesk ref SM10</p>' });
    const note = await zd.addNote(id, {
      idempotencyKey: 'SM11', bodyHtml: '<p>Second text</p><p>smsdesk ref SM11</p>', incoming: true, authorId: requesterId, private: false, attachments: [],
    });
    expect(await zd.findNoteWith(id, 'smsdesk ref SM11')).toEqual({ id: note.id });
    expect(await zd.findNoteWith(id, 'smsdesk ref SM10')).toBeNull(); // the description is not a note
    expect(await zd.findNoteWith(id, 'smsdesk ref SM12')).toBeNull();
    expect(await zd.findTicketWith(requesterId, 'smsdesk ref SM10')).toEqual({ id });
    expect(await zd.findTicketWith(requesterId, 'smsdesk ref SM99')).toBeNull();
    expect(await zd.findTicketWith(1_999_999_999_999, 'smsdesk ref SM10')).toBeNull();
  });

  it('lists tickets by requester phone and status', async () => {
    const a = await ticketFor();
    const b = await ticketFor();
    await ticketFor('+14155550122');
    await zd.setStatus(b.id, 'pending');
    expect((await zd.listTickets({ requesterPhone: PHONE })).map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    expect((await zd.listTickets({ requesterPhone: PHONE, status: 'pending' })).map((t) => t.id)).toEqual([b.id]);
    expect(await zd.listTickets({ requesterPhone: '+14155550999' })).toEqual([]);
    const all = await zd.listTickets({});
    expect(all).toHaveLength(3);
    expect(all.find((t) => t.id === a.id)!.requester.phone).toBe(PHONE);
  });

  it('follows comment pages past 100', async () => {
    const { id } = await ticketFor();
    for (let i = 0; i < 150; i++) fake.agentReply(id, `<p>reply ${i}</p>`);
    const ticket = (await zd.getTicket(id))!;
    expect(ticket.notes).toHaveLength(150);
    expect(ticket.notes[149]!.bodyHtml).toContain('reply 149');
    expect(fake.count(/^GET \/api\/v2\/tickets\/\d+\/comments(\.json)?$/)).toBe(2);
    const view = (await zd.ticketForEvent(id))!;
    expect(view.agentMessages).toHaveLength(150);
    expect(await zd.findNoteWith(id, 'reply 142')).toEqual({ id: fake.comments.get(id)![143]!.id });
  });

  it('waits out a storm of 429s with nothing lost, and reads the rate-limit headers', async () => {
    const { id, requesterId } = await ticketFor();
    fake.rateLimit = { perMinute: 700, timeScale: 1 };
    const clock = useFakeClock();
    fake.storm(5, 1);
    const notes = await clock.settle(Promise.all([0, 1, 2, 3, 4].map((i) =>
      zd.addNote(id, { idempotencyKey: `SM2${i}`, bodyHtml: `<p>text ${i}</p>`, incoming: true, authorId: requesterId, private: false, attachments: [] })))).finally(clock.restore);
    expect(fake.throttled).toBe(5);
    expectPausedUntilRetryAfter(fake.calls, 1000);
    const texts = fake.comments.get(id)!.slice(1).map((c) => c.plain_body).sort();
    expect(texts).toEqual(['text 0', 'text 1', 'text 2', 'text 3', 'text 4']);
    expect(new Set(notes.map((n) => n.id)).size).toBe(5);
    expect(zd.client.rateLimit.total).toBe(700);
    expect(zd.client.rateLimit.remaining).toBeLessThan(700);
  });

  it('gives up on a long pause with HelpdeskBusy (the job goes back to the queue)', async () => {
    const impatient = new ZendeskHelpdesk({ url: fake.url, email: fake.email, apiToken: fake.apiToken, maxWaitMs: 1000 });
    const clock = useFakeClock();
    try {
      fake.storm(1, 60);
      const started = Date.now();
      // Thrown at once: with the clock stopped, a call that waited would never return.
      const err = await clock.frozen(impatient.findContactByPhone(PHONE).catch((e: unknown) => e), 'findContactByPhone');
      expect(err).toBeInstanceOf(HelpdeskBusy);
      expect((err as HelpdeskBusy).until.getTime()).toBe(started + 60_000);
    } finally {
      clock.restore();
    }
  });

  it('surfaces a wrong token as a HelpdeskError in Zendesk’s words', async () => {
    const wrong = new ZendeskHelpdesk({ url: fake.url, email: fake.email, apiToken: 'not-the-token' });
    const err = await wrong.findContactByPhone(PHONE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelpdeskError);
    expect((err as HelpdeskError).status).toBe(401);
    expect((err as HelpdeskError).message).toContain("Couldn't authenticate you");
  });
});
