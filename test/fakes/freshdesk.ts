import { FakeHelpdeskServer, paginate, type FakeFile, type FakeRequest, type FakeResponse } from './fake-helpdesk-server.ts';
import { badPage, bool, FakeFreshworks, now, stripTags, unknownParams, validation, type FieldError } from './freshworks-fake.ts';

/**
 * Freshdesk API v2 as its public documentation describes it, for tests: basic auth with the API key as user
 * and `X` as password; bare JSON objects and arrays; list filters checked (an unknown one is a 400);
 * 30 a page by default, 100 at most, `Link: <…>; rel="next"` when more follow; contacts' ids beyond 2^31;
 * a unique `mobile` (409 duplicate_value naming the contact); 20 MB of attachments per ticket; errors as
 * `{"description":"Validation failed","errors":[{field,message,code}]}`, 401/403 as `{code,message}`,
 * 404 with no body; X-RateLimit-Total/-Remaining/-Used-CurrentRequest; 429 with Retry-After. The search API
 * lags behind writes (`searchLagMs`), as Freshdesk's does by minutes. An automation rule "note added or reply
 * sent → trigger webhook" posts `{"freshdesk_webhook":{"ticket_id":…}}` with a custom header carrying the
 * shared secret.
 */
export interface FdContact { id: number; name: string; mobile: string | null; phone: string | null; email: string | null; created_at: string; updated_at: string }
export interface FdAttachment { id: number; name: string; content_type: string; size: number; attachment_url: string; created_at: string; updated_at: string }
export interface FdTicket {
  id: number; subject: string; description: string; description_text: string; status: number; priority: number; source: number;
  requester_id: number; tags: string[]; created_at: string; updated_at: string; attachments: FdAttachment[];
}
export interface FdConversation {
  id: number; ticket_id: number; body: string; body_text: string; incoming: boolean; private: boolean; user_id: number; source: number;
  created_at: string; updated_at: string; attachments: FdAttachment[];
}

export const FRESHDESK_AGENT_ID = 43000000900;
const ATTACHMENT_CAP = 20 * 1024 * 1024;
const CONTACT_FILTERS = new Set(['email', 'mobile', 'phone', 'company_id', 'state', 'updated_since', 'page', 'per_page']);
const TICKET_FILTERS = new Set(['filter', 'requester_id', 'email', 'company_id', 'updated_since', 'order_by', 'order_type', 'include', 'page', 'per_page']);
const SOURCE_NOTE = 2;
const SOURCE_REPLY = 0;

export class FakeFreshdesk extends FakeFreshworks<FdTicket, FdConversation> {
  readonly contacts = new Map<number, FdContact>();
  readonly files = new Map<number, FakeFile>();
  /** How long a new contact stays invisible to /api/v2/search/contacts. */
  searchLagMs = 120_000;
  private nextContact = 43000001001;
  private nextTicket = 1;
  private nextConversation = 43000500001;
  private nextAttachment = 43000900001;

  constructor(apiKey = 'fd-test-key') {
    super(apiKey, '/fd-attachments/');
  }

  /** An agent's public reply (or note) written in Freshdesk's UI; fires the webhook like the automation would. */
  agentReply(ticketId: number, html: string, opts: { private?: boolean; note?: boolean } = {}): FdConversation {
    const c = this.addConversation(ticketId, {
      body: html, incoming: false, private: opts.private ?? false, user_id: FRESHDESK_AGENT_ID, source: opts.note || opts.private ? SOURCE_NOTE : SOURCE_REPLY,
    }, []);
    this.fireTicketEvent(ticketId, opts.note || opts.private ? 'note_added' : 'reply_sent');
    return c;
  }

