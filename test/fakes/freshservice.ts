import { FakeHelpdeskServer, paginate, type FakeFile, type FakeRequest, type FakeResponse } from './fake-helpdesk-server.ts';
import { badPage, bool, FakeFreshworks, invalidField, now, stripTags, unknownParams, validation, type FieldError } from './freshworks-fake.ts';

/**
 * Freshservice API v2 as its public documentation (https://api.freshservice.com/) describes it, for tests.
 * What the docs say, and this fake does:
 * - basic auth with the API key as user and any password; 401 `{code: "invalid_credentials", message}`
 *   ("Error Codes": invalid_credentials "Incorrect or missing API credentials"; access_denied is 403's);
 * - every body wrapped: `{"ticket":{…}}`, `{"tickets":[…]}`, `{"requester":{…}}`, `{"conversation":{…}}`;
 * - errors as `{"description":"Validation failed","errors":[{field,message,code}]}`; unknown fields and list
 *   filters are a 400 invalid_field ("requests containing a deprecated or invalid attribute");
 * - "Pagination": 30 a page by default, 100 at most (more is an error), `link: <…>; rel="next"` while more follow;
 * - "Rate limit": X-RateLimit-Total / -Remaining / -Used-CurrentRequest on every answer, 429 with Retry-After;
 * - List All Requesters filters exactly by email, mobile_phone_number, work_phone_number (sorted by first
 *   name); Filter Requesters (`?query="…"`) is an index that "may take a few minutes" to see a change, so it
 *   lags here by `searchLagMs` (Filter Tickets, `/api/v2/tickets/filter`, is given the same lag: assumed);
 * - a requester needs first_name and one of primary_email / work_phone_number / mobile_phone_number; only the
 *   email is unique (409 duplicate_value): the docs' own samples show two users sharing one mobile number;
 * - View a Ticket leaves tags (and conversations) out unless embedded (`include=tags`); `include=requester`
 *   embeds "id, name, mobile, phone"; the list returns only tickets created in the past 30 days unless
 *   `updated_since` is given, newest first (`order_type`);
 * - notes default to private; `incoming` "should appear as being created from the outside"; `user_id` is the
 *   agent/user adding it; 40 MB of attachments per ticket, its notes' included; a plain-text body comes back
 *   wrapped in a `<div>` (the samples);
 * - requester ids beyond 2^31 (the samples' 21000418006, 29002122436).
 * Assumed (the docs are silent): the wording of messages, a 404 with no body, the 429 body, the cap's error.
 * A Workflow Automator rule "note added / reply sent / ticket updated → Trigger Webhook" posts
 * `{"ticket_id":"<id>","triggered_event":"…"}` (the admin composes that JSON) with a custom header carrying
 * the shared secret.
 */
export interface FsRequester {
  id: number; first_name: string; last_name: string | null; job_title: string | null; primary_email: string | null;
  secondary_emails: string[]; work_phone_number: string | null; mobile_phone_number: string | null; department_ids: number[];
  is_agent: boolean; active: boolean; has_logged_in: boolean; time_zone: string; language: string; created_at: string; updated_at: string;
}
export interface FsAttachment { id: number; name: string; content_type: string; size: number; attachment_url: string; created_at: string; updated_at: string }
export interface FsTicket {
  id: number; subject: string; description: string; description_text: string; status: number; priority: number; source: number;
  type: string; requester_id: number; requested_for_id: number; responder_id: number | null; group_id: number | null;
  department_id: number | null; workspace_id: number; tags: string[]; cc_emails: string[]; fwd_emails: string[];
  reply_cc_emails: string[]; to_emails: string[] | null; spam: boolean; deleted: boolean; is_escalated: boolean;
  fr_escalated: boolean; due_by: string; fr_due_by: string; urgency: number; impact: number; category: string | null;
  sub_category: string | null; item_category: string | null; custom_fields: Record<string, unknown>;
  resolution_notes: string | null; resolution_notes_html: string | null; created_at: string; updated_at: string;
  attachments: FsAttachment[];
}
export interface FsConversation {
  id: number; ticket_id: number; body: string; body_text: string; incoming: boolean; private: boolean; user_id: number;
  source: number; support_email: string | null; to_emails: string[]; from_email: string | null; cc_emails: string[];
  bcc_emails: string[] | null; created_at: string; updated_at: string; attachments: FsAttachment[];
}

