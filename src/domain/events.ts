/**
 * What happened in smsdesk that automations and outgoing webhooks react to: one kind of record for both,
 * written once (an outbox, adapters/db/event-outbox.ts) and handed to each consumer.
 *
 * Types are the union of CONTRACT.md's automation triggers (`when`) and outgoing webhook types: a consumer
 * picks the ones it knows.
 */
export const EVENT_TYPES = [
  'ticket.created',
  'ticket.status_changed',
  'ticket.priority_changed',
  'ticket.agent_replied',
  'ticket.idle',
  'message.received',
  'message.failed',
  'message.status_changed',
  'optout.changed',
  'csat.received',
  'usage.threshold',
  // Internal: an automation's question answered, or its wait over (they run that automation's branch).
  'ask.answered',
  'ask.timed_out',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** What an event says of its ticket, as smsdesk saw it when the event happened (conditions read it). */
export interface EventTicket {
  id: number;
  /** Absent when the event's source did not know it (a text appended to a ticket): read when a condition needs it. */
  status?: string;
  previousStatus?: string | null;
  priority?: string | null;
  previousPriority?: string | null;
  tags?: string[];
  /** The Twilio number the ticket's texts use (its binding), if any. */
  twilioNumber?: string | null;
  requesterPhone?: string | null;
}

/** The text an event is about (message.received, message.failed, message.status_changed). */
export interface EventMessage {
  id: number;
  sid?: string | null;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  body: string;
  status?: string;
  errorCode?: number | null;
  /** An inbound text that answered an automation's question (a survey, an ask). */
  answered?: boolean;
}

export interface EventData {
  ticket?: EventTicket;
  message?: EventMessage;
  /** Anything else a type carries (optout.changed: customer, sender, optedOut; csat.received: rating, comment). */
  [key: string]: unknown;
}

export interface NewEvent {
  type: EventType;
  /**
   * Identifies the occurrence, so seeing it again (a helpdesk resending its webhook, Twilio retrying, a job
   * replayed after a crash) records nothing new: e.g. "ticket.created:builtin:42".
   */
  dedupeKey: string;
  helpdesk: string;
  ticketId: number | null;
  data: EventData;
  /** Automations whose actions led to this event (an automation never reacts to its own doing). */
  causedBy?: number[];
}

export interface RecordedEvent extends Required<Omit<NewEvent, 'dedupeKey'>> {
  /** Stable: "evt_…", the `id` an outgoing webhook's receiver dedupes by. */
  id: string;
  createdAt: Date;
}

/** The origin a message or note made by automation `id` carries ("automation:7"), and back. */
export const automationOrigin = (id: number): `automation:${number}` => `automation:${id}`;
export function automationOf(origin: string | null | undefined): number | null {
  const m = /^automation:(\d+)$/.exec(origin ?? '');
  return m ? Number(m[1]) : null;
}
