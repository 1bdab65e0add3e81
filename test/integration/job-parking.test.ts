import { afterEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';
import { JobQueue } from '../../src/adapters/queue/job-queue.ts';
import { Worker, type ParkedFailure } from '../../src/adapters/queue/worker.ts';
import { PermanentJobError } from '../../src/ports/queue.ts';

const Q = 'parking-test';
const quiet = { warn: () => undefined, error: () => undefined };
const options = { queue: Q, concurrency: 4, parallel: 2, pollMs: 20, retryBaseMs: 10, retryMaxMs: 20 };

/** How a queue parks a job: at once for a PermanentJobError, after its attempts otherwise; reported first. */
describe.each(backends)('parked jobs on $name', (backend) => {
  let db: TestDatabase;
  let worker: Worker<{ n: number }> | undefined;
  afterEach(async () => {
    await worker?.stop();
    await db?.cleanup();
  });

  const jobRows = () => db.sql.query<{ state: string; attempts: number; last_error: string | null }>(
    'SELECT state, attempts, last_error FROM jobs WHERE queue = $1 ORDER BY id', [Q]);

  it('parks a permanent failure on its first attempt, reports it, and runs the next job of its key', async () => {
    db = await backend.open();
    const queue = new JobQueue(db.sql, { lockSeconds: 30, maxAttempts: 12 });
    const ran: number[] = [];
    const parked: { n: number; failure: ParkedFailure }[] = [];
    worker = new Worker<{ n: number }>(queue, options, async (job) => {
      ran.push(job.payload.n);
      if (job.payload.n === 1) throw new PermanentJobError('cannot ever work');
    }, quiet, async (job, failure) => {
      parked.push({ n: job.payload.n, failure });
    });
    await queue.enqueue(Q, 'k', { n: 1 });
    await queue.enqueue(Q, 'k', { n: 2 });
    worker.start();
    await worker.idle();
    expect(ran).toEqual([1, 2]);
    expect(parked).toEqual([{ n: 1, failure: { message: 'cannot ever work', permanent: true, attempts: 1 } }]);
    expect(await jobRows()).toEqual([{ state: 'failed', attempts: 1, last_error: 'cannot ever work' }]);
  });

  it('reports a job whose attempts are used up, and parks it only once the report succeeded', async () => {
    db = await backend.open();
    const queue = new JobQueue(db.sql, { lockSeconds: 30, maxAttempts: 2 });
    let runs = 0;
    const reports: ParkedFailure[] = [];
    worker = new Worker<{ n: number }>(queue, options, async () => {
      runs++;
      throw new Error(`failure ${runs}`);
    }, quiet, async (_job, failure) => {
      reports.push(failure);
      // The first report fails (the database blinked): the job must not be parked unreported.
      if (reports.length === 1) throw new Error('could not record the failure');
    });
    await queue.enqueue(Q, 'k', { n: 1 });
    worker.start();
    await worker.idle();
    expect(reports).toEqual([
      { message: 'failure 2', permanent: false, attempts: 2 },
      { message: 'failure 3', permanent: false, attempts: 3 },
    ]);
    expect(await jobRows()).toEqual([{ state: 'failed', attempts: 3, last_error: 'failure 3' }]);
  });
});