/** The agent whose API key the tests use (Freshservice writes notes without a user_id as that agent). */
export const FRESHSERVICE_AGENT_ID = 21000999001;
const ATTACHMENT_CAP = 40 * 1024 * 1024;
const REQUESTER_FILTERS = new Set(['email', 'mobile_phone_number', 'work_phone_number', 'active', 'include_agents', 'query', 'page', 'per_page']);
const TICKET_FILTERS = new Set(['filter', 'requester_id', 'email', 'updated_since', 'type', 'workspace_id', 'order_type', 'include', 'page', 'per_page']);
const TICKET_FIELDS = new Set([
  'requester_id', 'email', 'phone', 'name', 'subject', 'description', 'status', 'priority', 'source', 'type', 'tags', 'cc_emails',
  'responder_id', 'group_id', 'department_id', 'workspace_id', 'urgency', 'impact', 'category', 'sub_category', 'item_category',
  'due_by', 'fr_due_by', 'custom_fields', 'email_config_id', 'attachments',
]);
const NOTE_FIELDS = new Set(['body', 'incoming', 'notify_emails', 'private', 'user_id', 'attachments']);
const REPLY_FIELDS = new Set(['body', 'from_email', 'user_id', 'cc_emails', 'bcc_emails', 'attachments']);
const REQUESTER_FIELDS = new Set([
  'first_name', 'last_name', 'job_title', 'primary_email', 'secondary_emails', 'work_phone_number', 'mobile_phone_number',
  'department_ids', 'can_see_all_tickets_from_associated_departments', 'reporting_manager_id', 'address', 'time_zone',
  'time_format', 'language', 'location_id', 'background_information', 'custom_fields',
]);
const VIEW_INCLUDES = new Set(['conversations', 'requester', 'requested_for', 'stats', 'problem', 'assets', 'changes', 'related_tickets', 'tags', 'onboarding_context', 'offboarding_context']);
const LIST_INCLUDES = new Set(['stats', 'requester', 'requested_for', 'onboarding_context', 'offboarding_context']);
/** Ticket Properties: Email 1 … Slack 10, Chatbot 11, Workplace 12, Employee Onboarding 13, Alerts 14, MS Teams 15, Employee Offboarding 18. */
const SOURCES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18];
/** Conversation Properties: email 0, form 1, note 2, … */
const SOURCE_REPLY = 0;
const SOURCE_NOTE = 2;
const DAY = 86_400_000;

export class FakeFreshservice extends FakeFreshworks<FsTicket, FsConversation> {
  readonly requesters = new Map<number, FsRequester>();
  readonly files = new Map<number, FakeFile>();
  /** How long a change stays invisible to the `?query=` filters (Filter Requesters, Filter Tickets). */
  searchLagMs = 120_000;
  /** When each requester and ticket was last indexed (ms), for the lag. */
  private readonly indexedAt = new Map<string, number>();
  private nextRequester = 21000000001;
  private nextTicket = 1;
  private nextConversation = 21000500001;
  private nextAttachment = 21000900001;

  constructor(apiKey = 'fs-test-key') {
    super(apiKey, '/fs-attachments/');
  }

  /** An agent's public reply (or note) written in Freshservice's UI; fires the webhook like the workflow would. */
  agentReply(ticketId: number, html: string, opts: { private?: boolean; note?: boolean } = {}): FsConversation {
    const note = opts.note || opts.private;
    const c = this.addConversation(ticketId, {
      body: html, incoming: false, private: opts.private ?? false, user_id: FRESHSERVICE_AGENT_ID, source: note ? SOURCE_NOTE : SOURCE_REPLY,
    }, []);
    this.fireTicketEvent(ticketId, note ? 'note_added' : 'reply_sent');
    return c;
  }

  protected async route(req: FakeRequest): Promise<FakeResponse | null> {
    const r = await this.dispatch(req);
    return r && { ...r, headers: { 'x-freshservice-api-version': 'latest=v2; requested=v2', ...r.headers } };
  }

