import { afterEach, describe, expect, it } from 'vitest';
import { backends, postgresBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { JobQueue, enqueueJobs } from '../../src/adapters/queue/job-queue.ts';
import { ROUTE_INBOUND_QUEUE } from '../../src/app/receive-inbound.ts';
import { openPostgres } from '../../src/adapters/db/postgres.ts';
import { migrate } from '../../src/adapters/db/migrations.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { newSid } from '../helpers/webhook.ts';

interface Ticket { id: number; notes: unknown[] }
interface Stats { messages: { inbound: number; routed: number }; jobs: { ready: number; running: number; failed: number } }

describe.each(backends)('crash and restart on $name', (backend) => {
  const open: Harness[] = [];
  afterEach(async () => {
    // Later harnesses borrow the first one's database: close them first.
    for (const h of open.reverse()) await h.close();
    open.length = 0;
  });
  const start = async (...args: Parameters<typeof startHarness>) => {
    const h = await startHarness(...args);
    open.push(h);
    return h;
  };
  const tickets = async (h: Harness) => (await h.api<{ tickets: Ticket[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`)).body.tickets;
  const stats = async (h: Harness) => (await h.api<Stats>('/api/v1/stats')).body;

  it('loses nothing acknowledged before a crash: routing resumes on restart', async () => {
    const before = await start(backend, { smsdesk: { startWorker: false } });
    for (const body of ['one', 'two', 'three', 'four', 'five']) expect((await before.text(CUSTOMER, NUMBER, body)).status).toBe(200);
    expect((await stats(before)).messages).toEqual({ inbound: 5, routed: 0 });
    await before.stopSmsdesk();

    const after = await start(backend, { db: before.db });
    await after.idle();
    expect((await stats(after)).messages).toEqual({ inbound: 5, routed: 5 });
    const all = await tickets(after);
    expect(all).toHaveLength(1);
    expect(all[0]!.notes).toHaveLength(4);
  });

  it('takes over jobs a dead instance had claimed', async () => {
    const first = await start(backend, { smsdesk: { startWorker: false } });
    await first.text(CUSTOMER, NUMBER, 'claimed, then the instance died');
    // The "dead" instance claims the job and never finishes it.
    const claimed = await new JobQueue(first.sql, { lockSeconds: 1, maxAttempts: 5 }).claim(ROUTE_INBOUND_QUEUE, 10);
    expect(claimed).toHaveLength(1);
    await first.stopSmsdesk();

    const second = await start(backend, { db: first.db, smsdesk: { queue: { lockSeconds: 1 } } });
    await second.idle();
    expect((await stats(second)).messages.routed).toBe(1);
    expect(await tickets(second)).toHaveLength(1);
  });

  it('replays a job whose result was not recorded without writing twice', async () => {
    const h = await start(backend);
    const res = await h.text(CUSTOMER, NUMBER, 'routed, but the crash hit before the decision was saved');
    await h.idle();
    await h.text(CUSTOMER, NUMBER, 'a follow-up, equally interrupted');
    await h.idle();
    // As if the process died after the helpdesk writes but before finishRouting committed: the decision
    // was recorded ahead of the writes, the outcome was not.
    await h.sql.query(`UPDATE messages SET routed_at = NULL, ticket_id = NULL`);
    const ids = await h.sql.query<{ id: number; contact_key: string }>('SELECT id, contact_key FROM messages ORDER BY id');
    await enqueueJobs(h.sql, ROUTE_INBOUND_QUEUE, ids.map((m) => ({ key: m.contact_key, payload: { messageId: m.id } })));
    h.smsdesk.worker.wake();
    await h.idle();
    const all = await tickets(h);
    expect(all).toHaveLength(1);
    expect(all[0]!.notes).toHaveLength(1);
    expect((await stats(h)).messages).toEqual({ inbound: 2, routed: 2 });
    expect(res.status).toBe(200);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('PostgreSQL shared by several instances', () => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.reverse()) await h.close();
    open.length = 0;
  });

  it('routes each text exactly once and keeps one ticket per customer across instances', async () => {
    const a = await startHarness(postgresBackend);
    open.push(a);
    const b = await startHarness(postgresBackend, { db: { ...a.db, sql: await a.db.connectAgain!() } });
    open.push(b);
    const customers = Array.from({ length: 6 }, (_, i) => `+1415555030${i}`);
    const sends = customers.flatMap((c, ci) =>
      Array.from({ length: 8 }, (_, n) => ((n + ci) % 2 === 0 ? a : b).text(c, NUMBER, `${c} #msg ${n}`)),
    );
    const results = await Promise.all(sends);
    expect(results.every((r) => r.status === 200)).toBe(true);
    await Promise.all([a.idle(), b.idle()]);
    const rows = await a.sql.query<{ n: number; tickets: number; contacts: number; notes: number }>(
      `SELECT (SELECT count(*)::int FROM messages WHERE routed_at IS NOT NULL) AS n,
              (SELECT count(*)::int FROM hd_tickets) AS tickets,
              (SELECT count(*)::int FROM hd_contacts) AS contacts,
              (SELECT count(*)::int FROM hd_notes) AS notes`,
    );
    expect(rows[0]).toEqual({ n: 48, tickets: 6, contacts: 6, notes: 42 });
  });

  it('answers 503 while PostgreSQL is unreachable and 200 once it is back', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    const direct = await postgresBackend.open();
    const schema = (await direct.sql.query<{ s: string }>('SELECT current_schema() AS s'))[0]!.s;
    url.port = String(proxy.port);
    const viaProxy = await openPostgres({ connectionString: url.toString(), schema });
    await migrate(viaProxy);
    const h = await startHarness(postgresBackend, { db: { sql: viaProxy, cleanup: async () => undefined } });
    try {
      expect((await h.text(CUSTOMER, NUMBER, 'before')).status).toBe(200);
      await proxy.cut();
      const during = await h.text(CUSTOMER, NUMBER, 'during the outage', { messageSid: newSid() });
      expect(during.status).toBe(503);
      await proxy.restore();
      const retry = await h.text(CUSTOMER, NUMBER, 'during the outage', { messageSid: during.messageSid });
      expect(retry.status).toBe(200);
      await h.idle();
      const n = await direct.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE routed_at IS NOT NULL');
      expect(n[0]!.n).toBe(2);
    } finally {
      await h.close();
      await viaProxy.close();
      await proxy.close();
      await direct.cleanup();
    }
  });
});
