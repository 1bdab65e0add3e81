import type { EventConsumer, EventOutbox } from '../ports/event-outbox.ts';
import { DeferJob } from '../ports/queue.ts';

/** A consumer that failed on an event, to be run again on its own (`runAt`: not before then; null: with backoff). */
export type RetryConsumer = (eventId: string, consumer: string, runAt: Date | null) => Promise<void>;

export interface DispatchLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Hands one recorded event (a job of queue domain-event) to every consumer, in order. Consumers are
 * idempotent per event, so a replay is harmless. A consumer that fails does not hold the others back: with
 * `retryLater`, a job of its own is queued for it (payload `{eventId, consumer}`) and retried with the
 * queue's backoff, and the event's job ends; only if that cannot be queued does the whole job fail (and
 * every consumer runs again, harmlessly). Run with `only`, just that consumer runs and its failure is the
 * job's (a DeferJob it throws defers the job).
 */
export class DispatchEvents {
  constructor(
    private readonly outbox: EventOutbox,
    private readonly consumers: readonly EventConsumer[],
    private readonly opts: { retryLater?: RetryConsumer; log?: DispatchLogger } = {},
  ) {}

  async run(eventId: string, only: string | null = null): Promise<void> {
    const event = await this.outbox.get(eventId);
    if (!event) return;
    if (only !== null) {
      const consumer = this.consumers.find((c) => c.name === only);
      if (consumer) await consumer.handle(event);
      return;
    }
    const failed: { name: string; err: unknown }[] = [];
    for (const consumer of this.consumers) {
      try {
        await consumer.handle(event);
      } catch (err) {
        failed.push({ name: consumer.name, err });
      }
    }
    if (!failed.length) return;
    const retryLater = this.opts.retryLater;
    if (!retryLater) throw failed[0]!.err;
    for (const { name, err } of failed) {
      this.opts.log?.warn({ err, eventId, consumer: name }, `event consumer ${name} failed on ${event.type}; retrying it on its own`);
      await retryLater(eventId, name, err instanceof DeferJob ? err.until : null);
    }
  }
}
