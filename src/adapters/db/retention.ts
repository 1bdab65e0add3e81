import type { Sql } from './sql.ts';

/** How long the records that only explain the past are kept (messages, tickets and ratings are kept for good). */
export const RETENTION = {
  /** Events: what webhooks and automations were handed (one still being delivered is kept). */
  eventsDays: 30,
  /** Automation runs and the questions they asked. */
  runsDays: 90,
  /** Outgoing webhook deliveries that ended, with their attempts. */
  deliveriesDays: 30,
} as const;

/**
 * Deletes what is past its retention, a bounded number of rows a table per call, so a small machine's
 * database does not grow without end and no call holds it long. Idempotent: several instances may run it.
 * Returns how many rows each table lost.
 */
export async function pruneHistory(sql: Sql, batch = 5_000): Promise<{ events: number; runs: number; deliveries: number; awaiting: number }> {
  const del = async (statement: string, params: unknown[]) => (await sql.query(statement, params)).length;
  const deliveries = await del(
    `DELETE FROM webhook_deliveries WHERE id IN (
       SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - make_interval(days => $1) LIMIT $2)
     RETURNING id`,
    [RETENTION.deliveriesDays, batch],
  );
  const events = await del(
    `DELETE FROM domain_events WHERE id IN (
       SELECT e.id FROM domain_events e
        WHERE e.created_at < now() - make_interval(days => $1)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.queue = 'domain-event' AND j.payload ->> 'eventId' = e.id)
        LIMIT $2)
     RETURNING id`,
    [RETENTION.eventsDays, batch],
  );
  const runs = await del(
    `DELETE FROM automation_runs WHERE id IN (
       SELECT id FROM automation_runs WHERE state <> 'running' AND created_at < now() - make_interval(days => $1) LIMIT $2)
     RETURNING id`,
    [RETENTION.runsDays, batch],
  );
  const awaiting = await del(
    `DELETE FROM awaiting_replies WHERE id IN (
       SELECT id FROM awaiting_replies WHERE state <> 'waiting' AND created_at < now() - make_interval(days => $1) LIMIT $2)
     RETURNING id`,
    [RETENTION.runsDays, batch],
  );
  return { events, runs, deliveries, awaiting };
}
