import { afterEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';
import { SqlOutboundStore } from '../../src/adapters/db/outbound-store.ts';
import { SidTaken } from '../../src/ports/outbound-store.ts';

const reply = { accountSid: 'AC' + '1'.repeat(32), from: '+14155550199', to: '+14155550100', body: 'Thanks, we are on it!', mediaUrls: [], ticketId: null, encoding: 'GSM-7', segments: 1, origin: 'api' as const };
const event = (status: 'sending' | 'sent') => ({ status, at: new Date().toISOString(), errorCode: null });

/** What reconciliation asks the store: which SIDs are ours already, and what callbacks named a message. */
describe.each(backends)('outbound SIDs on $name', (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.cleanup());

  it('never records a SID that another message holds, and says which SIDs are known', async () => {
    db = await backend.open();
    const store = new SqlOutboundStore(db.sql);
    const first = await store.create(reply, { queue: 'send-message', key: 'k' });
    const second = await store.create(reply, { queue: 'send-message', key: 'k' });
    await store.markAccepted(first, 'SM' + 'a'.repeat(32));
    await expect(store.markAccepted(second, 'SM' + 'a'.repeat(32))).rejects.toBeInstanceOf(SidTaken);
    expect(await store.loadForSending(second)).toMatchObject({ sid: null, sendState: 'pending' });
    expect(await store.knownSids(['SM' + 'a'.repeat(32), 'SM' + 'b'.repeat(32)])).toEqual(new Set(['SM' + 'a'.repeat(32)]));
  });

  it('keeps the message a status callback names until its SID is recorded', async () => {
    db = await backend.open();
    const store = new SqlOutboundStore(db.sql);
    const id = await store.create(reply, { queue: 'send-message', key: 'k' });
    const sid = 'SM' + 'c'.repeat(32);
    const compute = () => { throw new Error('no message has this SID yet'); };
    expect(await store.updateStatus(sid, event('sending'), compute, null, undefined, id)).toBeNull();
    expect(await store.updateStatus(sid, event('sent'), compute, null, undefined, id)).toBeNull();
    expect(await store.updateStatus('SM' + 'd'.repeat(32), event('sent'), compute, null, undefined, null)).toBeNull();
    expect(await store.callbackSids(id)).toEqual([sid]);
    expect((await store.markAccepted(id, sid)).map((e) => e.status)).toEqual(['sending', 'sent']);
    expect(await store.callbackSids(id)).toEqual([]);
  });
});
