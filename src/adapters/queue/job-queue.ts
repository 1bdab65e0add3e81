import type { Sql } from '../db/sql.ts';
import type { Timers } from '../../ports/queue.ts';

/**
 * A durable queue in the application database (PGlite or PostgreSQL alike), so an acknowledged webhook and
 * its job commit together and a crash loses nothing.
 *
 * Ordering: jobs with the same key run one at a time, oldest first. Only the oldest unfinished job of a key is
 * claimable, and a claim takes row locks with SKIP LOCKED, so any number of instances can share the table
 * without running two jobs of one key at once. A job that fails is retried later while still blocking its
 * key, which keeps per-key order across retries; after `maxAttempts` it is parked as 'failed' (kept for
 * inspection) and the key moves on.
 *
 * "Oldest" must mean the same to every instance: ids come from a sequence when a row is inserted, but rows
 * become visible when they commit. On PostgreSQL, enqueuers therefore hold a transaction-scoped advisory
 * lock per key (lockKeysForEnqueue), so two jobs of one key always commit in id order and a claim can never
 * see the younger job without the older one. A claim is owned by its attempt number: completing, retrying or
 * extending a job whose claim another instance has since taken over does nothing.
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

/** A claim is identified by the job and the attempt it was claimed for. */
export type Claim = Pick<Job, 'id' | 'attempts'>;

/**
 * Inside the enqueuing transaction: serializes enqueuers of the same keys until commit (PostgreSQL; the
 * embedded database has a single connection and commits in order anyway). Keys are locked in a fixed order so
 * two batches never deadlock; a hash collision only serializes two unrelated keys a little.
 */
async function lockKeysForEnqueue(tx: Sql, queue: string, keys: readonly string[]): Promise<void> {
  if (tx.kind !== 'postgres' || !keys.length) return;
  await tx.query(
    `SELECT count(pg_advisory_xact_lock(h)) FROM (
       SELECT DISTINCT hashtextextended($1 || ':' || k, 0) AS h FROM unnest($2::text[]) AS k ORDER BY 1) locks`,
    [queue, keys],
  );
}

/**
 * The one way anything enqueues: `write` runs in a transaction that first holds the keys' enqueue locks, so
 * the jobs it inserts (with {@link jobInsert}, in the same statement as the rows they are about, or with
 * {@link enqueueJobs}) commit in id order per key on every instance. Inside a caller's transaction it joins it.
 * On the embedded database (one connection, commits in order) no transaction is opened for a single statement.
 */
export async function enqueueing<T>(sql: Sql, queue: string, keys: readonly string[], write: (tx: Sql) => Promise<T>): Promise<T> {
  if (sql.kind !== 'postgres') return write(sql);
  return sql.transaction(async (tx) => {
    await lockKeysForEnqueue(tx, queue, keys);
    return write(tx);
  });
}

/**
 * The INSERT INTO jobs step of a statement (a CTE member or the statement itself): one job per row of
 * `from`, with SQL expressions for the queue, key, payload and due time (default: now), inserted in `orderBy`
 * order. Run it only inside {@link enqueueing} for the same keys.
 */
export function jobInsert(rows: { queue: string; key: string; payload: string; runAt?: string; from: string; orderBy?: string }): string {
  return `INSERT INTO jobs (queue, key, payload, run_at)
          SELECT ${rows.queue}, ${rows.key}, ${rows.payload}, COALESCE(${rows.runAt ?? 'NULL'}::timestamptz, now())
            FROM ${rows.from}${rows.orderBy ? ` ORDER BY ${rows.orderBy}` : ''}`;
}

export interface NewJob {
  key: string;
  payload: unknown;
  /** When it becomes due (default: now): a durable timer. */
  runAt?: Date | null;
}

/** Inserts jobs of one queue, in order, holding their keys' enqueue locks (joins the caller's transaction). */
export async function enqueueJobs(sql: Sql, queue: string, jobs: readonly NewJob[]): Promise<void> {
  if (!jobs.length) return;
  await enqueueing(sql, queue, jobs.map((j) => j.key), (tx) => tx.query(
    jobInsert({
      queue: '$1', key: 'j.key', payload: 'j.payload', runAt: 'j.run_at', orderBy: 'j.ord',
      from: `jsonb_to_recordset($2::jsonb) AS j(ord int, key text, payload jsonb, run_at timestamptz)`,
    }),
    [queue, JSON.stringify(jobs.map((j, ord) => ({ ord, key: j.key, payload: j.payload, run_at: j.runAt?.toISOString() ?? null })))],
  ));
}

const SLOW_CLAIM_MS = 5;
const ANALYZE_EVERY_MS = 2_000;

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { lockSeconds: 30, maxAttempts: 12 };

