import { afterEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';
import { migrate } from '../../src/adapters/db/migrations.ts';
import { pruneHistory } from '../../src/adapters/db/retention.ts';
import { SqlEventOutbox } from '../../src/adapters/db/event-outbox.ts';

describe.each(backends)('retention on $name', (backend) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.cleanup();
  });

  it('prunes events, runs and ended deliveries past their time, and keeps what is recent or still being delivered', async () => {
    db = await backend.open();
    const sql = db.sql;
    await migrate(sql);
    const outbox = new SqlEventOutbox(sql);
    const event = (key: string) => ({ type: 'ticket.created' as const, dedupeKey: key, helpdesk: 'builtin', ticketId: 1, data: {} });
    await outbox.record([event('old'), event('old-pending'), event('recent')]);
    await sql.query(`DELETE FROM jobs WHERE queue = 'domain-event'`); // handed on already
    await sql.query(`UPDATE domain_events SET created_at = now() - interval '40 days' WHERE dedupe_key IN ('old', 'old-pending')`);
    const ids = Object.fromEntries((await sql.query<{ id: string; dedupe_key: string }>('SELECT id, dedupe_key FROM domain_events')).map((r) => [r.dedupe_key, r.id]));
    const [sub] = await sql.query<{ id: number }>(`INSERT INTO webhook_subscriptions (url, events, secret, secret_hint) VALUES ('https://x.example/h', '{ticket.created}', 's', '…s') RETURNING id`);
    await sql.query(`INSERT INTO webhook_deliveries (subscription_id, event_id, type, status) VALUES ($1, $2, 'ticket.created', 'pending'), ($1, $3, 'ticket.created', 'delivered')`,
      [sub!.id, ids['old-pending'], ids.old]);
    await sql.query(`UPDATE webhook_deliveries SET created_at = now() - interval '40 days'`);
    const [a] = await sql.query<{ id: number }>(`INSERT INTO automations (name, trigger, spec) VALUES ('a', 'ticket.created', '{}') RETURNING id`);
    await sql.query(`INSERT INTO automation_runs (automation_id, event_id, event_type, fired, reason, state, created_at)
                     VALUES ($1, 'e1', 'ticket.created', false, 'x', 'skipped', now() - interval '100 days'),
                            ($1, 'e2', 'ticket.created', false, 'x', 'skipped', now() - interval '10 days'),
                            ($1, 'e3', 'ticket.created', true, 'x', 'running', now() - interval '100 days')`, [a!.id]);

    expect(await pruneHistory(sql)).toEqual({ events: 1, runs: 1, deliveries: 1, awaiting: 0 });
    expect((await sql.query<{ dedupe_key: string }>('SELECT dedupe_key FROM domain_events ORDER BY dedupe_key')).map((r) => r.dedupe_key)).toEqual(['old-pending', 'recent']);
    expect((await sql.query<{ event_id: string }>('SELECT event_id FROM automation_runs ORDER BY event_id')).map((r) => r.event_id)).toEqual(['e2', 'e3']);
    expect(await pruneHistory(sql)).toEqual({ events: 0, runs: 0, deliveries: 0, awaiting: 0 });
  });
});
