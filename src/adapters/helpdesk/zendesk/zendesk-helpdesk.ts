import {
  HelpdeskError, TicketClosed,
  type AddNoteInput, type AttachmentInput, type CreateTicketInput, type HelpdeskAttachment, type HelpdeskContact,
  type HelpdeskNote, type HelpdeskTicket, type TicketHeader, type RemoteHelpdesk, type TicketEventView, type TicketQuery, type TicketStatus,
  type TicketSummary,
} from '../../../ports/helpdesk.ts';
import { RestClient, type RestRequest, type RestResponse } from '../rest-client.ts';

/**
 * Zendesk's statuses: `new` and `open` wait on an agent, `pending` on the customer, `hold` on a third party,
 * `solved` may still be reopened by a reply, `closed` never changes again (a reply makes a follow-up ticket).
 * Custom ticket statuses still report one of these as `status`.
 */
type ZdStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
const FROM_ZENDESK: Record<ZdStatus, TicketStatus> = { new: 'open', open: 'open', pending: 'pending', hold: 'pending', solved: 'resolved', closed: 'closed' };
const TO_ZENDESK: Record<TicketStatus, ZdStatus> = { open: 'open', pending: 'pending', resolved: 'solved', closed: 'closed' };
/** Offset pagination's largest page. */
const PAGE = 100;

interface ZdUser { id: number; name: string; phone: string | null; external_id: string | null; role?: string }
interface ZdAttachment { id: number; file_name: string; content_url: string; content_type: string; size: number }
interface ZdTicket {
  id: number; subject: string | null; description: string; status: ZdStatus; requester_id: number; tags?: string[];
  created_at: string; updated_at: string; priority?: string | null;
}
interface ZdComment {
  id: number; author_id: number; body: string; html_body: string; public: boolean; created_at: string; attachments?: ZdAttachment[];
}
interface ZdAudit { id: number; events: { id: number; type: string }[] }
/** Zendesk's error body: `{"error":"RecordInvalid","description":"Record validation errors","details":{field:[{description}]}}`. */
interface ZdError { error?: string | { title?: string; message?: string }; description?: string; details?: Record<string, { description?: string }[]> }

export interface ZendeskOptions {
  /** https://acme.zendesk.com */
  url: string;
  /** The agent the API token acts as. */
  email: string;
  apiToken: string;
  /** How long a call waits out 429s before its job goes back to the queue. */
  maxWaitMs?: number;
}

/**
 * Zendesk Support API v2. An SMS contact is an end user whose `external_id` is smsdesk's phone key (E.164),
 * looked up with the exact `users/search?external_id=` (the general search API lags writes by minutes, so it
 * is never used) and created with `users/create_or_update`, which matches on `external_id` and so never makes
 * a twin. A ticket is created with its first comment written as the requester; a follow-up text is another
 * comment on the ticket (`PUT /tickets/:id`, the only way to add one) authored by the requester, and smsdesk's
 * own notes are comments by the API user. Files are uploaded first (`/uploads`, raw bytes, one token shared by
 * all the files of one comment) and attached by token. A closed ticket refuses every update: addNote throws
 * TicketClosed and the caller opens a follow-up ticket (`via_followup_source_id`).
 * Auth: basic `{email}/token:{api_token}`.
 */
export class ZendeskHelpdesk implements RemoteHelpdesk {
  readonly name = 'zendesk' as const;
  /**
   * null: Zendesk caps each file (50 MB), not a ticket's total, so there is nothing to count per ticket. An MMS
   * is far below that; a file past it is refused by the upload and the call fails.
   */
  readonly attachmentCapBytes = null;
  /** Tickets from texts are created with priority low. */
  readonly createdPriority = 'low';
  readonly client: RestClient;

  constructor(opts: ZendeskOptions) {
    this.client = new RestClient({
      name: 'Zendesk',
      baseUrl: opts.url,
      authorization: 'Basic ' + Buffer.from(`${opts.email}/token:${opts.apiToken}`).toString('base64'),
      maxWaitMs: opts.maxWaitMs,
    });
  }

  get calls(): number {
    return this.client.calls;
  }

