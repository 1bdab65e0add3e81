import type {
  AddNoteInput, CreateTicketInput, HelpdeskContact, HelpdeskTicket, RemoteHelpdesk, TicketHeader, TicketEventView, TicketQuery, TicketStatus, TicketSummary,
} from '../../../ports/helpdesk.ts';
import type { RestClient } from '../rest-client.ts';
import {
  agentMessagesOf, allConversations, freshworksClient, freshworksStatus, headerOf, hydrate, noteRequest, PAGE, summaryOf, ticketRequest, TO_FRESHWORKS, withMarker,
  type FreshworksOptions, type FwConversation, type FwEmbeddedRequester, type FwTicket,
} from '../freshworks.ts';

/**
 * "The total size of all of a ticket's attachments cannot exceed 40 MB" (Conversations and Create a Ticket
 * attributes). Read as MiB, like the Freshdesk adapter's 20 MB; the docs do not say which.
 */
const ATTACHMENT_CAP = 40 * 1024 * 1024;
/**
 * The ticket list returns only tickets created in the past 30 days "unless you use the updated_since filter"
 * (View List of Tickets, note 1): a date before any smsdesk ticket lifts that window.
 */
const ALL_TIME = '2000-01-01T00:00:00Z';

interface FsRequester {
  id: number; first_name: string; last_name: string | null; mobile_phone_number: string | null; work_phone_number: string | null;
  primary_email: string | null; active?: boolean;
}
/** `include=requester` embeds "id, name, mobile, phone" (and email on the list). */
interface FsTicket extends FwTicket { requester?: FwEmbeddedRequester }

/**
 * Freshservice API v2. Every body is wrapped (`{"ticket":{…}}`, `{"requesters":[…]}`, `{"conversation":{…}}`).
 * Requesters are matched by the exact `mobile_phone_number` filter of List All Requesters, never by Filter
 * Requesters (`?query=`), which the docs warn "may take a few minutes to get indexed". Tickets are created
 * with source Phone and the tag `sms`. A customer's follow-up is a note with `incoming: true` (Create a Note:
 * "should appear as being created from the outside") written as the requester (`user_id`: "ID of the
 * agent/user who is adding the note"), so Freshservice shows it as theirs. Auth: the API key as the
 * basic-auth user, `X` as the password ("You can use any set of characters as a dummy password").
 */
export class FreshserviceHelpdesk implements RemoteHelpdesk {
  readonly name = 'freshservice' as const;
  readonly attachmentCapBytes = ATTACHMENT_CAP;
  /** Tickets from texts are created Low (freshworks.ts newTicketFields). */
  readonly createdPriority = 'low';
  readonly client: RestClient;
  /** Creates of one phone under way in this process: later callers share the first one's answer. */
  private readonly creating = new Map<string, Promise<HelpdeskContact>>();

  constructor(opts: FreshworksOptions) {
    this.client = freshworksClient('Freshservice', opts.url, opts.apiKey, opts.maxWaitMs);
  }

  get calls(): number {
    return this.client.calls;
  }

  async findContactByPhone(phone: string): Promise<HelpdeskContact | null> {
    const found = canonical(await this.requestersByPhone(phone));
    return found ? contact(found) : null;
  }

  /**
   * Freshservice does not keep `mobile_phone_number` unique (its own List All Requesters samples show two
   * users sharing one), so it will not refuse a twin with a 409 the way Freshdesk does. Two guards instead:
   * creates of one phone in this process are folded into one call, and after creating, the exact filter is
   * read again and every creator settles on the oldest requester with that number (lowest id; ids grow), so
   * separate smsdesk processes racing agree too. A twin this call made and lost with is forgotten (Forget a
   * Requester, `DELETE /api/v2/requesters/[id]/forget`), which is safe: nothing has used its id yet. A 409 is
   * still handled (an account might be set to refuse duplicates) by finding the one that exists.
   */
  createContact(input: { phone: string; name: string }): Promise<HelpdeskContact> {
    const pending = this.creating.get(input.phone);
    if (pending) return pending;
    const p = this.create(input).finally(() => this.creating.delete(input.phone));
    this.creating.set(input.phone, p);
    return p;
  }

  async createTicket(input: CreateTicketInput): Promise<{ id: number }> {
    // Freshservice documents no follow-up link between tickets (input.followUpOf), nor idempotency keys: a
    // replay is caught by RecordedHelpdesk's marker search (findTicketWith).
    const { body } = await this.client.request<{ ticket: FsTicket }>('POST', '/api/v2/tickets', await ticketRequest(input));
    return { id: body.ticket.id };
  }

