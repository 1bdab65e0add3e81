import type { TicketStatus } from '../domain/ticket-status.ts';

/**
 * The helpdesk as smsdesk needs it. Shaped after the common ground of the built-in helpdesk, Freshdesk v2,
 * Freshservice v2 and Zendesk so each adapter maps it to a few REST calls:
 * - contacts are found by exact mobile number (Freshdesk `mobile`, Freshservice `mobile_phone_number`,
 *   Zendesk `external_id`), never by a lagging search index;
 * - a ticket is created with its first message and attachments in one call;
 * - follow-ups are notes shown as the customer's (Freshdesk/Freshservice notes, Zendesk comments authored by
 *   the requester);
 * - a closed ticket is never written to: a follow-up ticket links to it (Zendesk `via_followup_source_id`).
 * Every write carries an idempotency key (the inbound message's id) so a replay after a crash finds the
 * earlier result instead of writing twice, where the helpdesk lets an adapter do so.
 */
import { DeferJob } from './queue.ts';

/**
 * The helpdesk is rate-limiting smsdesk (429) for longer than a call should wait: the job goes back to the
 * queue until `until` without spending an attempt, still first in its conversation.
 */
export class HelpdeskBusy extends DeferJob {
  constructor(readonly helpdesk: string, until: Date) {
    super(until);
    this.message = `${helpdesk} is rate-limiting smsdesk until ${until.toISOString()}`;
    this.name = 'HelpdeskBusy';
  }
}

/** A helpdesk call that failed: `status` is the HTTP status (null: no answer). The job retries with backoff. */
export class HelpdeskError extends Error {
  constructor(readonly helpdesk: string, message: string, readonly status: number | null) {
    super(`${helpdesk}: ${message}`);
    this.name = 'HelpdeskError';
  }
}

// Defined in the domain (threading decides on it); re-exported here, where adapters look for it.
export { TICKET_STATUSES, type TicketStatus } from '../domain/ticket-status.ts';

export interface HelpdeskContact {
  id: number;
  name: string;
  phone: string;
}

export interface AttachmentInput {
  /** smsdesk's blob id; also what `/api/v1/attachments/:id` serves. */
  blobId: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** Reads the bytes from the blob store, for adapters that upload them. */
  read(): Promise<Buffer>;
}

export interface HelpdeskAttachment {
  id: number;
  filename: string;
  contentType: string;
  size: number;
  /** Empty for a file the helpdesk holds that smsdesk did not put there. */
  sha256: string;
  /** Where a remote helpdesk serves the file; absent: smsdesk's own /api/v1/attachments/:id. */
  url?: string;
}

export interface HelpdeskNote {
  id: number;
  bodyHtml: string;
  incoming: boolean;
  private: boolean;
  createdAt: Date;
  attachments: HelpdeskAttachment[];
}

export interface HelpdeskTicket {
  id: number;
  subject: string;
  status: TicketStatus;
  requester: HelpdeskContact;
  descriptionHtml: string;
  notes: HelpdeskNote[];
  attachments: HelpdeskAttachment[];
  createdAt: Date;
  updatedAt: Date;
}

/** A ticket without its conversation: what templates fill in ({{ticket.subject}}, {{contact.name}}…), one read. */
export type TicketHeader = Pick<HelpdeskTicket, 'id' | 'subject' | 'status' | 'requester' | 'createdAt' | 'updatedAt'>;

/** The slice of a ticket that threading and replies need: one cheap read (no notes, no attachments). */
export interface TicketSummary {
  id: number;
  status: TicketStatus;
  requesterId: number;
  /** The requester's phone (E.164): where replies go. */
  requesterPhone: string;
  updatedAt: Date;
  /** The helpdesk's priority by name (low, medium/normal, high, urgent), where it has one and said it. */
  priority?: string | null;
}

export interface CreateTicketInput {
  idempotencyKey: string;
  requesterId: number;
  subject: string;
  descriptionHtml: string;
  attachments: AttachmentInput[];
  /** The closed ticket this one follows up, if any. */
  followUpOf?: number;
  /** Extra tags; remote helpdesks always add HELPDESK_SMS_TAG (RecordedHelpdesk). */
  tags?: string[];
  /** The requester's phone (E.164), which the requester id stands for. */
  requesterPhone: string;
}