  async findContactByPhone(phone: string): Promise<HelpdeskContact | null> {
    const { body } = await this.client.request<{ users: ZdUser[] }>('GET', '/api/v2/users/search', { query: { external_id: phone } });
    // The external_id lookup is exact but case-insensitive; a phone key has no case, so any answer is the one.
    const found = body.users.find((u) => u.external_id === phone) ?? body.users[0];
    return found ? contact(found) : null;
  }

  async createContact(input: { phone: string; name: string }): Promise<HelpdeskContact> {
    // 201 created, 200 an existing user with that external_id (a concurrent create won the race): either way one
    // user. No `role`: a new user is an end user by default, and naming one would demote an agent who matched.
    const { body } = await this.client.request<{ user: ZdUser }>('POST', '/api/v2/users/create_or_update', {
      json: { user: { name: input.name, external_id: input.phone, phone: input.phone } },
    });
    return contact(body.user);
  }

  async createTicket(input: CreateTicketInput): Promise<{ id: number }> {
    const token = await this.upload(input.attachments);
    const ticket: Record<string, unknown> = {
      requester_id: input.requesterId,
      subject: input.subject,
      // The first comment is the description; written as the requester so Zendesk shows it as the customer's.
      comment: { html_body: input.descriptionHtml, author_id: input.requesterId, ...(token ? { uploads: [token] } : {}) },
      status: 'open',
      priority: 'low',
      // A follow-up inherits the closed ticket's tags unless tags are given; they always are.
      tags: input.tags ?? ['sms'],
    };
    if (input.followUpOf !== undefined) ticket.via_followup_source_id = input.followUpOf;
    const { body } = await this.client.request<{ ticket: ZdTicket }>('POST', '/api/v2/tickets', { json: { ticket } });
    return { id: body.ticket.id };
  }

