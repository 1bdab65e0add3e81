import type { Sql } from './sql.ts';
import type { EventRelay } from '../../ports/console-events.ts';

/**
 * The console's live events between instances over PostgreSQL's NOTIFY/LISTEN; null on PGlite (one process,
 * events stay in it). The channel is per schema: the instances of one deployment share it, schemas side by
 * side (tests) do not.
 */
export async function notifyRelay(sql: Sql): Promise<EventRelay | null> {
  if (!sql.listen) return null;
  const [row] = await sql.query<{ s: string }>('SELECT current_schema() AS s');
  const channel = `smsdesk_console_${row!.s}`.slice(0, 63);
  return {
    notify: async (payload) => void (await sql.query('SELECT pg_notify($1, $2)', [channel, payload])),
    listen: (onPayload) => sql.listen!(channel, onPayload),
  };
}