export interface AddNoteInput {
  idempotencyKey: string;
  bodyHtml: string;
  /** true: shown as the customer's message; false: an agent/system note. */
  incoming: boolean;
  /** The contact the note is written as (the requester, for a customer's text); absent: smsdesk itself. */
  authorId?: number;
  private: boolean;
  attachments: AttachmentInput[];
}

export interface TicketQuery {
  requesterPhone?: string;
  status?: TicketStatus;
}

/**
 * A closed ticket that the helpdesk will not take a note on (Zendesk): the caller opens a follow-up ticket
 * instead.
 */
export class TicketClosed extends Error {
  constructor(readonly ticketId: number) {
    super(`ticket ${ticketId} is closed and cannot be updated`);
    this.name = 'TicketClosed';
  }
}

export interface Helpdesk {
  readonly name: string;
  findContactByPhone(phoneE164: string): Promise<HelpdeskContact | null>;
  /** Creates the contact; if one with that phone appeared meanwhile, returns it instead of a second one. */
  createContact(input: { phone: string; name: string }): Promise<HelpdeskContact>;
  createTicket(input: CreateTicketInput): Promise<{ id: number }>;
  addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }>;
  setStatus(ticketId: number, status: TicketStatus): Promise<void>;
  getTicketSummary(ticketId: number): Promise<TicketSummary | null>;
  getTicket(ticketId: number): Promise<HelpdeskTicket | null>;
  /** The ticket without its notes and attachments (one call to a remote helpdesk instead of two or more). */
  getTicketHeader(ticketId: number): Promise<TicketHeader | null>;
  listTickets(query: TicketQuery): Promise<HelpdeskTicket[]>;
  listContacts(query: { phone?: string }): Promise<HelpdeskContact[]>;
}

/**
 * A helpdesk reached over the network (Freshdesk, Freshservice, Zendesk): what RecordedHelpdesk needs to make
 * its writes idempotent. A write that may have happened before a crash is looked for by its marker, a text
 * smsdesk puts in every body it writes.
 */
export interface RemoteHelpdesk extends Helpdesk {
  readonly name: RemoteHelpdeskKind;
  /** The most attachment bytes one ticket may hold (Freshdesk 20 MB); null: no cap smsdesk knows of. */
  readonly attachmentCapBytes: number | null;
  /** The priority smsdesk gives the tickets it creates (so the first escalation is seen as a change). */
  readonly createdPriority: string | null;
  /** The note on the ticket whose body contains `marker`, if any. */
  findNoteWith(ticketId: number, marker: string): Promise<{ id: number } | null>;
  /** The requester's recent ticket whose description contains `marker`, if any. */
  findTicketWith(requesterId: number, marker: string): Promise<{ id: number } | null>;
  /** What an event on a ticket (a helpdesk webhook) needs: its summary, tags and public agent messages. */
  ticketForEvent(ticketId: number): Promise<TicketEventView | null>;
  /** Calls made so far, 429s included (benchmarks and tests count them). */
  readonly calls: number;
}

export type RemoteHelpdeskKind = 'freshdesk' | 'freshservice' | 'zendesk';

/** A remote helpdesk behind smsdesk's records of its own writes (adapters/helpdesk/recorded-helpdesk.ts). */
export interface RecordedRemoteHelpdesk extends RemoteHelpdesk {
  /** Which of these notes smsdesk wrote itself (by its records). */
  ownNotes(noteIds: number[]): Promise<Set<number>>;
}

/** A public message an agent wrote on a ticket in the helpdesk (a reply or a public note): what auto-SMS sends. */
export interface AgentMessage {
  id: number;
  bodyHtml: string;
  createdAt: Date;
}

export interface TicketEventView {
  summary: TicketSummary;
  tags: string[];
  /** Public messages written by agents (not the requester), oldest first; smsdesk's own notes included. */
  agentMessages: AgentMessage[];
}
