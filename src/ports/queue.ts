/**
 * Thrown by a job handler that cannot do its work before `until` (a send waiting for its slot in the
 * sender's budget): the job goes back to the queue until then, still heading its key, without using up an
 * attempt.
 */
export class DeferJob extends Error {
  constructor(readonly until: Date) {
    super(`deferred until ${until.toISOString()}`);
    this.name = 'DeferJob';
  }
}

/**
 * Thrown by a job handler for a failure that retrying cannot fix (a unique violation, a record that
 * contradicts itself): the job is parked as failed at once, its queue's `onParked` reports it, and its key
 * moves on, instead of the next job waiting behind a dozen retries.
 */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/** Durable timers by key: at most one waits per key, and arming it again moves it. */
export interface Timers {
  /** The timer `key` of `queue` fires at `at` with `payload`, replacing one still waiting under that key. */
  arm(queue: string, key: string, payload: unknown, at: Date): Promise<void>;
}
