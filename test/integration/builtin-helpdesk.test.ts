import { afterEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';
import { BuiltinHelpdesk } from '../../src/adapters/helpdesk/builtin/builtin-helpdesk.ts';
import type { Sql } from '../../src/adapters/db/sql.ts';

describe.each(backends)('built-in helpdesk on $name', (backend) => {
  let db: TestDatabase;
  const extra: Sql[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((s) => s.close()));
    await db?.cleanup();
  });

  it('never creates two contacts for one number, even when many writers race', async () => {
    db = await backend.open();
    // On PostgreSQL the writers use separate pools, as separate instances would.
    const pools = db.connectAgain ? await Promise.all([1, 2, 3].map(() => db.connectAgain!())) : [];
    extra.push(...pools);
    const desks = [db.sql, ...pools].map((sql) => new BuiltinHelpdesk(sql));
    const created = await Promise.all(Array.from({ length: 24 }, (_, i) => desks[i % desks.length]!.createContact({ phone: '+14155550100', name: 'n' })));
    expect(new Set(created.map((c) => c.id)).size).toBe(1);
    expect(await desks[0]!.listContacts({ phone: '+14155550100' })).toHaveLength(1);
  });

  it('returns the first result when a write is replayed with the same idempotency key', async () => {
    db = await backend.open();
    const hd = new BuiltinHelpdesk(db.sql);
    const c = await hd.createContact({ phone: '+14155550100', name: 'A' });
    const input = { idempotencyKey: 'inbound:SM1', requesterId: c.id, requesterPhone: c.phone, subject: 's', descriptionHtml: '<p>d</p>', attachments: [] };
    const [t1, t2] = await Promise.all([hd.createTicket(input), hd.createTicket(input)]);
    expect(t1.id).toBe(t2.id);
    const note = { idempotencyKey: 'inbound:SM2', bodyHtml: '<p>n</p>', incoming: true, private: false, attachments: [] };
    const n1 = await hd.addNote(t1.id, note);
    const n2 = await hd.addNote(t1.id, note);
    expect(n1.id).toBe(n2.id);
    const t = await hd.getTicket(t1.id);
    expect(t?.notes).toHaveLength(1);
    await expect(hd.addNote(999, { ...note, idempotencyKey: 'x' })).rejects.toThrow(/ticket 999 does not exist/);
  });

  it('filters tickets by requester phone and status', async () => {
    db = await backend.open();
    const hd = new BuiltinHelpdesk(db.sql);
    const a = await hd.createContact({ phone: '+14155550100', name: 'A' });
    const b = await hd.createContact({ phone: '+14155550111', name: 'B' });
    const ta = await hd.createTicket({ idempotencyKey: 'a', requesterId: a.id, requesterPhone: a.phone, subject: 'a', descriptionHtml: '', attachments: [] });
    await hd.createTicket({ idempotencyKey: 'b', requesterId: b.id, requesterPhone: b.phone, subject: 'b', descriptionHtml: '', attachments: [] });
    await hd.setStatus(ta.id, 'pending');
    expect((await hd.listTickets({ requesterPhone: '+14155550100' })).map((t) => t.subject)).toEqual(['a']);
    expect((await hd.listTickets({ status: 'pending' })).map((t) => t.subject)).toEqual(['a']);
    expect((await hd.listTickets({ status: 'open' })).map((t) => t.subject)).toEqual(['b']);
    expect(await hd.getTicketSummary(12345)).toBeNull();
  });
});
