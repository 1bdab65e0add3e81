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
export type TicketStatus = 'open' | 'pending' | 'resolved' | 'closed';
export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'pending', 'resolved', 'closed'];

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
  sha256: string;
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

/** The slice of a ticket that threading and replies need: one cheap read (no notes, no attachments). */
export interface TicketSummary {
  id: number;
  status: TicketStatus;
  requesterId: number;
  /** The requester's phone (E.164): where replies go. */
  requesterPhone: string;
  updatedAt: Date;
}

export interface CreateTicketInput {
  idempotencyKey: string;
  requesterId: number;
  subject: string;
  descriptionHtml: string;
  attachments: AttachmentInput[];
  /** The closed ticket this one follows up, if any. */
  followUpOf?: number;
  tags?: string[];
}

export interface AddNoteInput {
  idempotencyKey: string;
  bodyHtml: string;
  /** true: shown as the customer's message; false: an agent/system note. */
  incoming: boolean;
  private: boolean;
  attachments: AttachmentInput[];
}

export interface TicketQuery {
  requesterPhone?: string;
  status?: TicketStatus;
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
  listTickets(query: TicketQuery): Promise<HelpdeskTicket[]>;
  listContacts(query: { phone?: string }): Promise<HelpdeskContact[]>;
}