  private async dispatch(req: FakeRequest): Promise<FakeResponse | null> {
    const { method, path } = req;
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/fs-attachments\/(\d+)$/)) && method === 'GET') {
      const f = this.files.get(Number(m[1]));
      return f ? { status: 200, body: f.data, headers: { 'content-type': f.contentType } } : null;
    }
    if (!path.startsWith('/api/v2/')) return null;
    if (['POST', 'PUT'].includes(method) && req.raw.length && !req.form && req.json === undefined) {
      const type = String(req.headers['content-type'] ?? '');
      return { status: 415, body: { code: 'invalid_content_type', message: `Content-Type header is set to ${type}. It should be set to application/json` } };
    }
    if (path === '/api/v2/requesters') {
      if (method === 'GET') return req.query.has('query') ? this.filterRequesters(req) : this.listRequesters(req);
      if (method === 'POST') return this.createRequester(req);
      return { status: 405 };
    }
    if ((m = path.match(/^\/api\/v2\/requesters\/(\d+)(\/forget)?$/))) {
      const r = this.requesters.get(Number(m[1]));
      if (!r) return null;
      if (method === 'GET' && !m[2]) return { status: 200, body: { requester: r } };
      if (method === 'DELETE') return m[2] ? this.forgetRequester(r) : this.deactivateRequester(r);
      return { status: 405 };
    }
    if (path === '/api/v2/tickets') {
      if (method === 'GET') return this.listTickets(req);
      if (method === 'POST') return this.createTicket(req);
      return { status: 405 };
    }
    if (path === '/api/v2/tickets/filter' && method === 'GET') return this.filterTickets(req);
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)$/))) {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return null;
      if (method === 'GET') return this.viewTicket(t, req);
      if (method === 'PUT') return this.updateTicket(t, req);
      return { status: 405 };
    }
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)\/(notes|reply)$/)) && method === 'POST') {
      const t = this.tickets.get(Number(m[1]));
      return t ? this.createConversation(t, req, m[2] === 'reply') : null;
    }
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)\/conversations$/)) && method === 'GET') {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return null;
      return this.page(req, 'conversations', this.conversations.get(t.id) ?? [], `/api/v2/tickets/${t.id}/conversations`);
    }
    return null;
  }

  // Requesters

  private listRequesters(req: FakeRequest): FakeResponse {
    const bad = unknownParams(req.query, REQUESTER_FILTERS) ?? badPage(req.query);
    if (bad) return bad;
    let list = [...this.requesters.values()];
    const email = req.query.get('email');
    if (email !== null) list = list.filter((r) => r.primary_email === email || r.secondary_emails.includes(email));
    for (const field of ['mobile_phone_number', 'work_phone_number'] as const) {
      const v = req.query.get(field);
      if (v !== null) list = list.filter((r) => r[field] === v);
    }
    const active = req.query.get('active');
    if (active !== null) list = list.filter((r) => r.active === (active === 'true'));
    // "always sorted by the first name of the user"
    list.sort((a, b) => a.first_name.localeCompare(b.first_name) || a.id - b.id);
    return this.page(req, 'requesters', list, '/api/v2/requesters');
  }

  private filterRequesters(req: FakeRequest): FakeResponse {
    const bad = unknownParams(req.query, REQUESTER_FILTERS) ?? badQueryPage(req.query);
    if (bad) return bad;
    const match = parseQuery(req.query.get('query')!, (field) => ['first_name', 'last_name', 'name', 'job_title', 'primary_email', 'work_phone_number', 'mobile_phone_number', 'created_at', 'updated_at'].includes(field));
    if ('error' in match) return match.error;
    const visible = [...this.requesters.values()].filter((r) => this.indexed(`r${r.id}`));
    const results = visible
      .filter((r) => match.test((f) => (f === 'name' ? [r.first_name, r.last_name].filter(Boolean).join(' ') : (r as unknown as Record<string, unknown>)[f])))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id); // "sorted by created_at in descending order"
    return this.queryPage(req, 'requesters', results, '/api/v2/requesters');
  }

  private createRequester(req: FakeRequest): FakeResponse {
    const body = (req.json ?? {}) as Record<string, unknown>;
    const errors: FieldError[] = Object.keys(body).filter((k) => !REQUESTER_FIELDS.has(k)).map(invalidField);
    if (typeof body.first_name !== 'string' || !body.first_name) errors.push({ field: 'first_name', message: 'It should be a/an String', code: 'missing_field' });
    for (const f of ['primary_email', 'work_phone_number', 'mobile_phone_number', 'last_name'] as const) {
      if (body[f] !== undefined && body[f] !== null && typeof body[f] !== 'string') errors.push({ field: f, message: 'It should be a/an String', code: 'datatype_mismatch' });
    }
    if (!body.primary_email && !body.work_phone_number && !body.mobile_phone_number) {
      errors.push({ field: 'primary_email', message: 'Please fill at least 1 of primary_email, work_phone_number, mobile_phone_number fields', code: 'missing_field' });
    }
    if (errors.length) return validation(errors);
    const email = (body.primary_email as string | undefined) ?? null;
    if (email && [...this.requesters.values()].some((r) => r.primary_email === email || r.secondary_emails.includes(email))) {
      return { status: 409, body: { description: 'Validation failed', errors: [{ field: 'primary_email', message: 'It should be a unique value', code: 'duplicate_value' }] } };
    }
    const at = now();
    const r: FsRequester = {
      id: this.nextRequester++, first_name: body.first_name as string, last_name: (body.last_name as string | undefined) ?? null,
      job_title: (body.job_title as string | undefined) ?? null, primary_email: email, secondary_emails: (body.secondary_emails as string[] | undefined) ?? [],
      work_phone_number: (body.work_phone_number as string | undefined) ?? null, mobile_phone_number: (body.mobile_phone_number as string | undefined) ?? null,
      department_ids: [], is_agent: false, active: true, has_logged_in: false, time_zone: 'Eastern Time (US & Canada)', language: 'en', created_at: at, updated_at: at,
    };
    this.requesters.set(r.id, r);
    this.indexedAt.set(`r${r.id}`, Date.now());
    return { status: 201, body: { requester: r }, headers: { location: `${this.url}/api/v2/requesters/${r.id}` } };
  }

  private deactivateRequester(r: FsRequester): FakeResponse {
    r.active = false;
    r.updated_at = now();
    this.indexedAt.set(`r${r.id}`, Date.now());
    return { status: 204 };
  }

  /** "permanently delete a requester and the tickets that they requested" */
  private forgetRequester(r: FsRequester): FakeResponse {
    this.requesters.delete(r.id);
    for (const t of [...this.tickets.values()]) {
      if (t.requester_id !== r.id) continue;
      this.tickets.delete(t.id);
      this.conversations.delete(t.id);
    }
    return { status: 204 };
  }

  // Tickets

  private listTickets(req: FakeRequest): FakeResponse {
    const bad = unknownParams(req.query, TICKET_FILTERS) ?? badPage(req.query) ?? badIncludes(req.query, LIST_INCLUDES);
    if (bad) return bad;
    let list = [...this.tickets.values()].filter((t) => !t.deleted && !t.spam);
    const filter = req.query.get('filter');
    if (filter === 'deleted') list = [...this.tickets.values()].filter((t) => t.deleted);
    else if (filter === 'spam') list = [...this.tickets.values()].filter((t) => t.spam);
    const requester = req.query.get('requester_id');
    if (requester !== null) list = list.filter((t) => t.requester_id === Number(requester));
    const email = req.query.get('email');
    if (email !== null) list = list.filter((t) => this.requesters.get(t.requester_id)?.primary_email === email);
    const type = req.query.get('type');
    if (type !== null) list = list.filter((t) => t.type === type);
    const since = req.query.get('updated_since');
    if (since !== null) {
      const at = Date.parse(since);
      if (Number.isNaN(at)) return validation([{ field: 'updated_since', message: 'It should be in the \'valid date time\' format', code: 'invalid_value' }]);
      list = list.filter((t) => Date.parse(t.updated_at) >= at);
    } else {
      // "By default only tickets that have been created within the past 30 days will be returned."
      list = list.filter((t) => Date.now() - Date.parse(t.created_at) <= 30 * DAY);
    }
    const desc = (req.query.get('order_type') ?? 'desc') === 'desc';
    list.sort((a, b) => (a.created_at.localeCompare(b.created_at) || a.id - b.id) * (desc ? -1 : 1));
    const include = includes(req.query);
    // The list leaves tags out (its sample has none) and embeds the requester's "email, id, mobile, name, and phone".
    return this.page(req, 'tickets', list.map((t) => {
      const { tags: _tags, attachments: _attachments, ...rest } = this.ticketView(t, include);
      return rest;
    }), '/api/v2/tickets');
  }

  private filterTickets(req: FakeRequest): FakeResponse {
    const bad = unknownParams(req.query, new Set(['query', 'page', 'workspace_id'])) ?? badQueryPage(req.query);
    if (bad) return bad;
    const match = parseQuery(req.query.get('query')!, (field) => ['requester_id', 'email', 'agent_id', 'group_id', 'priority', 'status', 'impact', 'urgency', 'tag', 'created_at', 'updated_at'].includes(field));
    if ('error' in match) return match.error;
    const results = [...this.tickets.values()]
      .filter((t) => !t.deleted && this.indexed(`t${t.id}`))
      .filter((t) => match.test((f) => {
        if (f === 'tag') return t.tags;
        if (f === 'agent_id') return t.responder_id;
        if (f === 'email') return this.requesters.get(t.requester_id)?.primary_email ?? null;
        return (t as unknown as Record<string, unknown>)[f];
      }))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
    const r = this.queryPage(req, 'tickets', results.map((t) => this.ticketView(t, [])), '/api/v2/tickets/filter');
    return { ...r, body: { ...(r.body as object), total: results.length } };
  }

  private viewTicket(t: FsTicket, req: FakeRequest): FakeResponse {
    const bad = unknownParams(req.query, new Set(['include'])) ?? badIncludes(req.query, VIEW_INCLUDES);
    if (bad) return bad;
    const include = includes(req.query);
    const view: Record<string, unknown> = { ...this.ticketView(t, include) };
    // "By default, certain fields such as conversations, tags and requester email will not be included"
    if (!include.includes('tags')) delete view.tags;
    // "Will return up to ten conversations sorted by created_at in ascending order."
    if (include.includes('conversations')) view.conversations = (this.conversations.get(t.id) ?? []).slice(0, 10);
    return { status: 200, body: { ticket: view } };
  }

  private async createTicket(req: FakeRequest): Promise<FakeResponse> {
    const fields = await formOrJson(req);
    const errors: FieldError[] = Object.keys(fields).filter((k) => !TICKET_FIELDS.has(k)).map(invalidField);
    let requester: FsRequester | undefined;
    if (fields.requester_id !== undefined) {
      requester = this.requesters.get(Number(fields.requester_id));
      if (!requester) errors.push({ field: 'requester_id', message: 'There is no contact matching the given requester_id', code: 'invalid_value' });
    } else if (typeof fields.email === 'string') {
      // "If no contact exists with this email address in Freshservice, it will be added as a new contact."
      requester = [...this.requesters.values()].find((r) => r.primary_email === fields.email)
        ?? this.addRequester({ first_name: String(fields.name ?? fields.email.split('@')[0]), primary_email: fields.email });
    } else if (typeof fields.phone === 'string') {
      // "If the phone number is set and the email address is not, then the name attribute is mandatory."
      requester = [...this.requesters.values()].find((r) => r.work_phone_number === fields.phone || r.mobile_phone_number === fields.phone);
      if (!requester && typeof fields.name !== 'string') errors.push({ field: 'name', message: 'It should be a/an String', code: 'missing_field' });
      else requester ??= this.addRequester({ first_name: String(fields.name), work_phone_number: fields.phone });
    } else {
      errors.push({ field: 'requester_id', message: 'Please fill at least 1 of requester_id, email, phone fields', code: 'missing_field' });
    }
    if (!fields.subject) errors.push({ field: 'subject', message: 'It should be a/an String', code: 'missing_field' });
    if (!fields.description) errors.push({ field: 'description', message: 'It should be a/an String', code: 'missing_field' });
    errors.push(...choiceErrors(fields, { status: [2, 3, 4, 5], priority: [1, 2, 3, 4], source: SOURCES }, ['status', 'priority']));
    if (fields.tags !== undefined && !(Array.isArray(fields.tags) && fields.tags.every((v) => typeof v === 'string'))) {
      errors.push({ field: 'tags', message: 'It should be a/an Array', code: 'datatype_mismatch' });
    }
    const files = await FakeHelpdeskServer.files(req.form, 'attachments[]');
    if (files.reduce((n, f) => n + f.data.length, 0) > ATTACHMENT_CAP) errors.push(capError());
    if (errors.length || !requester) return validation(errors);
    const at = now();
    const description = html(String(fields.description));
    const t: FsTicket = {
      id: this.nextTicket++, subject: String(fields.subject), description, description_text: stripTags(description),
      status: Number(fields.status), priority: Number(fields.priority), source: Number(fields.source ?? 2), type: String(fields.type ?? 'Incident'),
      requester_id: requester.id, requested_for_id: requester.id, responder_id: null, group_id: null, department_id: null, workspace_id: 2,
      tags: (fields.tags as string[] | undefined) ?? [], cc_emails: [], fwd_emails: [], reply_cc_emails: [], to_emails: null,
      spam: false, deleted: false, is_escalated: false, fr_escalated: false, due_by: now(3 * DAY), fr_due_by: now(DAY),
      urgency: 1, impact: 1, category: null, sub_category: null, item_category: null, custom_fields: {},
      resolution_notes: null, resolution_notes_html: null, created_at: at, updated_at: at, attachments: this.store(files),
    };
    this.tickets.set(t.id, t);
    this.conversations.set(t.id, []);
    this.indexedAt.set(`t${t.id}`, Date.now());
    return { status: 201, body: { ticket: this.ticketView(t, []) }, headers: { location: `${this.url}/api/v2/tickets/${t.id}` } };
  }

  private async updateTicket(t: FsTicket, req: FakeRequest): Promise<FakeResponse> {
    const fields = await formOrJson(req);
    const errors: FieldError[] = Object.keys(fields).filter((k) => !TICKET_FIELDS.has(k)).map(invalidField);
    errors.push(...choiceErrors(fields, { status: [2, 3, 4, 5], priority: [1, 2, 3, 4], source: SOURCES }, []));
    const files = await FakeHelpdeskServer.files(req.form, 'attachments[]');
    if (this.attachedBytes(t.id) + files.reduce((n, f) => n + f.data.length, 0) > ATTACHMENT_CAP) errors.push(capError());
    if (errors.length) return validation(errors);
    if (fields.status !== undefined) t.status = Number(fields.status);
    if (fields.priority !== undefined) t.priority = Number(fields.priority);
    if (typeof fields.subject === 'string') t.subject = fields.subject;
    // "While updating tags, all the tags that need to stay associated with the Ticket should be provided"
    if (Array.isArray(fields.tags)) t.tags = fields.tags.map(String);
    t.attachments.push(...this.store(files));
    this.touch(t);
    this.fireTicketEvent(t.id, 'ticket_updated');
    return { status: 200, body: { ticket: this.ticketView(t, []) } };
  }

  // Conversations

  private async createConversation(t: FsTicket, req: FakeRequest, reply: boolean): Promise<FakeResponse> {
    const fields = await formOrJson(req);
    const errors: FieldError[] = Object.keys(fields).filter((k) => !(reply ? REPLY_FIELDS : NOTE_FIELDS).has(k)).map(invalidField);
    if (typeof fields.body !== 'string' || !fields.body) errors.push({ field: 'body', message: 'It should be a/an String', code: 'missing_field' });
    const userId = fields.user_id === undefined ? FRESHSERVICE_AGENT_ID : Number(fields.user_id);
    if (fields.user_id !== undefined && !this.requesters.has(userId) && userId !== FRESHSERVICE_AGENT_ID) {
      errors.push({ field: 'user_id', message: 'There is no contact or agent matching the given user_id', code: 'invalid_value' });
    }
    for (const f of ['incoming', 'private'] as const) {
      if (fields[f] !== undefined && !['true', 'false', true, false].includes(fields[f] as string | boolean)) {
        errors.push({ field: f, message: 'It should be a/an Boolean', code: 'datatype_mismatch' });
      }
    }
    const files = await FakeHelpdeskServer.files(req.form, 'attachments[]');
    if (this.attachedBytes(t.id) + files.reduce((n, f) => n + f.data.length, 0) > ATTACHMENT_CAP) errors.push(capError());
    if (errors.length) return validation(errors);
    const c = this.addConversation(t.id, {
      body: html(String(fields.body)),
      incoming: reply ? false : bool(fields.incoming, false),
      private: reply ? false : bool(fields.private, true), // "By default, any note that you add will be private."
      user_id: userId,
      source: reply ? SOURCE_REPLY : SOURCE_NOTE,
    }, files);
    this.fireTicketEvent(t.id, reply ? 'reply_sent' : 'note_added');
    // The create samples carry no `source`: only the conversation list (and include=conversations) does.
    const { source: _source, ...created } = c;
    return { status: 201, body: { conversation: created } };
  }

  private addConversation(ticketId: number, c: Pick<FsConversation, 'body' | 'incoming' | 'private' | 'user_id' | 'source'>, files: FakeFile[]): FsConversation {
    const at = now();
    const conversation: FsConversation = {
      id: this.nextConversation++, ticket_id: ticketId, body_text: stripTags(c.body), support_email: null, to_emails: [], from_email: null,
      cc_emails: [], bcc_emails: null, created_at: at, updated_at: at, attachments: this.store(files), ...c,
    };
    this.conversations.get(ticketId)!.push(conversation);
    this.touch(this.tickets.get(ticketId)!);
    return conversation;
  }

  // Helpers

  private addRequester(fields: Partial<FsRequester> & { first_name: string }): FsRequester {
    const at = now();
    const r: FsRequester = {
      id: this.nextRequester++, last_name: null, job_title: null, primary_email: null, secondary_emails: [], work_phone_number: null,
      mobile_phone_number: null, department_ids: [], is_agent: false, active: true, has_logged_in: false, time_zone: 'Eastern Time (US & Canada)',
      language: 'en', created_at: at, updated_at: at, ...fields,
    };
    this.requesters.set(r.id, r);
    this.indexedAt.set(`r${r.id}`, Date.now());
    return r;
  }

  private touch(t: FsTicket): void {
    t.updated_at = now();
    this.indexedAt.set(`t${t.id}`, Date.now());
  }

  private indexed(key: string): boolean {
    return Date.now() - (this.indexedAt.get(key) ?? 0) >= this.searchLagMs;
  }

  private store(files: FakeFile[]): FsAttachment[] {
    return files.map((f) => {
      const id = this.nextAttachment++;
      this.files.set(id, f);
      return { id, name: f.filename, content_type: f.contentType, size: f.data.length, attachment_url: `${this.url}/fs-attachments/${id}`, created_at: now(), updated_at: now() };
    });
  }

  private ticketView(t: FsTicket, include: string[]): FsTicket & { requester?: Record<string, unknown> } {
    const view: FsTicket & { requester?: Record<string, unknown> } = { ...t, tags: [...t.tags], attachments: [...t.attachments] };
    if (include.includes('requester')) {
      const r = this.requesters.get(t.requester_id);
      if (r) view.requester = { id: r.id, name: [r.first_name, r.last_name].filter(Boolean).join(' '), email: r.primary_email, mobile: r.mobile_phone_number, phone: r.work_phone_number };
    }
    return view;
  }

  private page(req: FakeRequest, key: string, items: unknown[], path: string): FakeResponse {
    const page = Number(req.query.get('page') ?? 1);
    const perPage = Number(req.query.get('per_page') ?? 30);
    return this.slice(req, key, items, path, page, perPage);
  }

  /** The `?query=` filters: 30 a page, pages 1 to 40. */
  private queryPage(req: FakeRequest, key: string, items: unknown[], path: string): FakeResponse {
    return this.slice(req, key, items, path, Number(req.query.get('page') ?? 1), 30);
  }

  private slice(req: FakeRequest, key: string, items: unknown[], path: string, page: number, perPage: number): FakeResponse {
    const { items: slice, more } = paginate(items, page, perPage);
    const headers: Record<string, string> = {};
    if (more) {
      const next = new URLSearchParams(req.query);
      next.set('page', String(page + 1));
      headers.link = `<${this.url}${path}?${next}>; rel="next"`;
    }
    return { status: 200, body: { [key]: slice }, headers };
  }

  protected fireTicketEvent(ticketId: number, event: string): void {
    if (!this.webhook) return;
    this.fire(JSON.stringify({ ticket_id: String(ticketId), triggered_event: event }), { 'x-smsdesk-secret': this.webhook.secret });
  }
}

