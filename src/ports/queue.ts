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
