import type {
  AddNoteInput, AttachmentInput, CreateTicketInput, HelpdeskAttachment, HelpdeskContact, HelpdeskNote, HelpdeskTicket,
  RemoteHelpdesk, TicketEventView, TicketQuery, TicketStatus, TicketSummary,
} from '../../../ports/helpdesk.ts';
import { RestClient } from '../rest-client.ts';

/** Freshdesk's ticket statuses: 2 Open, 3 Pending, 4 Resolved, 5 Closed; custom ones (6+) wait on someone. */
const TO_FRESHDESK: Record<TicketStatus, number> = { open: 2, pending: 3, resolved: 4, closed: 5 };
const FROM_FRESHDESK: Record<number, TicketStatus> = { 2: 'open', 3: 'pending', 4: 'resolved', 5: 'closed' };
/** Ticket source "Phone": an SMS is a phone channel. */
const SOURCE_PHONE = 3;
const PRIORITY_LOW = 1;
/** Freshdesk's cap on all attachments of one ticket. */
const ATTACHMENT_CAP = 20 * 1024 * 1024;
const PAGE = 100;

interface FdContact { id: number; name: string; mobile: string | null; phone: string | null }
interface FdAttachment { id: number; name: string; content_type: string; size: number; attachment_url: string }
interface FdTicket {
  id: number; subject: string; status: number; requester_id: number; description: string; created_at: string; updated_at: string;
  attachments?: FdAttachment[]; requester?: FdContact; tags?: string[];
}
interface FdConversation {
  id: number; body: string; incoming: boolean; private: boolean; user_id: number; created_at: string; attachments?: FdAttachment[];
}
interface FdValidationError { description?: string; errors?: { field?: string; code?: string; additional_info?: { user_id?: number } }[] }

export interface FreshdeskOptions {
  url: string;
  apiKey: string;
  /** How long a call waits out 429s before its job goes back to the queue. */
  maxWaitMs?: number;
}

/**
 * Freshdesk API v2. Contacts are matched by the exact `mobile` filter of the contact list (the search API
 * lags by minutes, so a contact made moments ago would be missed); tickets are created with source Phone and
 * the tag `sms`; a customer's follow-up is a note with `incoming: true` written as the requester (`user_id`),
 * so Freshdesk shows it as theirs. Auth: the API key as the basic-auth user, `X` as the password.
 */
export class FreshdeskHelpdesk implements RemoteHelpdesk {
  readonly name = 'freshdesk' as const;
  readonly attachmentCapBytes = ATTACHMENT_CAP;
  readonly client: RestClient;

  constructor(opts: FreshdeskOptions) {
    this.client = new RestClient({
      name: 'Freshdesk',
      baseUrl: opts.url,
      authorization: 'Basic ' + Buffer.from(`${opts.apiKey}:X`).toString('base64'),
      maxWaitMs: opts.maxWaitMs,
    });
  }

  get calls(): number {
    return this.client.calls;
  }

  async findContactByPhone(phone: string): Promise<HelpdeskContact | null> {
    const { body } = await this.client.request<FdContact[]>('GET', '/api/v2/contacts', { query: { mobile: phone } });
    const found = body.find((c) => c.mobile === phone) ?? body[0];
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
    const fields: Record<string, string | number | string[]> = {
      requester_id: input.requesterId, subject: input.subject, description: input.descriptionHtml,
      status: TO_FRESHDESK.open, priority: PRIORITY_LOW, source: SOURCE_PHONE, tags: input.tags ?? ['sms'],
    };
    const req = input.attachments.length ? { form: await multipart(fields, input.attachments) } : { json: fields };
    const { body } = await this.client.request<FdTicket>('POST', '/api/v2/tickets', req);
    return { id: body.id };
  }