  async addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }> {
    const token = await this.upload(input.attachments);
    const comment: Record<string, unknown> = {
      html_body: input.bodyHtml,
      // Always explicit: otherwise a comment takes the visibility of the ticket's first one.
      public: !input.private,
      ...(input.authorId !== undefined ? { author_id: input.authorId } : {}),
      ...(token ? { uploads: [token] } : {}),
    };
    const res = await this.update<{ ticket: ZdTicket; audit?: ZdAudit }>(ticketId, { comment });
    // The ticket in the answer does not name the comment; the audit of this update does.
    const event = res.body.audit?.events.find((e) => e.type === 'Comment' || e.type === 'VoiceComment');
    if (!event) throw new HelpdeskError('Zendesk', `PUT /api/v2/tickets/${ticketId} answered without the comment's audit event`, res.status);
    return { id: event.id };
  }

  async setStatus(ticketId: number, status: TicketStatus): Promise<void> {
    try {
      await this.update(ticketId, { status: TO_ZENDESK[status] });
    } catch (err) {
      // Closing a closed ticket: already done.
      if (err instanceof TicketClosed && status === 'closed') return;
      throw err;
    }
  }

  async getTicketSummary(ticketId: number): Promise<TicketSummary | null> {
    const found = await this.fetchTicket(ticketId);
    return found ? summary(found.ticket, found.requester) : null;
  }

  async ticketForEvent(ticketId: number): Promise<TicketEventView | null> {
    const found = await this.fetchTicket(ticketId);
    if (!found) return null;
    const { ticket } = found;
    // Agent messages: public comments after the description not written by the requester (smsdesk's own
    // public notes included, as the port asks; RecordedHelpdesk filters those out by id).
    const agentMessages = (await this.comments(ticketId)).slice(1)
      .filter((c) => c.public && c.author_id !== ticket.requester_id)
      .map((c) => ({ id: c.id, bodyHtml: c.html_body, createdAt: new Date(c.created_at) }));
    return { summary: summary(ticket, found.requester), tags: ticket.tags ?? [], agentMessages };
  }

  async getTicket(ticketId: number): Promise<HelpdeskTicket | null> {
    const found = await this.fetchTicket(ticketId);
    return found ? this.hydrate(found.ticket, found.requester) : null;
  }

  async getTicketHeader(ticketId: number): Promise<TicketHeader | null> {
    const found = await this.fetchTicket(ticketId);
    if (!found) return null;
    const { ticket: t, requester } = found;
    return {
      id: t.id, subject: t.subject ?? '', status: status(t.status),
      requester: requester ? contact(requester) : { id: t.requester_id, name: '', phone: '' },
      createdAt: new Date(t.created_at), updatedAt: new Date(t.updated_at),
    };
  }

  async listTickets(query: TicketQuery): Promise<HelpdeskTicket[]> {
    let path = '/api/v2/tickets';
    if (query.requesterPhone) {
      const c = await this.findContactByPhone(query.requesterPhone);
      if (!c) return [];
      path = `/api/v2/users/${c.id}/tickets/requested`;
    }
    const { body } = await this.client.request<{ tickets: ZdTicket[]; users?: ZdUser[] }>('GET', path, {
      query: { include: 'users', sort_by: 'updated_at', sort_order: 'desc', per_page: PAGE },
    });
    const users = new Map((body.users ?? []).map((u) => [u.id, u]));
    const tickets = query.status ? body.tickets.filter((t) => status(t.status) === query.status) : body.tickets;
    return Promise.all(tickets.map((t) => this.hydrate(t, users.get(t.requester_id))));
  }

  async listContacts(query: { phone?: string }): Promise<HelpdeskContact[]> {
    if (query.phone) {
      const c = await this.findContactByPhone(query.phone);
      return c ? [c] : [];
    }
    const { body } = await this.client.request<{ users: ZdUser[] }>('GET', '/api/v2/users', { query: { role: 'end-user', per_page: PAGE } });
    return body.users.map(contact);
  }

  async findNoteWith(ticketId: number, marker: string): Promise<{ id: number } | null> {
    // The first comment is the description, not a note.
    for (const c of (await this.comments(ticketId)).slice(1)) if (c.html_body.includes(marker) || c.body.includes(marker)) return { id: c.id };
    return null;
  }

  async findTicketWith(requesterId: number, marker: string): Promise<{ id: number } | null> {
    const res = await this.client.request<{ tickets: ZdTicket[] }>('GET', `/api/v2/users/${requesterId}/tickets/requested`, {
      query: { sort_by: 'created_at', sort_order: 'desc', per_page: 30 }, accept: [404],
    });
    if (res.status === 404) return null;
    // `description` is the first comment as plain text: the marker is text, so it survives.
    const found = res.body.tickets.find((t) => (t.description ?? '').includes(marker));
    return found ? { id: found.id } : null;
  }

  /** The ticket and its requester, in one call (`include=users` sideloads the users it names); null: none. */
  private async fetchTicket(ticketId: number): Promise<{ ticket: ZdTicket; requester: ZdUser | undefined } | null> {
    const res = await this.client.request<{ ticket: ZdTicket; users?: ZdUser[] }>('GET', `/api/v2/tickets/${ticketId}`, {
      query: { include: 'users' }, accept: [404],
    });
    if (res.status === 404) return null;
    const { ticket, users } = res.body;
    return { ticket, requester: users?.find((u) => u.id === ticket.requester_id) };
  }

  /**
   * `PUT /tickets/:id` with `{ticket: fields}`. A closed ticket answers 422 with
   * `details.status[].description` "Status: closed prevents ticket update": TicketClosed. Other refusals
   * become a HelpdeskError in Zendesk's words, the field details included.
   */
  private async update<T>(ticketId: number, fields: Record<string, unknown>): Promise<RestResponse<T>> {
    const path = `/api/v2/tickets/${ticketId}`;
    const res = await this.client.request<T | ZdError>('PUT', path, { json: { ticket: fields }, accept: [422] });
    if (res.status !== 422) return res as RestResponse<T>;
    const err = res.body as ZdError;
    if ((err.details?.status ?? []).some((d) => /closed prevents ticket update/i.test(d.description ?? ''))) throw new TicketClosed(ticketId);
    throw new HelpdeskError('Zendesk', `PUT ${path} answered 422: ${words(err)}`, 422);
  }

  /**
   * Uploads the files of one comment and returns their shared token (undefined: no files). The first upload
   * makes the token; each next one passes it (`token=`) to join the same upload, as Zendesk documents. One at
   * a time, since each needs the token of the first.
   */
  private async upload(files: AttachmentInput[]): Promise<string | undefined> {
    let token: string | undefined;
    for (const f of files) {
      const req: RestRequest = {
        query: { filename: f.filename, token },
        // Zendesk takes the bytes as the body and the file's type from Content-Type (not multipart).
        raw: { body: await f.read(), contentType: f.contentType || 'application/octet-stream' },
      };
      const { body } = await this.client.request<{ upload: { token: string } }>('POST', '/api/v2/uploads', req);
      token = body.upload.token;
    }
    return token;
  }

  /**
   * Every comment of a ticket, oldest first, following `next_page` (100 a page at most). None for a ticket
   * that does not exist (404).
   */
  private async comments(ticketId: number): Promise<ZdComment[]> {
    const all: ZdComment[] = [];
    let next: string | null = `/api/v2/tickets/${ticketId}/comments`;
    let req: RestRequest = { query: { sort_order: 'asc', per_page: PAGE }, accept: [404] };
    const seen = new Set<string>();
    while (next && !seen.has(next)) {
      seen.add(next);
      const res: RestResponse<{ comments: ZdComment[]; next_page: string | null }> =
        await this.client.request<{ comments: ZdComment[]; next_page: string | null }>('GET', next, req);
      if (res.status === 404) return all;
      all.push(...res.body.comments);
      // next_page is an absolute URL on the same origin, its query included (RestClient refuses other origins).
      next = res.body.comments.length ? res.body.next_page : null;
      req = {};
    }
    return all;
  }

  private async hydrate(t: ZdTicket, requester: ZdUser | undefined): Promise<HelpdeskTicket> {
    const [first, ...rest] = await this.comments(t.id);
    return {
      id: t.id,
      subject: t.subject ?? '',
      status: status(t.status),
      requester: requester ? contact(requester) : { id: t.requester_id, name: '', phone: '' },
      descriptionHtml: first?.html_body ?? t.description ?? '',
      notes: rest.map((c): HelpdeskNote => ({
        id: c.id, bodyHtml: c.html_body, incoming: c.author_id === t.requester_id, private: !c.public, createdAt: new Date(c.created_at),
        attachments: (c.attachments ?? []).map(attachment),
      })),
      // Zendesk puts files on comments only; the ticket's are its first comment's.
      attachments: (first?.attachments ?? []).map(attachment),
      createdAt: new Date(t.created_at),
      updatedAt: new Date(t.updated_at),
    };
  }
}

