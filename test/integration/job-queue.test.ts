import { afterEach, describe, expect, it } from 'vitest';
import { backends, postgresBackend, type TestDatabase } from '../helpers/databases.ts';
import { JobQueue, enqueueJobs } from '../../src/adapters/queue/job-queue.ts';
import type { Sql } from '../../src/adapters/db/sql.ts';

const Q = 'test-queue';
const enqueue = (tx: Sql, key: string, n: number) => enqueueJobs(tx, Q, [{ key, payload: { n } }]);

describe.each(backends)('job queue on $name', (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.cleanup());

  it('hands out only the oldest job of each key, and the next once it is done', async () => {
    db = await backend.open();
    const queue = new JobQueue(db.sql);
    for (const [key, n] of [['a', 1], ['a', 2], ['b', 3], ['a', 4], ['b', 5]] as const) await enqueue(db.sql, key, n);
    const first = await queue.claim<{ n: number }>(Q, 10);
    expect(first.map((j) => j.payload.n)).toEqual([1, 3]);
    expect(await queue.claim(Q, 10)).toEqual([]);
    await queue.complete([first[0]!]);
    expect((await queue.claim<{ n: number }>(Q, 10)).map((j) => j.payload.n)).toEqual([2]);
  });

  it('ignores completion and retry from a claim that was taken over', async () => {
    db = await backend.open();
    const queue = new JobQueue(db.sql, { lockSeconds: 0, maxAttempts: 5 });
    await enqueue(db.sql, 'k', 1);
    const [stale] = await queue.claim(Q, 1);
    const [current] = await queue.claim(Q, 1); // lock already expired: another instance takes it over
    expect(current!.attempts).toBe(stale!.attempts + 1);
    await queue.complete([stale!]);
    await queue.retryOrFail(stale!, 'late failure', 60_000);
    const rows = await db.sql.query<{ state: string; attempts: number }>('SELECT state, attempts FROM jobs');
    expect(rows).toEqual([{ state: 'running', attempts: current!.attempts }]);
    await queue.complete([current!]);
    expect(await db.sql.query('SELECT 1 FROM jobs')).toEqual([]);
  });

  it('keeps a failing job at the head of its key until it is parked as failed', async () => {
    db = await backend.open();
    const queue = new JobQueue(db.sql, { lockSeconds: 30, maxAttempts: 2 });
    await enqueue(db.sql, 'k', 1);
    await enqueue(db.sql, 'k', 2);
    const [a] = await queue.claim(Q, 5);
    expect(await queue.retryOrFail(a!, 'boom', 0)).toBe('retry');
    const [again] = await queue.claim<{ n: number }>(Q, 5);
    expect(again!.payload.n).toBe(1);
    expect(await queue.retryOrFail(again!, 'boom', 0)).toBe('failed');
    expect((await queue.claim<{ n: number }>(Q, 5)).map((j) => j.payload.n)).toEqual([2]);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('job queue across connections (PostgreSQL)', () => {
  let db: TestDatabase;
  afterEach(async () => db?.cleanup());

  it('makes a second enqueuer of the same key wait for the first to commit, so ids follow commit order', async () => {
    db = await postgresBackend.open();
    const other = await db.connectAgain!();
    const queue = new JobQueue(db.sql);
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstInserted!: (pid: number) => void;
    const inserted = new Promise<number>((r) => (firstInserted = r));
    const first = db.sql.transaction(async (tx) => {
      await enqueue(tx, 'k', 1);
      firstInserted((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid);
      await firstHeld;
    });
    const firstPid = await inserted;
    let secondDone = false;
    const second = other.transaction((tx) => enqueue(tx, 'k', 2)).then(() => (secondDone = true));
    const unrelated = other.transaction((tx) => enqueue(tx, 'other', 3));
    try {
      await unrelated;
      // The second enqueuer is seen waiting on the first's lock (not merely slow): then it has not inserted.
      await expect.poll(async () => (await db.sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [firstPid]))[0]!.n, { timeout: 10_000 }).toBe(1);
      expect(secondDone).toBe(false);
      // Before the first commits, a claim sees no job of key k: only the unrelated key's.
      expect((await queue.claim<{ n: number }>(Q, 10)).map((j) => j.payload.n)).toEqual([3]);
    } finally {
      releaseFirst();
    }
    await Promise.all([first, second]);
    const ids = await db.sql.query<{ id: number; n: number }>(`SELECT id, (payload->>'n')::int AS n FROM jobs WHERE key = 'k' ORDER BY id`);
    expect(ids.map((r) => r.n)).toEqual([1, 2]);
    expect((await queue.claim<{ n: number }>(Q, 10)).map((j) => j.payload.n)).toEqual([1]);
  });
});
