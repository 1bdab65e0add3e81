import type { EventConsumer, EventOutbox } from '../ports/event-outbox.ts';

/**
 * The job behind each recorded event: hands it to every consumer (automations, outgoing webhooks) in turn.
 * A consumer that fails makes the job retry; consumers are idempotent per event, so those that had finished
 * repeat nothing.
 */
export class DispatchEvents {
  constructor(
    private readonly outbox: EventOutbox,
    private readonly consumers: readonly EventConsumer[],
  ) {}

  async run(eventId: string): Promise<void> {
    const event = await this.outbox.get(eventId);
    if (!event) return;
    for (const consumer of this.consumers) await consumer.handle(event);
  }
}