  async addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }> {
    const fields: Record<string, string | number | boolean | string[]> = { body: input.bodyHtml, incoming: input.incoming, private: input.private };
    if (input.authorId !== undefined) fields.user_id = input.authorId;
    const req = input.attachments.length ? { form: await multipart(fields, input.attachments) } : { json: fields };
    const { body } = await this.client.request<FdConversation>('POST', `/api/v2/tickets/${ticketId}/notes`, req);
    return { id: body.id };
  }

  async setStatus(ticketId: number, status: TicketStatus): Promise<void> {
    await this.client.request('PUT', `/api/v2/tickets/${ticketId}`, { json: { status: TO_FRESHDESK[status] } });
  }

  async getTicketSummary(ticketId: number): Promise<TicketSummary | null> {
    const t = await this.fetchTicket(ticketId);
    return t ? summary(t) : null;
  }

  async ticketForEvent(ticketId: number): Promise<TicketEventView | null> {
    const t = await this.fetchTicket(ticketId);
    if (!t) return null;
    const agentMessages = (await this.conversations(ticketId))
      .filter((c) => !c.incoming && !c.private && c.user_id !== t.requester_id)
      .map((c) => ({ id: c.id, bodyHtml: c.body, createdAt: new Date(c.created_at) }));
    return { summary: summary(t), tags: t.tags ?? [], agentMessages };
  }

  async getTicket(ticketId: number): Promise<HelpdeskTicket | null> {
    const t = await this.fetchTicket(ticketId);
    return t ? this.hydrate(t) : null;
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
    const tickets = query.status ? body.filter((t) => status(t.status) === query.status) : body;
    return Promise.all(tickets.map((t) => this.hydrate(t)));
  }

  async listContacts(query: { phone?: string }): Promise<HelpdeskContact[]> {
    const { body } = await this.client.request<FdContact[]>('GET', '/api/v2/contacts', { query: { mobile: query.phone, per_page: PAGE } });
    return body.map((c) => contact(c, c.mobile ?? c.phone ?? ''));
  }

  async findNoteWith(ticketId: number, marker: string): Promise<{ id: number } | null> {
    for (const c of await this.conversations(ticketId)) if (c.body.includes(marker)) return { id: c.id };
    return null;
  }

  async findTicketWith(requesterId: number, marker: string): Promise<{ id: number } | null> {
    const { body } = await this.client.request<FdTicket[]>('GET', '/api/v2/tickets', {
      query: { requester_id: requesterId, include: 'description', order_by: 'created_at', order_type: 'desc', per_page: 30 },
    });
    const found = body.find((t) => (t.description ?? '').includes(marker));
    return found ? { id: found.id } : null;
  }

  private async fetchTicket(ticketId: number): Promise<FdTicket | null> {
    const res = await this.client.request<FdTicket>('GET', `/api/v2/tickets/${ticketId}`, { query: { include: 'requester' }, accept: [404] });
    return res.status === 404 ? null : res.body;
  }

  /** Every conversation of a ticket, following Freshdesk's pages (100 a page at most). */
  private async conversations(ticketId: number): Promise<FdConversation[]> {
    const all: FdConversation[] = [];
    for (let page = 1; ; page++) {
      const { body, headers } = await this.client.request<FdConversation[]>('GET', `/api/v2/tickets/${ticketId}/conversations`, { query: { page, per_page: PAGE } });
      all.push(...body);
      if (!/rel="next"/.test(headers.get('link') ?? '') || body.length === 0) return all;
    }
  }

  private async hydrate(t: FdTicket): Promise<HelpdeskTicket> {
    const notes = await this.conversations(t.id);
    return {
      id: t.id,
      subject: t.subject,
      status: status(t.status),
      requester: t.requester ? contact(t.requester, phoneOf(t.requester)) : { id: t.requester_id, name: '', phone: '' },
      descriptionHtml: t.description ?? '',
      notes: notes.map((n): HelpdeskNote => ({
        id: n.id, bodyHtml: n.body, incoming: n.incoming, private: n.private, createdAt: new Date(n.created_at),
        attachments: (n.attachments ?? []).map(attachment),
      })),
      attachments: (t.attachments ?? []).map(attachment),
      createdAt: new Date(t.created_at),
      updatedAt: new Date(t.updated_at),
    };
  }
}

function summary(t: FdTicket): TicketSummary {
  return { id: t.id, status: status(t.status), requesterId: t.requester_id, requesterPhone: phoneOf(t.requester), updatedAt: new Date(t.updated_at) };
}

function status(n: number): TicketStatus {
  return FROM_FRESHDESK[n] ?? 'pending';
}

function contact(c: FdContact, phone: string): HelpdeskContact {
  return { id: c.id, name: c.name, phone };
}

function phoneOf(c: FdContact | undefined): string {
  return c?.mobile ?? c?.phone ?? '';
}

function attachment(a: FdAttachment): HelpdeskAttachment {
  return { id: a.id, filename: a.name, contentType: a.content_type, size: a.size, sha256: '', url: a.attachment_url };
}

/** Freshdesk's multipart form: arrays as `name[]`, each file as `attachments[]`. */
async function multipart(fields: Record<string, string | number | boolean | string[]>, files: AttachmentInput[]): Promise<FormData> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) for (const v of value) form.append(`${name}[]`, v);
    else form.append(name, String(value));
  }
  for (const f of files) form.append('attachments[]', new Blob([new Uint8Array(await f.read())], { type: f.contentType }), f.filename);
  return form;
}