export class JobQueue implements Timers {
  constructor(
    private readonly sql: Sql,
    readonly options: QueueOptions = DEFAULT_QUEUE_OPTIONS,
  ) {}

  /**
   * Queues a job, unless a job of the same key with the same payload is already waiting to run (not yet
   * claimed): a burst of events about one thing (a helpdesk's webhooks for one ticket) becomes one job, while
   * an event arriving during a run still gets a run after it.
   */
  async enqueue(queue: string, key: string, payload: unknown): Promise<void> {
    await enqueueing(this.sql, queue, [key], (tx) => tx.query(
      jobInsert({
        queue: '$1', key: '$2', payload: '$3::jsonb',
        from: `(SELECT 1) one WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE queue = $1 AND key = $2 AND state = 'ready' AND attempts = 0 AND payload = $3::jsonb)`,
      }),
      [queue, key, JSON.stringify(payload)],
    ));
  }

  /**
   * A timer per key: the one still waiting (not yet claimed) under `key` is replaced, in the same transaction
   * as the new one is inserted, so arming a timer again moves it instead of adding a second.
   */
  async arm(queue: string, key: string, payload: unknown, at: Date): Promise<void> {
    await this.sql.transaction((tx) => enqueueing(tx, queue, [key], async (t) => {
      await t.query(`DELETE FROM jobs WHERE queue = $1 AND key = $2 AND state = 'ready'`, [queue, key]);
      await enqueueJobs(t, queue, [{ key, payload, runAt: at }]);
    }));
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
           ORDER BY j.run_at, j.id
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

  async complete(claims: readonly Claim[]): Promise<void> {
    if (!claims.length) return;
    await this.sql.query(
      'DELETE FROM jobs j USING unnest($1::int[], $2::int[]) AS c(id, attempts) WHERE j.id = c.id AND j.attempts = c.attempts',
      [claims.map((c) => c.id), claims.map((c) => c.attempts)],
    );
  }

  /** Keeps claims alive while their handlers still run. */
  async extend(claims: readonly Claim[]): Promise<void> {
    if (!claims.length) return;
    await this.sql.query(
      `UPDATE jobs j SET locked_until = now() + make_interval(secs => $3)
         FROM unnest($1::int[], $2::int[]) AS c(id, attempts)
        WHERE j.id = c.id AND j.attempts = c.attempts AND j.state = 'running'`,
      [claims.map((c) => c.id), claims.map((c) => c.attempts), this.options.lockSeconds],
    );
  }

  /** Puts a claimed job back until `until`, without counting the claim as an attempt (it did not fail). */
  async defer(job: Claim, until: Date): Promise<void> {
    await this.sql.query(
      `UPDATE jobs SET state = 'ready', run_at = $3, locked_until = NULL, attempts = attempts - 1
        WHERE id = $1 AND attempts = $2`,
      [job.id, job.attempts, until],
    );
  }

  /** Schedules another attempt, or parks the job as failed once attempts are used up (or `park` says so). */
  async retryOrFail(job: Job, error: string, delayMs: number, park = job.attempts >= this.options.maxAttempts): Promise<'retry' | 'failed'> {
    const failed = park;
    await this.sql.query(
      `UPDATE jobs SET state = $2, run_at = now() + make_interval(secs => $3), locked_until = NULL, last_error = $4
        WHERE id = $1 AND attempts = $5`,
      [job.id, failed ? 'failed' : 'ready', delayMs / 1000, error.slice(0, 2000), job.attempts],
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

  /** Every queue's jobs by state (ready: only those due), and how long the oldest due one has waited (metrics). */
  async stats(): Promise<{ queue: string; state: string; jobs: number; oldestDueSeconds: number | null }[]> {
    const rows = await this.sql.query<{ queue: string; state: string; jobs: number; oldest: number | null }>(
      `SELECT queue, state, count(*)::int AS jobs, extract(epoch FROM now() - min(run_at))::float8 AS oldest
         FROM jobs WHERE state <> 'ready' OR run_at <= now() GROUP BY queue, state ORDER BY queue, state`,
    );
    return rows.map((r) => ({ queue: r.queue, state: r.state, jobs: r.jobs, oldestDueSeconds: r.oldest }));
  }

  /** Jobs by state; `dueOnly`: ready jobs count only once due (a timer queue's future jobs are not work yet). */
  async counts(queue: string, opts: { dueOnly?: boolean } = {}): Promise<{ ready: number; running: number; failed: number }> {
    const rows = await this.sql.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM jobs WHERE queue = $1 AND ($2::boolean IS NOT TRUE OR state <> 'ready' OR run_at <= now()) GROUP BY state`,
      [queue, opts.dueOnly ?? false],
    );
    const by = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    return { ready: by.ready ?? 0, running: by.running ?? 0, failed: by.failed ?? 0 };
  }
}
