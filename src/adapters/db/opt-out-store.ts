import type { Sql } from './sql.ts';
import type { ActiveOptOut, OptOutRecord, OptOutStore } from '../../ports/opt-out-store.ts';
import type { OptOutSource } from '../../domain/opt-out.ts';

interface Row {
  sender: string;
  keyword: string;
  source: OptOutSource;
  updated_at: Date;
}

const active = (r: Row): ActiveOptOut => ({ sender: r.sender, keyword: r.keyword, source: r.source, at: r.updated_at });

export class SqlOptOutStore implements OptOutStore {
  constructor(private readonly sql: Sql) {}

  async record(e: OptOutRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO opt_outs (account_sid, sender, customer, opted_out, keyword, source) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (account_sid, sender, customer) DO UPDATE
         SET opted_out = EXCLUDED.opted_out, keyword = EXCLUDED.keyword, source = EXCLUDED.source, updated_at = now()`,
      [e.accountSid, e.sender, e.customer, e.optedOut, e.keyword, e.source],
    );
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
