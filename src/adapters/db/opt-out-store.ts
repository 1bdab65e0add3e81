import type { Sql } from './sql.ts';
import type { ActiveOptOut, OptOutRecord, OptOutStore } from '../../ports/opt-out-store.ts';
import type { OptOutSource } from '../../domain/opt-out.ts';
import { SqlEventOutbox } from './event-outbox.ts';

interface Row {
  sender: string;
  keyword: string;
  source: OptOutSource;
  updated_at: Date;
}

const active = (r: Row): ActiveOptOut => ({ sender: r.sender, keyword: r.keyword, source: r.source, at: r.updated_at });

export class SqlOptOutStore implements OptOutStore {
  constructor(
    private readonly sql: Sql,
    /** Records an `optout.changed` event (outgoing webhooks, automations) with each change, in its transaction. */
    private readonly events?: { helpdesk: string; onRecorded?: () => void },
  ) {}

  async record(e: OptOutRecord): Promise<void> {
    const params = [e.accountSid, e.sender, e.customer, e.optedOut, e.keyword, e.source];
    const upsert = `INSERT INTO opt_outs (account_sid, sender, customer, opted_out, keyword, source) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (account_sid, sender, customer) DO UPDATE
         SET opted_out = EXCLUDED.opted_out, keyword = EXCLUDED.keyword, source = EXCLUDED.source, updated_at = now()`;
    const events = this.events;
    if (!events) {
      await this.sql.query(upsert, params);
      return;
    }
    // Only a change is an event (a second STOP is not), and it commits with the change: a replayed job that
    // records the same thing again finds nothing changed and records no event.
    await this.sql.transaction(async (tx) => {
      const [row] = await tx.query<{ before: boolean | null; at: Date }>(
        `WITH prev AS (SELECT opted_out FROM opt_outs WHERE account_sid = $1 AND sender = $2 AND customer = $3),
              up AS (${upsert} RETURNING updated_at)
         SELECT (SELECT opted_out FROM prev) AS before, up.updated_at AS at FROM up`,
        params,
      );
      if (!row || (row.before ?? false) === e.optedOut) return 0;
      const recorded = await new SqlEventOutbox(tx).record([{
        type: 'optout.changed',
        dedupeKey: `optout.changed:${e.accountSid}:${e.sender}:${e.customer}:${e.optedOut ? 'out' : 'in'}:${new Date(row.at).toISOString()}`,
        helpdesk: events.helpdesk,
        ticketId: null,
        data: { customer: e.customer, sender: e.sender, accountSid: e.accountSid, optedOut: e.optedOut, keyword: e.keyword, source: e.source },
      }]);
      return recorded;
    }).then((recorded) => {
      if (recorded) events.onRecorded?.();
    });
  }

  async activeOptOut(accountSid: string, senders: string[], customer: string): Promise<ActiveOptOut | null> {
    const rows = await this.sql.query<Row>(
      `SELECT sender, keyword, source, updated_at FROM opt_outs
        WHERE account_sid = $1 AND sender = ANY($2::text[]) AND customer = $3 AND opted_out
        ORDER BY updated_at DESC LIMIT 1`,
      [accountSid, senders, customer],
    );
    return rows[0] ? active(rows[0]) : null;
  }

  async activeFor(customer: string): Promise<ActiveOptOut[]> {
    const rows = await this.sql.query<Row>(
      'SELECT sender, keyword, source, updated_at FROM opt_outs WHERE customer = $1 AND opted_out ORDER BY updated_at DESC',
      [customer],
    );
    return rows.map(active);
  }
}