  async addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }> {
    const { body } = await this.client.request<{ conversation: FwConversation }>('POST', `/api/v2/tickets/${ticketId}/notes`, await noteRequest(input));
    return { id: body.conversation.id };
  }

  async setStatus(ticketId: number, status: TicketStatus): Promise<void> {
    await this.client.request('PUT', `/api/v2/tickets/${ticketId}`, { json: { status: TO_FRESHWORKS[status] } });
  }

  async getTicketSummary(ticketId: number): Promise<TicketSummary | null> {
    const t = await this.fetchTicket(ticketId, ['requester']);
    return t ? summaryOf(t, t.requester) : null;
  }

  async ticketForEvent(ticketId: number): Promise<TicketEventView | null> {
    // Tags are left out of View a Ticket "by default … They can be retrieved via the embedding functionality".
    const t = await this.fetchTicket(ticketId, ['requester', 'tags']);
    if (!t) return null;
    return { summary: summaryOf(t, t.requester), tags: t.tags ?? [], agentMessages: agentMessagesOf(await this.conversations(ticketId), t.requester_id) };
  }

  async getTicket(ticketId: number): Promise<HelpdeskTicket | null> {
    const t = await this.fetchTicket(ticketId, ['requester']);
    return t ? hydrate(t, t.requester, await this.conversations(t.id)) : null;
  }

  async getTicketHeader(ticketId: number): Promise<TicketHeader | null> {
    const t = await this.fetchTicket(ticketId, ['requester']);
    return t ? headerOf(t, t.requester) : null;
  }

  /**
   * The 100 most recently created tickets matching the query. The list has no status filter and its entries
   * carry no attachments (View List of Tickets sample), so each ticket is read in full: 1 + 2 calls a ticket.
   */
  async listTickets(query: TicketQuery): Promise<HelpdeskTicket[]> {
    let requesterId: number | undefined;
    if (query.requesterPhone) {
      const c = await this.findContactByPhone(query.requesterPhone);
      if (!c) return [];
      requesterId = c.id;
    }
    const { body } = await this.client.request<{ tickets: FsTicket[] }>('GET', '/api/v2/tickets', {
      query: { requester_id: requesterId, updated_since: ALL_TIME, order_type: 'desc', per_page: PAGE },
    });
    const listed = query.status ? body.tickets.filter((t) => freshworksStatus(t.status) === query.status) : body.tickets;
    const tickets = await Promise.all(listed.map((t) => this.getTicket(t.id)));
    return tickets.filter((t): t is HelpdeskTicket => t !== null);
  }

  async listContacts(query: { phone?: string }): Promise<HelpdeskContact[]> {
    const { body } = await this.client.request<{ requesters: FsRequester[] }>('GET', '/api/v2/requesters', {
      query: { mobile_phone_number: query.phone, per_page: PAGE },
    });
    return body.requesters.map(contact);
  }

  async findNoteWith(ticketId: number, marker: string): Promise<{ id: number } | null> {
    return withMarker(await this.conversations(ticketId), (c) => c.body, marker);
  }

  /** The list carries each ticket's description (View List of Tickets sample), newest first by default. */
  async findTicketWith(requesterId: number, marker: string): Promise<{ id: number } | null> {
    const { body } = await this.client.request<{ tickets: FsTicket[] }>('GET', '/api/v2/tickets', {
      query: { requester_id: requesterId, order_type: 'desc', per_page: 30 },
    });
    return withMarker(body.tickets, (t) => t.description, marker);
  }

  private async create(input: { phone: string; name: string }): Promise<HelpdeskContact> {
    const res = await this.client.request<{ requester: FsRequester }>('POST', '/api/v2/requesters', {
      json: { first_name: input.name, mobile_phone_number: input.phone }, accept: [409],
    });
    if (res.status === 409) {
      const found = await this.findContactByPhone(input.phone);
      if (found) return found;
      throw new Error(`Freshservice refused the requester ${input.phone} as a duplicate but has none with that mobile number`);
    }
    const mine = res.body.requester;
    const winner = canonical(await this.requestersByPhone(input.phone)) ?? mine;
    if (winner.id !== mine.id) {
      await this.client.request('DELETE', `/api/v2/requesters/${mine.id}/forget`, { accept: [404] });
      return contact(winner);
    }
    return contact(mine);
  }

  /** Requesters whose mobile number is exactly `phone` (List All Requesters' filter, not the lagging index). */
  private async requestersByPhone(phone: string): Promise<FsRequester[]> {
    const { body } = await this.client.request<{ requesters: FsRequester[] }>('GET', '/api/v2/requesters', {
      query: { mobile_phone_number: phone, per_page: PAGE },
    });
    return body.requesters.filter((r) => r.mobile_phone_number === phone);
  }

  /** One credit per embed on a single ticket ("Embedding"); `tags` only where the caller needs them. */
  private async fetchTicket(ticketId: number, include: string[]): Promise<FsTicket | null> {
    const res = await this.client.request<{ ticket: FsTicket }>('GET', `/api/v2/tickets/${ticketId}`, {
      query: { include: include.join(',') }, accept: [404],
    });
    return res.status === 404 ? null : res.body.ticket;
  }

  private conversations(ticketId: number): Promise<FwConversation[]> {
    return allConversations<{ conversations: FwConversation[] }>(this.client, ticketId, (page) => page.conversations);
  }
}

/** The requester every caller settles on among those sharing a number: active before deactivated, then the oldest. */
function canonical(list: FsRequester[]): FsRequester | undefined {
  return [...list].sort((a, b) => Number(a.active === false) - Number(b.active === false) || a.id - b.id)[0];
}

function contact(r: FsRequester): HelpdeskContact {
  return { id: r.id, name: [r.first_name, r.last_name].filter(Boolean).join(' '), phone: r.mobile_phone_number ?? r.work_phone_number ?? '' };
}
