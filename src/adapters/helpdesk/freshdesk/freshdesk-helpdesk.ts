import type {
  AddNoteInput, CreateTicketInput, HelpdeskContact, HelpdeskTicket, RemoteHelpdesk, TicketHeader, TicketEventView, TicketQuery, TicketStatus, TicketSummary,
} from '../../../ports/helpdesk.ts';
import type { RestClient } from '../rest-client.ts';
import {
  agentMessagesOf, allConversations, freshworksClient, freshworksStatus, headerOf, hydrate, noteRequest, PAGE, summaryOf, ticketRequest, TO_FRESHWORKS, withMarker,
  type FreshworksOptions, type FwConversation, type FwEmbeddedRequester, type FwTicket,
} from '../freshworks.ts';

/** Freshdesk's cap on all attachments of one ticket. */
const ATTACHMENT_CAP = 20 * 1024 * 1024;

interface FdContact { id: number; name: string; mobile: string | null; phone: string | null }
interface FdTicket extends FwTicket { requester?: FwEmbeddedRequester }
interface FdValidationError { description?: string; errors?: { field?: string; code?: string; additional_info?: { user_id?: number } }[] }

/**
 * Freshdesk API v2, bare JSON. Contacts are matched by the exact `mobile` filter of the contact list (the
 * search API lags by minutes, so a contact made moments ago would be missed), and `mobile` is unique: a
 * twin is refused with 409 naming the contact that exists. Tickets are created with source Phone and the tag
 * `sms`; a customer's follow-up is a note with `incoming: true` written as the requester (`user_id`), so
 * Freshdesk shows it as theirs.
 */
export class FreshdeskHelpdesk implements RemoteHelpdesk {
  readonly name = 'freshdesk' as const;
  readonly attachmentCapBytes = ATTACHMENT_CAP;
  /** Tickets from texts are created Low (freshworks.ts newTicketFields). */
  readonly createdPriority = 'low';
  readonly client: RestClient;

  constructor(opts: FreshworksOptions) {
    this.client = freshworksClient('Freshdesk', opts.url, opts.apiKey, opts.maxWaitMs);
  }

  get calls(): number {
    return this.client.calls;
  }

  async findContactByPhone(phone: string): Promise<HelpdeskContact | null> {
    const { body } = await this.client.request<FdContact[]>('GET', '/api/v2/contacts', { query: { mobile: phone } });
    const found = body.find((c) => c.mobile === phone);
    return found ? contact(found, phone) : null;
  }

  async createContact(input: { phone: string; name: string }): Promise<HelpdeskContact> {
    const res = await this.client.request<FdContact | FdValidationError>('POST', '/api/v2/contacts', {
      json: { name: input.name, mobile: input.phone }, accept: [409],
    });
    if (res.status === 409) {
      // Someone created it meanwhile: Freshdesk names the existing contact in the conflict.
      const existing = (res.body as FdValidationError).errors?.find((e) => e.additional_info?.user_id)?.additional_info?.user_id;
      if (existing) return { id: existing, name: input.name, phone: input.phone };
      const found = await this.findContactByPhone(input.phone);
      if (found) return found;
      throw new Error(`Freshdesk refused the contact ${input.phone} as a duplicate but has none with that mobile`);
    }
    return contact(res.body as FdContact, input.phone);
  }

  async createTicket(input: CreateTicketInput): Promise<{ id: number }> {
    // Freshdesk has no follow-up link between tickets (input.followUpOf): the description says it.
    const { body } = await this.client.request<FdTicket>('POST', '/api/v2/tickets', await ticketRequest(input));
    return { id: body.id };
  }

  async addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }> {
    const { body } = await this.client.request<FwConversation>('POST', `/api/v2/tickets/${ticketId}/notes`, await noteRequest(input));
    return { id: body.id };
  }

  async setStatus(ticketId: number, status: TicketStatus): Promise<void> {
    await this.client.request('PUT', `/api/v2/tickets/${ticketId}`, { json: { status: TO_FRESHWORKS[status] } });
  }

  async getTicketSummary(ticketId: number): Promise<TicketSummary | null> {
    const t = await this.fetchTicket(ticketId);
    return t ? summaryOf(t, t.requester) : null;
  }

  async ticketForEvent(ticketId: number): Promise<TicketEventView | null> {
    const t = await this.fetchTicket(ticketId);
    if (!t) return null;
    return { summary: summaryOf(t, t.requester), tags: t.tags ?? [], agentMessages: agentMessagesOf(await this.conversations(ticketId), t.requester_id) };
  }

  async getTicket(ticketId: number): Promise<HelpdeskTicket | null> {
    const t = await this.fetchTicket(ticketId);
    return t ? hydrate(t, t.requester, await this.conversations(t.id)) : null;
  }

  async getTicketHeader(ticketId: number): Promise<TicketHeader | null> {
    const t = await this.fetchTicket(ticketId);
    return t ? headerOf(t, t.requester) : null;
  }

  async listTickets(query: TicketQuery): Promise<HelpdeskTicket[]> {
    let requesterId: number | undefined;
    if (query.requesterPhone) {
      const c = await this.findContactByPhone(query.requesterPhone);
      if (!c) return [];
      requesterId = c.id;
    }
    const { body } = await this.client.request<FdTicket[]>('GET', '/api/v2/tickets', {
      query: { requester_id: requesterId, include: 'requester,description', order_by: 'updated_at', order_type: 'desc', per_page: PAGE },
    });
    const tickets = query.status ? body.filter((t) => freshworksStatus(t.status) === query.status) : body;
    return Promise.all(tickets.map(async (t) => hydrate(t, t.requester, await this.conversations(t.id))));
  }

  async listContacts(query: { phone?: string }): Promise<HelpdeskContact[]> {
    const { body } = await this.client.request<FdContact[]>('GET', '/api/v2/contacts', { query: { mobile: query.phone, per_page: PAGE } });
    return body.map((c) => contact(c, c.mobile ?? c.phone ?? ''));
  }

  async findNoteWith(ticketId: number, marker: string): Promise<{ id: number } | null> {
    return withMarker(await this.conversations(ticketId), (c) => c.body, marker);
  }

  async findTicketWith(requesterId: number, marker: string): Promise<{ id: number } | null> {
    const { body } = await this.client.request<FdTicket[]>('GET', '/api/v2/tickets', {
      query: { requester_id: requesterId, include: 'description', order_by: 'created_at', order_type: 'desc', per_page: 30 },
    });
    return withMarker(body, (t) => t.description, marker);
  }

  private async fetchTicket(ticketId: number): Promise<FdTicket | null> {
    const res = await this.client.request<FdTicket>('GET', `/api/v2/tickets/${ticketId}`, { query: { include: 'requester' }, accept: [404] });
    return res.status === 404 ? null : res.body;
  }

  private conversations(ticketId: number): Promise<FwConversation[]> {
    return allConversations<FwConversation[]>(this.client, ticketId, (page) => page);
  }
}

function contact(c: FdContact, phone: string): HelpdeskContact {
  return { id: c.id, name: c.name, phone };
}
