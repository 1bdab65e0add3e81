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
  /** Deletes up to `batch` rows of `table` older than `days` that also meet `also`. */
  const prune = async (table: string, days: number, also: string) => (await sql.query(
    `DELETE FROM ${table} WHERE id IN (
       SELECT id FROM ${table} t WHERE t.created_at < now() - make_interval(days => $1) AND ${also} LIMIT $2)
     RETURNING id`,
    [days, batch],
  )).length;
  const deliveries = await prune('webhook_deliveries', RETENTION.deliveriesDays, `t.status <> 'pending'`);
  const events = await prune('domain_events', RETENTION.eventsDays,
    `NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = t.id AND d.status = 'pending')
     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.queue = 'domain-event' AND j.payload ->> 'eventId' = t.id)`);
  const runs = await prune('automation_runs', RETENTION.runsDays, `t.state <> 'running'`);
  const awaiting = await prune('awaiting_replies', RETENTION.runsDays, `t.state <> 'waiting'`);
  return { events, runs, deliveries, awaiting };
}
