import type { RoutingDecision } from '../domain/threading.ts';

/** What the inbound pipeline stores about messages, media, blobs and ticket bindings. */
/** An inbound text as Twilio described it; `contactKey` is the sender normalized (E.164 where possible). */
export interface InboundText {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  contactKey: string;
  body: string;
}

export interface NewInboundMessage extends InboundText {
  params: Record<string, string>;
  media: { url: string; contentType: string | null }[];
}

export interface StoredMedia {
  id: number;
  idx: number;
  sourceUrl: string;
  contentType: string | null;
  state: 'pending' | 'stored' | 'missing';
  error: string | null;
  blob: BlobRecord | null;
}

export interface BlobRecord {
  id: number;
  storageKey: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface InboundForRouting extends InboundText {
  id: number;
  /** The Messaging Service the text came through, if any (an opt-out covers all its numbers). */
  messagingServiceSid: string | null;
  createdAt: Date;
  routedAt: Date | null;
  /** A decision recorded before the helpdesk write; a replay carries it out instead of deciding again. */
  pendingDecision: RoutingDecision | null;
  media: StoredMedia[];
  /** The helpdesk contact id cached for this sender, if any. */
  knownContactId: number | null;
  /** The sender's most recently active ticket bound to this Twilio number, if any. */
  recentLink: TicketLink | null;
}

export interface TicketLink {
  ticketId: number;
  twilioNumber: string;
  lastActivityAt: Date;
}

export type Routing = RoutingDecision & { ticketId: number; decidedAt: string; keyword?: string };

/** A text an inbound filter (an outgoing webhook with `decide`) rejected: kept, on no ticket. */
export interface RejectedRouting {
  action: 'rejected';
  rule: 'inbound-filter';
  reason: string;
  /** The webhook subscription whose answer it was. */
  webhookId: number | null;
  decidedAt: string;
  keyword?: string;
}

export interface MessageStore {
  /** Inserts a batch in one statement; a SID already stored is not inserted again (reported as duplicate). */
  insertInbound(batch: NewInboundMessage[], queue: string): Promise<{ sid: string; id: number | null }[]>;
  /** The message with everything routing needs from smsdesk's side, in one read. */
  loadForRouting(messageId: number, helpdesk: string): Promise<InboundForRouting | null>;
  rememberContact(helpdesk: string, contactKey: string, contactId: number): Promise<void>;
  links(helpdesk: string, ticketIds: number[]): Promise<TicketLink[]>;
  saveBlob(blob: Omit<BlobRecord, 'id'>): Promise<BlobRecord>;
  markMediaStored(mediaId: number, blobId: number, contentType: string): Promise<void>;
  markMediaMissing(mediaId: number, error: string): Promise<void>;
  /** Records the decision ahead of the helpdesk write (write-ahead), so a replay repeats the same write. */
  recordDecision(messageId: number, decision: RoutingDecision): Promise<void>;
  /** The most recently active ticket bound to this customer and Twilio number, if any. */
  recentLink(helpdesk: string, contactKey: string, twilioNumber: string): Promise<TicketLink | null>;
  /** Binds a ticket to the Twilio number a conversation uses (a conversation an agent started). */
  bindTicket(input: { helpdesk: string; ticketId: number; contactKey: string; twilioNumber: string }): Promise<void>;
  /** Records a rejection as the text's routing (routed, on no ticket), unless it was routed meanwhile. */
  recordRejection(messageId: number, routing: RejectedRouting): Promise<void>;
  /** Binds the ticket to the number and records the decision, in one atomic statement. */
  finishRouting(input: { messageId: number; helpdesk: string; contactKey: string; twilioNumber: string; activityAt: Date; routing: Routing }): Promise<void>;
}
