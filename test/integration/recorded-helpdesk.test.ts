import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';
import { FakeFreshdesk } from '../fakes/freshdesk.ts';
import { FreshdeskHelpdesk } from '../../src/adapters/helpdesk/freshdesk/freshdesk-helpdesk.ts';
import { RecordedHelpdesk } from '../../src/adapters/helpdesk/recorded-helpdesk.ts';
import { writeMarker } from '../../src/domain/write-marker.ts';
import { SqlHelpdeskRecords } from '../../src/adapters/db/helpdesk-records.ts';
import type { HelpdeskRecords } from '../../src/ports/helpdesk-records.ts';
import type { CreateTicketInput } from '../../src/ports/helpdesk.ts';
import { SqlStatusHistory } from '../../src/adapters/db/status-history.ts';

/**
 * What smsdesk keeps around a remote helpdesk, against the Freshdesk fake: a crash between the helpdesk's
 * write and smsdesk's record of it never writes twice, a finished write is never made again, and threading
 * reads ticket summaries from smsdesk's cache instead of the helpdesk.
 */
describe.each(backends)('recorded helpdesk on $name', (backend) => {
  let db: TestDatabase;
  let fake: FakeFreshdesk;
  let records: SqlHelpdeskRecords;
  let inner: FreshdeskHelpdesk;
  const opts = { summaryTtlMs: 60_000, attachmentLink: () => 'https://sms.example.com/attachments/1/x' };

  beforeEach(async () => {
    db = await backend.open();
    fake = await new FakeFreshdesk().start();
    records = new SqlHelpdeskRecords(db.sql);
    inner = new FreshdeskHelpdesk({ url: fake.url, apiKey: fake.apiKey });
  });
  afterEach(async () => {
    await fake.close();
    await db.cleanup();
  });

  /** Records that lose the "done" of one write: the process died right after the helpdesk answered. */
  const crashAfterWrite = (): HelpdeskRecords => Object.assign(Object.create(records) as SqlHelpdeskRecords, {
    finishWrite: async () => {
      throw new Error('killed before recording the write');
    },
  });

  const ticketInput = async (key: string): Promise<CreateTicketInput> => {
    const contact = await inner.createContact({ phone: '+14155550100', name: 'Ana' });
    return { idempotencyKey: key, requesterId: contact.id, requesterPhone: contact.phone, subject: 'Late order', descriptionHtml: '<p>late</p>', attachments: [] };
  };

  it('finds a ticket written just before a crash instead of writing it again', async () => {
    const input = await ticketInput('inbound:SM1');
    await expect(new RecordedHelpdesk(inner, crashAfterWrite(), opts).createTicket(input)).rejects.toThrow('killed');
    expect(fake.tickets.size).toBe(1);
    const [written] = [...fake.tickets.values()];
    expect(written!.description).toContain(writeMarker('inbound:SM1'));

    const replay = new RecordedHelpdesk(inner, records, opts);
    const { id } = await replay.createTicket(input);
    expect(id).toBe(written!.id);
    expect(fake.tickets.size).toBe(1);
    // Done now: a further replay answers from the record without calling Freshdesk at all.
    const calls = fake.calls.length;
    expect((await replay.createTicket(input)).id).toBe(id);
    expect(fake.calls.length).toBe(calls);
  });

  it('finds a note written just before a crash, among many conversations, instead of adding it again', async () => {
    const hd = new RecordedHelpdesk(inner, records, opts);
    const { id: ticketId } = await hd.createTicket(await ticketInput('inbound:SM1'));
    for (let i = 0; i < 120; i++) fake.agentReply(ticketId, `<p>reply ${i}</p>`);
    const note = { idempotencyKey: 'inbound:SM2', bodyHtml: '<p>second text</p>', incoming: true, private: false, attachments: [] };
    await expect(new RecordedHelpdesk(inner, crashAfterWrite(), opts).addNote(ticketId, note)).rejects.toThrow('killed');
    const { id } = await hd.addNote(ticketId, note);
    const notes = fake.conversations.get(ticketId)!.filter((c) => c.body.includes('second text'));
    expect(notes.map((c) => c.id)).toEqual([id]);
  });

  it('writes once when the crash came before the call reached the helpdesk', async () => {
    const input = await ticketInput('inbound:SM1');
    // "started" recorded, then the process died before calling Freshdesk.
    await records.startWrite('freshdesk', 'inbound:SM1', 'ticket');
    const { id } = await new RecordedHelpdesk(inner, records, opts).createTicket(input);
    expect([...fake.tickets.keys()]).toEqual([id]);
  });

  it('tags the tickets it opens with the configured SMS tag, so auto-SMS finds them', async () => {
    const hd = new RecordedHelpdesk(inner, records, { ...opts, smsTag: 'text-me' });
    const { id } = await hd.createTicket(await ticketInput('inbound:SM1'));
    expect(fake.tickets.get(id)!.tags).toEqual(['text-me']);
  });

  it('shares one write between concurrent calls with the same key', async () => {
    const hd = new RecordedHelpdesk(inner, records, opts);
    const input = await ticketInput('inbound:SM1');
    const [a, b] = await Promise.all([hd.createTicket(input), hd.createTicket(input)]);
    expect(a.id).toBe(b.id);
    expect(fake.count(/^POST \/api\/v2\/tickets$/)).toBe(1);
  });

  it('serves ticket summaries from its own writes and events, and asks Freshdesk again once they are stale', async () => {
    const hd = new RecordedHelpdesk(inner, records, opts);
    const { id } = await hd.createTicket(await ticketInput('inbound:SM1'));
    const gets = () => fake.count(/^GET \/api\/v2\/tickets\/\d+$/);
    expect(await hd.getTicketSummary(id)).toMatchObject({ id, status: 'open', requesterPhone: '+14155550100' });
    await hd.setStatus(id, 'pending');
    expect((await hd.getTicketSummary(id))!.status).toBe('pending');
    expect(gets()).toBe(0);
    // An agent resolves it in Freshdesk; the event's read refreshes the cache and notes the change.
    fake.tickets.get(id)!.status = 4;
    const history = new SqlStatusHistory(db.sql);
    await new RecordedHelpdesk(inner, records, { ...opts, history }).ticketForEvent(id);
    expect((await hd.getTicketSummary(id))!.status).toBe('resolved');
    expect(gets()).toBe(1);
    expect((await history.list('freshdesk', id)).map((c) => [c.previous, c.status, c.changedBy])).toEqual([['pending', 'resolved', 'freshdesk']]);
    const stale = new RecordedHelpdesk(inner, records, { ...opts, summaryTtlMs: 0 });
    fake.tickets.get(id)!.status = 5;
    expect((await stale.getTicketSummary(id))!.status).toBe('closed');
    expect(gets()).toBe(2);
  });

  it('knows the notes it wrote itself, so they are never sent back as texts', async () => {
    const hd = new RecordedHelpdesk(inner, records, opts);
    const { id: ticketId } = await hd.createTicket(await ticketInput('inbound:SM1'));
    const ours = await hd.addNote(ticketId, { idempotencyKey: 'outbound:7', bodyHtml: '<p>sent</p>', incoming: false, private: false, attachments: [] });
    const agent = fake.agentReply(ticketId, '<p>agent</p>');
    expect([...(await hd.ownNotes([ours.id, agent.id]))]).toEqual([ours.id]);
  });
});
