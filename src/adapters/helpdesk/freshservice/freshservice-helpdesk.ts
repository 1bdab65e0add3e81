import type {
  AddNoteInput, AttachmentInput, CreateTicketInput, HelpdeskAttachment, HelpdeskContact, HelpdeskNote, HelpdeskTicket,
  RemoteHelpdesk, TicketEventView, TicketQuery, TicketStatus, TicketSummary,
} from '../../../ports/helpdesk.ts';
import { RestClient } from '../rest-client.ts';

/**
 * Freshservice API v2 (https://api.freshservice.com/, "Ticket Properties"): statuses 2 Open, 3 Pending,
 * 4 Resolved, 5 Closed; priorities 1 Low … 4 Urgent; sources 1 Email, 2 Portal, 3 Phone, 4 Chat, …
 */
const TO_FRESHSERVICE: Record<TicketStatus, number> = { open: 2, pending: 3, resolved: 4, closed: 5 };
const FROM_FRESHSERVICE: Record<number, TicketStatus> = { 2: 'open', 3: 'pending', 4: 'resolved', 5: 'closed' };
/** Ticket source "Phone" (3): an SMS is a phone channel. */
const SOURCE_PHONE = 3;
const PRIORITY_LOW = 1;
/**
 * "The total size of all of a ticket's attachments cannot exceed 40 MB" (Conversations and Create a Ticket
 * attributes). Read as MiB, like the Freshdesk adapter's 20 MB; the docs do not say which.
 */
const ATTACHMENT_CAP = 40 * 1024 * 1024;
/** The most a page holds ("Pagination": 30 by default, 100 at most). */
const PAGE = 100;
/**
 * The ticket list returns only tickets created in the past 30 days "unless you use the updated_since filter"
 * (View List of Tickets, note 1): a date before any smsdesk ticket lifts that window.
 */
const ALL_TIME = '2000-01-01T00:00:00Z';

interface FsRequester {
  id: number; first_name: string; last_name: string | null; mobile_phone_number: string | null; work_phone_number: string | null;
  primary_email: string | null; active?: boolean;
}
/** What `include=requester` embeds in a ticket: "id, name, mobile, phone" (and email on the list). */
interface FsEmbeddedRequester { id: number; name: string; email?: string | null; mobile?: string | null; phone?: string | null }
/** The View a Ticket sample leaves `id` out of its attachments; create/update/conversation samples carry it. */
interface FsAttachment { id?: number; name: string; content_type: string; size: number; attachment_url: string }
interface FsTicket {
  id: number; subject: string; status: number; requester_id: number; description?: string; description_text?: string;
  created_at: string; updated_at: string; attachments?: FsAttachment[]; requester?: FsEmbeddedRequester; tags?: string[];
}
interface FsConversation {
  id: number; body: string; incoming: boolean; private: boolean; user_id: number; created_at: string; attachments?: FsAttachment[];
}