function capError(): FieldError {
  return { field: 'attachments', message: "The total size of all the ticket's attachments cannot exceed 40 MB", code: 'invalid_size' };
}

/** Filter Requesters/Tickets: 30 a page, "The page number starts with 1 and should not exceed 40." */
function badQueryPage(query: URLSearchParams): FakeResponse | null {
  const page = Number(query.get('page') ?? 1);
  if (!Number.isInteger(page) || page < 1 || page > 40) return validation([{ field: 'page', message: 'It should be a Positive Integer less than or equal to 40', code: 'invalid_value' }]);
  return null;
}

function includes(query: URLSearchParams): string[] {
  return (query.get('include') ?? '').split(',').filter(Boolean);
}

function badIncludes(query: URLSearchParams, allowed: Set<string>): FakeResponse | null {
  const bad = includes(query).filter((i) => !allowed.has(i));
  return bad.length ? validation([{ field: 'include', message: `It should be one of these values: '${[...allowed].join(',')}'`, code: 'invalid_value' }]) : null;
}

function choiceErrors(fields: Record<string, unknown>, choices: Record<string, number[]>, required: string[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const [field, allowed] of Object.entries(choices)) {
    const v = fields[field];
    if (v === undefined) {
      if (required.includes(field)) errors.push({ field, message: `It should be one of these values: '${allowed.join(',')}'`, code: 'missing_field' });
    } else if (!allowed.includes(Number(v))) {
      errors.push({ field, message: `It should be one of these values: '${allowed.join(',')}'`, code: 'invalid_value' });
    }
  }
  return errors;
}

