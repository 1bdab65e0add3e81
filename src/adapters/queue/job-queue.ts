import type { Sql } from '../db/sql.ts';

/**
 * A durable queue in the application database (PGlite or PostgreSQL alike), so an acknowledged webhook and
 * its job commit together and a crash loses nothing.
 *
 * Ordering: jobs with the same key run one at a time, oldest first. Only the oldest unfinished job of a key is
 * claimable, and a claim takes row locks with SKIP LOCKED, so any number of instances can share the table
 * without running two jobs of one key at once. A job that fails is retried later while still blocking its
 * key, which keeps per-key order across retries; after `maxAttempts` it is parked as 'failed' (kept for
 * inspection) and the key moves on.
 */
export interface Job<P = unknown> {
  id: number;
  queue: string;
  key: string;
  payload: P;
  attempts: number;
}

export interface QueueOptions {
  /** How long a claim holds before another worker may take the job over (a crashed instance's jobs). */
  lockSeconds: number;
  maxAttempts: number;
}

const SLOW_CLAIM_MS = 5;
const ANALYZE_EVERY_MS = 2_000;

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { lockSeconds: 30, maxAttempts: 12 };

export class JobQueue {
  constructor(
    private readonly sql: Sql,
    readonly options: QueueOptions = DEFAULT_QUEUE_OPTIONS,
  ) {}

  async enqueue(tx: Sql, queue: string, key: string, payload: unknown): Promise<void> {
    await tx.query('INSERT INTO jobs (queue, key, payload) VALUES ($1, $2, $3)', [queue, key, JSON.stringify(payload)]);
  }

  async claim<P>(queue: string, limit: number): Promise<Job<P>[]> {
    const started = performance.now();
    const jobs = await this.sql.query<Job<P>>(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1,
              locked_until = now() + make_interval(secs => $3)
        WHERE id IN (
          SELECT j.id FROM jobs j
           WHERE j.queue = $1 AND j.state <> 'failed' AND j.run_at <= now()
             AND (j.state = 'ready' OR j.locked_until < now())
             AND NOT EXISTS (SELECT 1 FROM jobs e
                              WHERE e.queue = j.queue AND e.key = j.key AND e.id < j.id AND e.state <> 'failed')
           ORDER BY j.id
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
        RETURNING id, queue, key, payload, attempts`,
      [queue, limit, this.options.lockSeconds],
    );
    await this.keepStatisticsFresh(performance.now() - started);
    return jobs;
  }

  /**
   * The claim is fast only while the planner knows the table's size: without statistics it sorts the whole
   * backlog (~30 ms at 4,000 jobs instead of ~0.2 ms). PGlite has no autovacuum to refresh them, and a
   * backlog grows faster than PostgreSQL's autovacuum notices, so a slow claim triggers an ANALYZE.
   */
  private lastAnalyze = 0;
  private async keepStatisticsFresh(claimMs: number): Promise<void> {
    const now = Date.now();
    if (claimMs < SLOW_CLAIM_MS || now - this.lastAnalyze < ANALYZE_EVERY_MS) return;
    this.lastAnalyze = now;
    await this.sql.query('ANALYZE jobs');
  }

  async complete(ids: readonly number[]): Promise<void> {
    if (ids.length) await this.sql.query('DELETE FROM jobs WHERE id = ANY($1::int[])', [ids]);
  }

  /** Keeps claims alive while their handlers still run. */
  async extend(ids: readonly number[]): Promise<void> {
    if (!ids.length) return;
    await this.sql.query(
      `UPDATE jobs SET locked_until = now() + make_interval(secs => $2) WHERE id = ANY($1::int[]) AND state = 'running'`,
      [ids, this.options.lockSeconds],
    );
  }

  /** Schedules another attempt, or parks the job as failed once attempts are used up. */
  async retryOrFail(job: Job, error: string, delayMs: number): Promise<'retry' | 'failed'> {
    const failed = job.attempts >= this.options.maxAttempts;
    await this.sql.query(
      `UPDATE jobs SET state = $2, run_at = now() + make_interval(secs => $3), locked_until = NULL, last_error = $4
        WHERE id = $1`,
      [job.id, failed ? 'failed' : 'ready', delayMs / 1000, error.slice(0, 2000)],
    );
    return failed ? 'failed' : 'retry';
  }

  /**
   * Hands back jobs claimed by a previous run of this process. Only safe where no other instance can hold
   * claims: the embedded database is opened by a single process at a time.
   */
  async releaseAllClaims(): Promise<number> {
    const rows = await this.sql.query(`UPDATE jobs SET state = 'ready', locked_until = NULL WHERE state = 'running' RETURNING id`);
    return rows.length;
  }

  async counts(): Promise<{ ready: number; running: number; failed: number }> {
    const rows = await this.sql.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM jobs GROUP BY state');
    const by = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    return { ready: by.ready ?? 0, running: by.running ?? 0, failed: by.failed ?? 0 };
  }
}
