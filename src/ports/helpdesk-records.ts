import type { TicketStatus, TicketSummary } from './helpdesk.ts';

/** An earlier write to a remote helpdesk under the same idempotency key. */
export interface WriteRecord {
  state: 'started' | 'done';
  remoteId: number | null;
}

/** A remote ticket's summary as smsdesk last saw it, and the attachment bytes smsdesk put on it. */
export interface CachedTicket extends TicketSummary {
  seenAt: Date;
  attachmentBytes: number;
}

/**
 * What smsdesk keeps locally about a remote helpdesk (Freshdesk, Freshservice, Zendesk), so that writes are
 * idempotent across crashes, follow-ups cost one call, and smsdesk's own notes are never sent back as texts.
 */
export interface HelpdeskRecords {
  /** Records that a write is starting; null when this call is the first, else the earlier record. */
  startWrite(helpdesk: string, key: string, kind: 'ticket' | 'note'): Promise<WriteRecord | null>;
  finishWrite(helpdesk: string, key: string, remoteId: number): Promise<void>;
  /** Of these note ids, the ones smsdesk wrote itself. */
  ownNotes(helpdesk: string, noteIds: number[]): Promise<Set<number>>;
  cachedTicket(helpdesk: string, ticketId: number): Promise<CachedTicket | null>;
  /** Stores a fresh summary (seen now), keeping the attachment bytes already counted. */
  cacheTicket(helpdesk: string, summary: TicketSummary, addAttachmentBytes?: number): Promise<void>;
  /** After smsdesk's own write to a cached ticket: its new status/updated time and the bytes it attached. */
  touchTicket(helpdesk: string, ticketId: number, change: { status?: TicketStatus; updatedAt: Date; addAttachmentBytes?: number }): Promise<void>;
  /** The newest agent message of the ticket that auto-SMS has handled (null: none yet). */
  handledThrough(helpdesk: string, ticketId: number): Promise<number | null>;
  markHandled(helpdesk: string, ticketId: number, messageId: number): Promise<void>;
}