/**
 * A subset of Freshservice's filter language: `"a:'x' AND b:2 OR c:null"` (no parentheses, no :> / :<),
 * enclosed in double quotes, at most 512 characters.
 */
function parseQuery(raw: string, known: (field: string) => boolean):
  { test: (get: (field: string) => unknown) => boolean } | { error: FakeResponse } {
  const bad = (message: string, field = 'query') => ({ error: validation([{ field, message, code: 'invalid_value' }]) });
  if (!/^".*"$/s.test(raw) || raw.length > 514) return bad('Query string must be enclosed between a pair of double quotes and can have up to 512 characters');
  const disjuncts: { field: string; value: string | number | null }[][] = [];
  for (const part of raw.slice(1, -1).split(/\s+OR\s+/i)) {
    const conjunct: { field: string; value: string | number | null }[] = [];
    for (const cond of part.split(/\s+AND\s+/i)) {
      const m = cond.match(/^\s*(\w+)\s*:\s*(?:'([^']*)'|(-?\d+)|(null))\s*$/);
      if (!m) return bad(`Invalid query condition: ${cond.trim()}`);
      if (!known(m[1]!)) return bad('[:invalid_field]', m[1]);
      conjunct.push({ field: m[1]!, value: m[2] ?? (m[3] !== undefined ? Number(m[3]) : null) });
    }
    disjuncts.push(conjunct);
  }
  return {
    test: (get) => disjuncts.some((all) => all.every(({ field, value }) => {
      const actual = get(field);
      return Array.isArray(actual) ? actual.includes(value) : (actual ?? null) === value;
    })),
  };
}

/** The fields of a JSON or multipart body; multipart `x[]` entries gathered into an array `x` (files left out). */
async function formOrJson(req: FakeRequest): Promise<Record<string, unknown>> {
  if (!req.form) return { ...((req.json ?? {}) as Record<string, unknown>) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of req.form.entries()) {
    if (k.endsWith('[]')) {
      const name = k.slice(0, -2);
      if (name === 'attachments') out.attachments = true;
      else if (typeof v === 'string') ((out[name] ??= []) as string[]).push(v);
    } else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Freshservice wraps a plain-text body in a `<div>` (the samples: "Details about the issue..." → "<div>Details…</div>"). */
function html(body: string): string {
  return body.trimStart().startsWith('<') ? body : `<div>${body}</div>`;
}

