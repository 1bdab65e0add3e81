import type { NewEvent, RecordedEvent } from '../domain/events.ts';

export type { EventType, NewEvent, RecordedEvent } from '../domain/events.ts';

/** The queue whose jobs hand each recorded event to its consumers (automations, outgoing webhooks). */
export const EVENT_QUEUE = 'domain-event';

/**
 * Where events are recorded, each once by its dedupe key, together with the job that hands it to its
 * consumers (one statement: an event is never recorded without its job, nor its job without it).
 */
export interface EventOutbox {
  /** Records the events not seen before; returns how many were new. */
  record(events: readonly NewEvent[]): Promise<number>;
  get(id: string): Promise<RecordedEvent | null>;
  /** When the ticket last saw activity (ACTIVITY_TYPES), not counting what `except` automation caused. */
  lastActivity(helpdesk: string, ticketId: number, except: number): Promise<Date | null>;
}

/** What counts as activity on a ticket for ticket.idle: texts either way and changes made by people. */
export const ACTIVITY_TYPES = ['ticket.created', 'ticket.status_changed', 'ticket.agent_replied', 'message.received'] as const;

/** Something that reacts to events: it must be idempotent per event (a job may run twice). */
export interface EventConsumer {
  readonly name: string;
  handle(event: RecordedEvent): Promise<void>;
}
