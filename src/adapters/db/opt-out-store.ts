import type { Sql } from './sql.ts';
import type { OptOutRecord, OptOutStore } from '../../ports/opt-out-store.ts';

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

  async activeOptOut(accountSid: string, senders: string[], customer: string): Promise<{ sender: string; keyword: string; at: Date } | null> {
    const rows = await this.sql.query<{ sender: string; keyword: string; updated_at: Date }>(
      `SELECT sender, keyword, updated_at FROM opt_outs
        WHERE account_sid = $1 AND sender = ANY($2::text[]) AND customer = $3 AND opted_out
        ORDER BY updated_at DESC LIMIT 1`,
      [accountSid, senders, customer],
    );
    const r = rows[0];
    return r ? { sender: r.sender, keyword: r.keyword, at: r.updated_at } : null;
  }

  async activeFor(customer: string): Promise<{ sender: string; keyword: string; at: Date }[]> {
    const rows = await this.sql.query<{ sender: string; keyword: string; updated_at: Date }>(
      'SELECT sender, keyword, updated_at FROM opt_outs WHERE customer = $1 AND opted_out ORDER BY updated_at DESC',
      [customer],
    );
    return rows.map((r) => ({ sender: r.sender, keyword: r.keyword, at: r.updated_at }));
  }
}