export interface FreshserviceOptions {
  url: string;
  apiKey: string;
  /** How long a call waits out 429s before its job goes back to the queue. */
  maxWaitMs?: number;
}

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
  readonly client: RestClient;
  /** Creates of one phone under way in this process: later callers share the first one's answer. */
  private readonly creating = new Map<string, Promise<HelpdeskContact>>();

  constructor(opts: FreshserviceOptions) {
    this.client = new RestClient({
      name: 'Freshservice',
      baseUrl: opts.url,
      authorization: 'Basic ' + Buffer.from(`${opts.apiKey}:X`).toString('base64'),
      maxWaitMs: opts.maxWaitMs,
    });
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
    const fields: Fields = {
      requester_id: input.requesterId, subject: input.subject, description: input.descriptionHtml,
      status: TO_FRESHSERVICE.open, priority: PRIORITY_LOW, source: SOURCE_PHONE, tags: input.tags ?? ['sms'],
    };
    const req = input.attachments.length ? { form: await multipart(fields, input.attachments) } : { json: fields };
    const { body } = await this.client.request<{ ticket: FsTicket }>('POST', '/api/v2/tickets', req);
    return { id: body.ticket.id };
  }

  async addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }> {
    const fields: Fields = { body: input.bodyHtml, incoming: input.incoming, private: input.private };
    if (input.authorId !== undefined) fields.user_id = input.authorId;
    const req = input.attachments.length ? { form: await multipart(fields, input.attachments) } : { json: fields };
    const { body } = await this.client.request<{ conversation: FsConversation }>('POST', `/api/v2/tickets/${ticketId}/notes`, req);
    return { id: body.conversation.id };
  }

  async setStatus(ticketId: number, status: TicketStatus): Promise<void> {
    await this.client.request('PUT', `/api/v2/tickets/${ticketId}`, { json: { status: TO_FRESHSERVICE[status] } });
  }

  async getTicketSummary(ticketId: number): Promise<TicketSummary | null> {
    const t = await this.fetchTicket(ticketId, ['requester']);
    return t ? summary(t) : null;
  }

  async ticketForEvent(ticketId: number): Promise<TicketEventView | null> {
    // Tags are left out of View a Ticket "by default … They can be retrieved via the embedding functionality".
    const t = await this.fetchTicket(ticketId, ['requester', 'tags']);
    if (!t) return null;
    const agentMessages = (await this.conversations(ticketId))
      .filter((c) => !c.incoming && !c.private && c.user_id !== t.requester_id)
      .map((c) => ({ id: c.id, bodyHtml: c.body, createdAt: new Date(c.created_at) }));
    return { summary: summary(t), tags: t.tags ?? [], agentMessages };
  }

  async getTicket(ticketId: number): Promise<HelpdeskTicket | null> {
    const t = await this.fetchTicket(ticketId, ['requester']);
    return t ? this.hydrate(t) : null;
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
    const listed = query.status ? body.tickets.filter((t) => status(t.status) === query.status) : body.tickets;
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
    for (const c of await this.conversations(ticketId)) if (c.body.includes(marker)) return { id: c.id };
    return null;
  }

  /** The list carries each ticket's description (View List of Tickets sample), newest first by default. */
  async findTicketWith(requesterId: number, marker: string): Promise<{ id: number } | null> {
    const { body } = await this.client.request<{ tickets: FsTicket[] }>('GET', '/api/v2/tickets', {
      query: { requester_id: requesterId, order_type: 'desc', per_page: 30 },
    });
    const found = body.tickets.find((t) => (t.description ?? '').includes(marker));
    return found ? { id: found.id } : null;
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

  /** Every conversation of a ticket, oldest first, following the `Link: <…>; rel="next"` pages (100 at most each). */
  private async conversations(ticketId: number): Promise<FsConversation[]> {
    const all: FsConversation[] = [];
    for (let page = 1; ; page++) {
      const { body, headers } = await this.client.request<{ conversations: FsConversation[] }>(
        'GET', `/api/v2/tickets/${ticketId}/conversations`, { query: { page, per_page: PAGE } },
      );
      all.push(...body.conversations);
      if (!/rel="next"/.test(headers.get('link') ?? '') || body.conversations.length === 0) return all;
    }
  }

  private async hydrate(t: FsTicket): Promise<HelpdeskTicket> {
    const notes = await this.conversations(t.id);
    return {
      id: t.id,
      subject: t.subject,
      status: status(t.status),
      requester: t.requester
        ? { id: t.requester.id, name: t.requester.name, phone: phoneOf(t.requester) }
        : { id: t.requester_id, name: '', phone: '' },
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

type Fields = Record<string, string | number | boolean | string[]>;

function summary(t: FsTicket): TicketSummary {
  return { id: t.id, status: status(t.status), requesterId: t.requester_id, requesterPhone: phoneOf(t.requester), updatedAt: new Date(t.updated_at) };
}

/** Statuses beyond 5 are an account's custom ones, all of them waiting on someone. */
function status(n: number): TicketStatus {
  return FROM_FRESHSERVICE[n] ?? 'pending';
}

/** The requester every caller settles on among those sharing a number: active before deactivated, then the oldest. */
function canonical(list: FsRequester[]): FsRequester | undefined {
  return [...list].sort((a, b) => Number(a.active === false) - Number(b.active === false) || a.id - b.id)[0];
}

function contact(r: FsRequester): HelpdeskContact {
  return { id: r.id, name: [r.first_name, r.last_name].filter(Boolean).join(' '), phone: r.mobile_phone_number ?? r.work_phone_number ?? '' };
}

function phoneOf(r: FsEmbeddedRequester | undefined): string {
  return r?.mobile ?? r?.phone ?? '';
}

function attachment(a: FsAttachment): HelpdeskAttachment {
  return { id: a.id ?? 0, filename: a.name, contentType: a.content_type, size: a.size, sha256: '', url: a.attachment_url };
}

/** Create a Ticket / Create a Note with attachments: multipart, arrays as `name[]`, each file as `attachments[]`. */
async function multipart(fields: Fields, files: AttachmentInput[]): Promise<FormData> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) for (const v of value) form.append(`${name}[]`, v);
    else form.append(name, String(value));
  }
  for (const f of files) form.append('attachments[]', new Blob([new Uint8Array(await f.read())], { type: f.contentType }), f.filename);
  return form;
}
