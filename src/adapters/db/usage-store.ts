import { SqlEventOutbox } from './event-outbox.ts';
import type { Sql } from './sql.ts';
import { monthlyLimitReached } from '../../domain/usage.ts';
import type { UsageReport } from '../../domain/usage.ts';

export interface UsageCharge {
  accountSid: string;
  month: string;
  number: string;
  /** Destination country ('' when unknown). */
  country: string;
  segments: number;
  /** null: no limit. */
  limit: number | null;
}

/**
 * Counts a message against its account's month, inside the caller's transaction (the one that queues the
 * message), refusing it with monthly_limit_reached when it would pass the limit. Concurrent senders of one
 * account serialize on an advisory lock (PostgreSQL; the embedded database runs one transaction at a time).
 */
export async function chargeUsage(tx: Sql, c: UsageCharge): Promise<void> {
  if (c.limit !== null) {
    if (tx.kind === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('usage:' || $1 || ':' || $2, 0))`, [c.accountSid, c.month]);
    const [row] = await tx.query<{ used: number }>(
      'SELECT COALESCE(sum(segments), 0)::int AS used FROM usage_counters WHERE account_sid = $1 AND month = $2',
      [c.accountSid, c.month],
    );
    const used = row?.used ?? 0;
    if (used + c.segments > c.limit) {
      throw monthlyLimitReached({ accountSid: c.accountSid, month: c.month, used, adding: c.segments, limit: c.limit });
    }
    // Crossing 80% or 100% of the limit is a usage.threshold event (once per account, month and threshold).
    const crossed = [0.8, 1].filter((t) => used < t * c.limit! && used + c.segments >= t * c.limit!);
    if (crossed.length) {
      await new SqlEventOutbox(tx).record(crossed.map((t) => ({
        type: 'usage.threshold' as const, dedupeKey: `usage.threshold:${c.accountSid}:${c.month}:${t}`, helpdesk: '', ticketId: null,
        data: { accountSid: c.accountSid, month: c.month, threshold: t, segments: used + c.segments, limit: c.limit },
      })));
    }
  }
  await tx.query(usageUpsert('VALUES ($1, $2, $3, $4, $5, 1)'), [c.accountSid, c.month, c.number, c.country, c.segments]);
}

/** The statement (or CTE member) adding one message's segments to its counter; `rows`: VALUES or a SELECT of them. */
export function usageUpsert(rows: string): string {
  return `INSERT INTO usage_counters (account_sid, month, number, country, segments, messages) ${rows}
     ON CONFLICT (account_sid, month, number, country)
     DO UPDATE SET segments = usage_counters.segments + EXCLUDED.segments, messages = usage_counters.messages + 1`;
}

export class SqlUsageStore {
  constructor(private readonly sql: Sql) {}

  async report(month: string): Promise<Omit<UsageReport, 'limit' | 'estimatedCost'>> {
    const rows = await this.sql.query<{ account_sid: string; number: string; country: string; segments: number; messages: number }>(
      'SELECT account_sid, number, country, segments, messages FROM usage_counters WHERE month = $1 ORDER BY number, country',
      [month],
    );
    const sum = <K extends string>(key: (r: (typeof rows)[number]) => K) => {
      const by = new Map<K, { segments: number; messages: number }>();
      for (const r of rows) {
        const t = by.get(key(r)) ?? { segments: 0, messages: 0 };
        t.segments += r.segments;
        t.messages += r.messages;
        by.set(key(r), t);
      }
      return [...by.entries()];
    };
    return {
      month,
      segments: rows.reduce((n, r) => n + r.segments, 0),
      messages: rows.reduce((n, r) => n + r.messages, 0),
      byNumber: sum((r) => r.number).map(([number, t]) => ({ number, ...t })),
      byAccount: sum((r) => r.account_sid).map(([accountSid, t]) => ({ accountSid, ...t })),
      byCountry: sum((r) => r.country).map(([country, t]) => ({ country: country || null, ...t })),
    };
  }
}
