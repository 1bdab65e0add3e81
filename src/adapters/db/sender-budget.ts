import type { Sql } from './sql.ts';
import type { SenderBudget } from '../../ports/sender-budget.ts';

/**
 * The send budget in `sender_budgets` (one row per sender: when its next segment may leave). A reservation is
 * one upsert: the row lock taken by ON CONFLICT DO UPDATE serialises concurrent reservations of a sender on
 * PostgreSQL (each sees the previous one's committed next_at, READ COMMITTED re-checks the conflicting row),
 * and PGlite runs statements one at a time anyway. The slot starts at GREATEST(previous next_at, now()), so
 * an idle sender's budget does not accumulate into a burst.
 */
export class SqlSenderBudget implements SenderBudget {
  constructor(private readonly sql: Sql) {}

  async reserve(sender: string, segments: number, rate: number): Promise<Date> {
    if (!(Number.isInteger(segments) && segments >= 1)) throw new RangeError(`segments must be a positive integer, got ${segments}`);
    if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`rate must be a positive number of segments per second, got ${rate}`);
    // The stretch this message occupies; RETURNING sees only the new row, so the slot is next_at minus it.
    const seconds = segments / rate;
    const rows = await this.sql.query<{ slot: Date }>(
      `INSERT INTO sender_budgets AS b (sender, next_at) VALUES ($1, now() + make_interval(secs => $2::float8))
       ON CONFLICT (sender) DO UPDATE SET next_at = GREATEST(b.next_at, now()) + make_interval(secs => $2::float8)
       RETURNING b.next_at - make_interval(secs => $2::float8) AS slot`,
      [sender, seconds],
    );
    const slot = rows[0]?.slot;
    if (!slot) throw new Error(`reserving a send slot for ${sender} returned no row`);
    return slot instanceof Date ? slot : new Date(slot);
  }
}