function summary(t: ZdTicket, requester: ZdUser | undefined): TicketSummary {
  return {
    id: t.id, status: status(t.status), requesterId: t.requester_id, requesterPhone: requester ? phoneOf(requester) : '', updatedAt: new Date(t.updated_at),
    ...(t.priority === undefined ? {} : { priority: t.priority }),
  };
}

function status(s: ZdStatus): TicketStatus {
  return FROM_ZENDESK[s] ?? 'open';
}

function contact(u: ZdUser): HelpdeskContact {
  return { id: u.id, name: u.name, phone: phoneOf(u) };
}

/** smsdesk keys its users by external_id (the phone); a user Zendesk knows otherwise may have only `phone`. */
function phoneOf(u: ZdUser): string {
  return u.external_id ?? u.phone ?? '';
}

function attachment(a: ZdAttachment): HelpdeskAttachment {
  return { id: a.id, filename: a.file_name, contentType: a.content_type, size: a.size, sha256: '', url: a.content_url };
}

/** Zendesk's own words for a refusal: its description and each field's details. */
function words(err: ZdError): string {
  const parts: string[] = [];
  if (typeof err.error === 'string') parts.push(err.error);
  else if (err.error) parts.push(...[err.error.title, err.error.message].filter((s): s is string => !!s));
  if (err.description) parts.push(err.description);
  for (const list of Object.values(err.details ?? {})) for (const d of list) if (d.description) parts.push(d.description);
  return parts.join('; ').slice(0, 500) || '(no body)';
}