  protected async route(req: FakeRequest): Promise<FakeResponse | null> {
    const { method, path } = req;
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/fd-attachments\/(\d+)$/)) && method === 'GET') {
      const f = this.files.get(Number(m[1]));
      return f ? { status: 200, body: f.data, headers: { 'content-type': f.contentType } } : null;
    }
    if (path === '/api/v2/contacts' && method === 'GET') return this.listContacts(req);
    if (path === '/api/v2/contacts' && method === 'POST') return this.createContact(req);
    if (path === '/api/v2/search/contacts' && method === 'GET') return this.searchContacts(req);
    if (path === '/api/v2/tickets' && method === 'GET') return this.listTickets(req);
    if (path === '/api/v2/tickets' && method === 'POST') return this.createTicket(req);
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)$/))) {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return null;
      if (method === 'GET') return { status: 200, body: this.ticketView(t, (req.query.get('include') ?? '').split(',')) };
      if (method === 'PUT') return this.updateTicket(t, req);
    }
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)\/(notes|reply)$/)) && method === 'POST') {
      const t = this.tickets.get(Number(m[1]));
      return t ? this.createConversation(t, req, m[2] === 'reply') : null;
    }
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)\/conversations$/)) && method === 'GET') {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return null;
      return this.page(req, this.conversations.get(t.id) ?? [], `/api/v2/tickets/${t.id}/conversations`);
    }
    return null;
  }

  private listContacts(req: FakeRequest): FakeResponse {
    const bad = unknownParams(req.query, CONTACT_FILTERS) ?? badPage(req.query);
    if (bad) return bad;
    let list = [...this.contacts.values()];
    for (const field of ['mobile', 'phone', 'email'] as const) {
      const v = req.query.get(field);
      if (v !== null) list = list.filter((c) => c[field] === v);
    }
    return this.page(req, list, '/api/v2/contacts');
  }

  private createContact(req: FakeRequest): FakeResponse {
    const body = (req.json ?? {}) as Partial<FdContact>;
    const errors: FieldError[] = [];
    if (typeof body.name !== 'string' || !body.name) errors.push({ field: 'name', message: 'It should be a/an String', code: 'missing_field' });
    if (!body.email && !body.mobile && !body.phone) {
      errors.push({ field: 'requester_id', message: 'Please fill at least 1 of email, mobile, phone, twitter_id, unique_external_id fields', code: 'missing_field' });
    }
    if (errors.length) return validation(errors);
    const twin = [...this.contacts.values()].find((c) => (body.mobile && c.mobile === body.mobile) || (body.email && c.email === body.email));
    if (twin) {
      return {
        status: 409,
        body: { description: 'Validation failed', errors: [{ field: body.mobile ? 'mobile' : 'email', message: 'It should be a unique value', code: 'duplicate_value', additional_info: { user_id: twin.id } }] },
      };
    }
    const c: FdContact = { id: this.nextContact++, name: body.name!, mobile: body.mobile ?? null, phone: body.phone ?? null, email: body.email ?? null, created_at: now(), updated_at: now() };
    this.contacts.set(c.id, c);
    return { status: 201, body: c, headers: { location: `${this.url}/api/v2/contacts/${c.id}` } };
  }

  private searchContacts(req: FakeRequest): FakeResponse {
    const query = req.query.get('query') ?? '';
    const m = query.match(/^"(mobile|phone|email):'([^']*)'"$/);
    if (!m) return validation([{ field: 'query', message: "It should be of the form \"field:'value'\"", code: 'invalid_value' }]);
    const visible = [...this.contacts.values()].filter((c) => Date.now() - Date.parse(c.created_at) >= this.searchLagMs);
    const results = visible.filter((c) => c[m[1] as 'mobile'] === m[2]);
    return { status: 200, body: { results, total: results.length } };
  }

  private listTickets(req: FakeRequest): FakeResponse {
    const bad = unknownParams(req.query, TICKET_FILTERS) ?? badPage(req.query);
    if (bad) return bad;
    let list = [...this.tickets.values()];
    const requester = req.query.get('requester_id');
    if (requester !== null) list = list.filter((t) => t.requester_id === Number(requester));
    const orderBy = (req.query.get('order_by') ?? 'created_at') as 'created_at' | 'updated_at';
    const desc = (req.query.get('order_type') ?? 'desc') === 'desc';
    list.sort((a, b) => (a[orderBy] < b[orderBy] ? -1 : a[orderBy] > b[orderBy] ? 1 : a.id - b.id) * (desc ? -1 : 1));
    const include = (req.query.get('include') ?? '').split(',');
    // The list leaves the description out unless asked for.
    return this.page(req, list.map((t) => {
      const view = this.ticketView(t, include);
      if (!include.includes('description')) {
        delete (view as Partial<FdTicket>).description;
        delete (view as Partial<FdTicket>).description_text;
      }
      return view;
    }), '/api/v2/tickets');
  }

  private async createTicket(req: FakeRequest): Promise<FakeResponse> {
    const fields = await ticketFields(req);
    const errors: FieldError[] = [];
    const requester = this.contacts.get(Number(fields.requester_id));
    if (!requester) errors.push({ field: 'requester_id', message: 'There is no contact matching the given requester_id', code: 'invalid_value' });
    if (!fields.subject) errors.push({ field: 'subject', message: 'It should be a/an String', code: 'missing_field' });
    if (!fields.description) errors.push({ field: 'description', message: 'It should be a/an String', code: 'missing_field' });
    for (const f of ['status', 'priority', 'source'] as const) {
      if (fields[f] !== undefined && !Number.isInteger(Number(fields[f]))) errors.push({ field: f, message: 'It should be one of these values', code: 'invalid_value' });
    }
    const files = await FakeHelpdeskServer.files(req.form, 'attachments[]');
    if (files.reduce((n, f) => n + f.data.length, 0) > ATTACHMENT_CAP) errors.push(capError());
    if (errors.length) return validation(errors);
    const at = now();
    const t: FdTicket = {
      id: this.nextTicket++, subject: String(fields.subject), description: String(fields.description), description_text: stripTags(String(fields.description)),
      status: Number(fields.status ?? 2), priority: Number(fields.priority ?? 1), source: Number(fields.source ?? 2), requester_id: requester!.id,
      tags: fields.tags ?? [], created_at: at, updated_at: at, attachments: this.store(files),
    };
    this.tickets.set(t.id, t);
    this.conversations.set(t.id, []);
    return { status: 201, body: this.ticketView(t, []), headers: { location: `${this.url}/api/v2/tickets/${t.id}` } };
  }

  private updateTicket(t: FdTicket, req: FakeRequest): FakeResponse {
    const body = (req.json ?? {}) as { status?: unknown };
    if (body.status !== undefined && ![2, 3, 4, 5].includes(Number(body.status))) {
      return validation([{ field: 'status', message: 'It should be one of these values: 2,3,4,5', code: 'invalid_value' }]);
    }
    if (body.status !== undefined) t.status = Number(body.status);
    t.updated_at = now();
    this.fireTicketEvent(t.id, 'ticket_updated');
    return { status: 200, body: this.ticketView(t, []) };
  }

  private async createConversation(t: FdTicket, req: FakeRequest, reply: boolean): Promise<FakeResponse> {
    const fields = req.form ? Object.fromEntries([...req.form.entries()].filter(([, v]) => typeof v === 'string')) as Record<string, string> : (req.json ?? {}) as Record<string, unknown>;
    if (typeof fields.body !== 'string' || !fields.body) return validation([{ field: 'body', message: 'It should be a/an String', code: 'missing_field' }]);
    const userId = fields.user_id === undefined ? FRESHDESK_AGENT_ID : Number(fields.user_id);
    if (fields.user_id !== undefined && !this.contacts.has(userId) && userId !== FRESHDESK_AGENT_ID) {
      return validation([{ field: 'user_id', message: 'There is no contact or agent matching the given user_id', code: 'invalid_value' }]);
    }
    const files = await FakeHelpdeskServer.files(req.form, 'attachments[]');
    if (this.attachedBytes(t.id) + files.reduce((n, f) => n + f.data.length, 0) > ATTACHMENT_CAP) return validation([capError()]);
    const c = this.addConversation(t.id, {
      body: fields.body, incoming: reply ? false : bool(fields.incoming, false), private: reply ? false : bool(fields.private, true),
      user_id: userId, source: reply ? SOURCE_REPLY : SOURCE_NOTE,
    }, files);
    this.fireTicketEvent(t.id, reply ? 'reply_sent' : 'note_added');
    return { status: 201, body: c };
  }

  private addConversation(ticketId: number, c: Pick<FdConversation, 'body' | 'incoming' | 'private' | 'user_id' | 'source'>, files: FakeFile[]): FdConversation {
    const at = now();
    const conversation: FdConversation = { id: this.nextConversation++, ticket_id: ticketId, body_text: stripTags(c.body), created_at: at, updated_at: at, attachments: this.store(files), ...c };
    this.conversations.get(ticketId)!.push(conversation);
    this.tickets.get(ticketId)!.updated_at = at;
    return conversation;
  }

  private store(files: FakeFile[]): FdAttachment[] {
    return files.map((f) => {
      const id = this.nextAttachment++;
      this.files.set(id, f);
      return { id, name: f.filename, content_type: f.contentType, size: f.data.length, attachment_url: `${this.url}/fd-attachments/${id}`, created_at: now(), updated_at: now() };
    });
  }

  private ticketView(t: FdTicket, include: string[]): FdTicket & { requester?: Partial<FdContact> } {
    const view: FdTicket & { requester?: Partial<FdContact> } = { ...t, tags: [...t.tags], attachments: [...t.attachments] };
    if (include.includes('requester')) {
      const c = this.contacts.get(t.requester_id);
      if (c) view.requester = { id: c.id, name: c.name, email: c.email, mobile: c.mobile, phone: c.phone };
    }
    return view;
  }

  private page<T>(req: FakeRequest, items: T[], path: string): FakeResponse {
    const page = Number(req.query.get('page') ?? 1);
    const perPage = Number(req.query.get('per_page') ?? 30);
    const { items: slice, more } = paginate(items, page, perPage);
    const headers: Record<string, string> = {};
    if (more) {
      const next = new URLSearchParams(req.query);
      next.set('page', String(page + 1));
      headers.link = `<${this.url}${path}?${next}>; rel="next"`;
    }
    return { status: 200, body: slice, headers };
  }

  protected fireTicketEvent(ticketId: number, event: string): void {
    if (!this.webhook) return;
    this.fire(JSON.stringify({ freshdesk_webhook: { ticket_id: ticketId, triggered_event: event } }), { 'x-smsdesk-secret': this.webhook.secret });
  }
}

function capError(): FieldError {
  return { field: 'attachments', message: 'The cumulative attachment size must not exceed 20 MB', code: 'invalid_size' };
}

async function ticketFields(req: FakeRequest): Promise<Record<string, string | undefined> & { tags?: string[] }> {
  if (!req.form) {
    const j = (req.json ?? {}) as Record<string, unknown>;
    const out: Record<string, string | undefined> & { tags?: string[] } = {};
    for (const [k, v] of Object.entries(j)) if (k !== 'tags') out[k] = v === undefined || v === null ? undefined : String(v);
    if (Array.isArray(j.tags)) out.tags = j.tags.map(String);
    return out;
  }
  const out: Record<string, string | undefined> & { tags?: string[] } = {};
  for (const [k, v] of req.form.entries()) if (typeof v === 'string' && !k.endsWith('[]')) out[k] = v;
  out.tags = req.form.getAll('tags[]').filter((v): v is string => typeof v === 'string');
  return out;
}

