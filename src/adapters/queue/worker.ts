import type { Claim, Job, JobQueue } from './job-queue.ts';
import { DeferJob, PermanentJobError } from '../../ports/queue.ts';

export interface WorkerLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WorkerOptions {
  queue: string;
  /** Jobs claimed (and locked) at once: larger batches make the claim cheaper per job. */
  concurrency: number;
  /** Handlers running at once, at most `concurrency`: the rest of a claimed batch waits its turn. */
  parallel: number;
  /** How often to look for work that another instance enqueued (in-process enqueues wake the worker). */
  pollMs: number;
  /** Backoff before attempt n+1: base·2^(n-1), capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** A queue of timers: idle() waits only for jobs already due, not for those due later. */
  dueOnly?: boolean;
}

/** Why a job is being parked as failed: its handler's last error, and whether it was a PermanentJobError. */
export interface ParkedFailure {
  message: string;
  permanent: boolean;
  attempts: number;
}

/**
 * Runs a queue's jobs with bounded concurrency. Jobs are claimed and deleted in batches; claims are extended
 * while handlers run, so a slow media download is not mistaken for a crashed instance.
 *
 * A job is parked as failed when its attempts are used up, or at once when its handler throws a
 * PermanentJobError. `onParked` reports it first (e.g. marks the message failed): only once that succeeded is
 * the job parked, so a failure is never parked unreported; a report that fails leaves the job to be retried.
 */
export class Worker<P> {
  private running = false;
  private readonly inFlight = new Map<number, { job: Claim; done: Promise<void> }>();
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private loop: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private completed: Claim[] = [];
  private running_ = 0;
  private readonly turns: (() => void)[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly jobs: JobQueue,
    private readonly options: WorkerOptions,
    private readonly handler: (job: Job<P>) => Promise<void>,
    private readonly log: WorkerLogger,
    private readonly onParked?: (job: Job<P>, failure: ParkedFailure) => Promise<void>,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    const every = Math.max(1000, (this.jobs.options.lockSeconds * 1000) / 3);
    this.heartbeat = setInterval(() => {
      this.jobs.extend([...this.inFlight.values()].map((f) => f.job)).catch((err) => this.log.warn({ err }, 'could not extend job claims'));
    }, every);
    this.heartbeat.unref();
  }

  /** Called after an enqueue commits in this process. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits for the jobs in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled(this.pending());
    await this.flushCompleted();
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /** Resolves once no job is in flight and a claim finds nothing (tests and benchmarks wait on it). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.allSettled(this.pending());
      await this.flushCompleted();
      const pending = await this.jobs.counts(this.options.queue, { dueOnly: this.options.dueOnly });
      if (pending.ready === 0 && pending.running === 0 && this.inFlight.size === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Whether jobs are due or running in this queue now (idle() has returned, but another queue's work may have added some). */
  async hasWork(): Promise<boolean> {
    const pending = await this.jobs.counts(this.options.queue, { dueOnly: this.options.dueOnly });
    return pending.ready > 0 || pending.running > 0 || this.inFlight.size > 0;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      // Claim in batches: wait until at least half the slots are free, so one claim serves many jobs.
      if (this.inFlight.size > this.options.concurrency / 2) {
        await Promise.race(this.pending());
        continue;
      }
      let claimed: Job<P>[] = [];
      try {
        this.woken = false;
        // Finished jobs still block their key until deleted: delete them right before claiming.
        await this.flushCompleted();
        claimed = await this.jobs.claim<P>(this.options.queue, this.options.concurrency - this.inFlight.size);
        failures = 0;
      } catch (err) {
        failures++;
        this.log.warn({ err }, 'could not claim jobs; retrying');
        await this.sleep(Math.min(5000, 100 * 2 ** failures));
        continue;
      }
      for (const job of claimed) this.dispatch(job);
      if (claimed.length === 0 && !this.woken) await this.sleep(this.options.pollMs);
    }
  }

  /** Waits for a free handler slot; slots are handed over in claim order. */
  private async turn(): Promise<void> {
    if (this.running_ < this.options.parallel) {
      this.running_++;
      return;
    }
    await new Promise<void>((resolve) => this.turns.push(resolve));
  }

  private release(): void {
    const next = this.turns.shift();
    if (next) next();
    else this.running_--;
  }

  private dispatch(job: Job<P>): void {
    const done = this.turn().then(() => this.handler(job).finally(() => this.release())).then(
      () => this.markCompleted(job),
      async (err: unknown) => {
        if (err instanceof DeferJob) return this.defer(job, err.until);
        const message = err instanceof Error ? err.message : String(err);
        const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (job.attempts - 1));
        const permanent = err instanceof PermanentJobError;
        const park = permanent || job.attempts >= this.jobs.options.maxAttempts;
        const reported = !park || !this.onParked || (await this.onParked(job, { message, permanent, attempts: job.attempts }).then(
          () => true,
          (hookErr: unknown) => {
            this.log.error({ err: hookErr, jobId: job.id, queue: job.queue }, `job ${job.queue} could not report its failure; it will be retried`);
            return false;
          },
        ));
        const outcome = await this.jobs.retryOrFail(job as Job, message, delay, park && reported).catch(() => 'unrecorded');
        const log = outcome === 'failed' ? this.log.error.bind(this.log) : this.log.warn.bind(this.log);
        log({ err, jobId: job.id, queue: job.queue, attempts: job.attempts, outcome }, `job ${job.queue} failed: ${message}`);
      },
    );
    const tracked = done.finally(() => {
      this.inFlight.delete(job.id);
      this.wakeUp?.();
    });
    this.inFlight.set(job.id, { job: { id: job.id, attempts: job.attempts }, done: tracked });
  }

  private async defer(job: Job<P>, until: Date): Promise<void> {
    await this.jobs.defer(job, until).catch((err) => this.log.warn({ err, jobId: job.id }, 'could not defer job; it will be retried'));
    this.wakeAt(until);
  }

  /**
   * Comes back for a job due at `at` then, rather than at the next poll (a job enqueued or deferred here;
   * other instances' jobs are found by polling). Far-off times are left to polling: timers stay few.
   */
  wakeAt(at: Date): void {
    const ms = at.getTime() - Date.now();
    if (ms > 60 * 60_000) return;
    const timer = setTimeout(() => this.wake(), Math.max(0, ms));
    timer.unref();
  }

  /** Deleted in a batch by the next claim (or by stop/idle), not one statement per job. */
  private markCompleted(job: Claim): void {
    this.completed.push({ id: job.id, attempts: job.attempts });
  }

  private pending(): Promise<void>[] {
    return [...this.inFlight.values()].map((f) => f.done);
  }

  /** Coalesces completions: while one DELETE runs, the next batch gathers. */
  private async flushCompleted(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.completed.length) return;
    const claims = this.completed;
    this.completed = [];
    this.flushing = this.jobs.complete(claims).catch((err) => {
      // Not deleted means retried later; handlers are idempotent, so a replay does no harm.
      this.log.warn({ err, count: claims.length }, 'could not mark jobs done; they will replay harmlessly');
    });
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
