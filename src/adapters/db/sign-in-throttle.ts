import { createHash } from 'node:crypto';
import type { Sql } from './sql.ts';
import type { Reservation, Reserved, SignInThrottle, ThrottleKey } from '../../ports/sign-in-throttle.ts';

const PRUNE_EVERY_MS = 60_000;
/** Keys are kept as hashes: what people type in the email field (a password, at times) is not stored. */
const hash = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * The throttle in `sign_in_attempts`, one row per key. Each key is taken by one upsert that counts the attempt
 * only while the window has room: its row lock serialises concurrent attempts on PostgreSQL (READ COMMITTED
 * re-checks the conflicting row) and PGlite runs one statement at a time. Keys are taken one statement each,
 * in one order, holding no lock between them (a flood of sign-ins must not hold the pool's connections); a
 * full key gives back the ones taken before it. Windows end on whole milliseconds, so a reservation names its
 * window exactly.
 */
export class SqlSignInThrottle implements SignInThrottle {
  private prunedAt = 0;

  constructor(private readonly sql: Sql) {}

  async reserve(keys: readonly ThrottleKey[], windowSeconds: number): Promise<Reserved> {
    await this.prune();
    const ordered = [...keys].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const taken: Reservation['keys'] = [];
    for (const { key, limit } of ordered) {
      const [row] = await this.sql.query<{ window_ends: Date; seconds: number | null }>(
        `WITH taken AS (
           INSERT INTO sign_in_attempts AS a (key, attempts, window_ends)
             VALUES ($1, 1, date_trunc('milliseconds', now() + make_interval(secs => $3::float8)))
           ON CONFLICT (key) DO UPDATE SET
             attempts = CASE WHEN a.window_ends <= now() THEN 1 ELSE a.attempts + 1 END,
             window_ends = CASE WHEN a.window_ends <= now() THEN date_trunc('milliseconds', now() + make_interval(secs => $3::float8)) ELSE a.window_ends END
           WHERE a.window_ends <= now() OR a.attempts < $2
           RETURNING a.window_ends)
         SELECT window_ends, NULL::int AS seconds FROM taken
         UNION ALL
         SELECT window_ends, ceil(extract(epoch FROM window_ends - now()))::int FROM sign_in_attempts
          WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM taken)`,
        [hash(key), limit, windowSeconds],
      );
      if (row && row.seconds === null) {
        taken.push({ key, windowEnds: new Date(row.window_ends) });
        continue;
      }
      // At its limit: nothing of this attempt stays counted.
      await this.release({ keys: taken }, []);
      return { ok: false, key, retryAfterSeconds: Math.max(1, row?.seconds ?? 1) };
    }
    return { ok: true, reservation: { keys: taken } };
  }

  async release(reservation: Reservation, forget: readonly string[]): Promise<void> {
    for (const { key, windowEnds } of reservation.keys) {
      if (forget.includes(key)) {
        await this.sql.query('DELETE FROM sign_in_attempts WHERE key = $1', [hash(key)]);
      } else {
        // Only within the window it was counted in: a window that started afresh since owes nothing back.
        await this.sql.query('UPDATE sign_in_attempts SET attempts = attempts - 1 WHERE key = $1 AND window_ends = $2 AND attempts > 0', [hash(key), windowEnds]);
      }
    }
  }

  /** Ended windows are dropped now and then (at most once a minute per instance). */
  private async prune(): Promise<void> {
    if (Date.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = Date.now();
    await this.sql.query('DELETE FROM sign_in_attempts WHERE window_ends <= now()');
  }
}
