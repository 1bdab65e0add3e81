import { createHmac, randomBytes } from 'node:crypto';
import { basicAuth, FakeHelpdeskServer, paginate, type FakeFile, type FakeRequest, type FakeResponse } from './fake-helpdesk-server.ts';

/**
 * Zendesk Support API v2 as its public documentation describes it, for tests:
 * - basic auth `{email}/token:{api_token}` (401 `{"error":"Couldn't authenticate you"}`); paths with or
 *   without `.json`; wrapped JSON (`{"user":…}`, `{"tickets":[…]}`); offset pagination (`page`, `per_page`
 *   100 by default and at most) with absolute `next_page`/`previous_page` URLs and `count`;
 * - users: ids of 13 digits; `users/search?external_id=` exact (case-insensitive) and current; `/search` and
 *   `users/search?query=` lag behind writes (`searchLagMs`) as Zendesk's search index does by minutes;
 *   `users/create_or_update` matching on external_id or email, 201 created / 200 existing;
 * - uploads: `POST /uploads?filename=` with the raw bytes and their Content-Type, 201 `{"upload":{"token",…}}`,
 *   further files joining with `token=`; tokens last 60 minutes and are used up by the comment that takes them;
 *   each file served at its `content_url` without credentials; 50 MB a file;
 * - tickets: the first comment is the description (`description` its plain text); comments are added only by
 *   `PUT /tickets/:id` (`{"ticket":…,"audit":{"events":[{"type":"Comment","id":…}]}}`), public unless
 *   `public: false`, by the API user unless `author_id`; an end user's comment reopens a pending/on-hold/solved
 *   ticket; a closed ticket refuses every update (422 RecordInvalid, "Status: closed prevents ticket update");
 *   `via_followup_source_id` links a new ticket to a closed one (no effect for any other ticket, as documented)
 *   and the follow-up inherits its tags unless given;
 * - errors `{"error":"RecordInvalid","description":"Record validation errors","details":{field:[{description,error}]}}`,
 *   404 `{"error":"RecordNotFound","description":"Not found"}`; X-Rate-Limit/-Remaining and
 *   ratelimit-limit/-remaining/-reset; 429 with Retry-After and a plain-text body;
 * - a trigger "comment added or ticket updated → notify webhook" posts `{"ticket_id":"…","event":"…"}` signed
 *   with the webhook's signing secret: X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + body)),
 *   X-Zendesk-Webhook-Signature-Timestamp = the ISO-8601 timestamp.
 */
export type ZdStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
export interface ZdUser {
  id: number; url: string; name: string; email: string | null; phone: string | null; external_id: string | null;
  role: 'end-user' | 'agent' | 'admin'; active: boolean; created_at: string; updated_at: string;
}
export interface ZdAttachment {
  id: number; url: string; file_name: string; content_url: string; mapped_content_url: string; content_type: string; size: number;
  width: number | null; height: number | null; inline: boolean; deleted: boolean; thumbnails: never[];
}
export interface ZdComment {
  id: number; type: 'Comment'; author_id: number; body: string; html_body: string; plain_body: string; public: boolean;
  attachments: ZdAttachment[]; audit_id: number; via: { channel: string; source: { from: object; to: object; rel: string | null } };
  metadata: { system: object; custom: object }; created_at: string;
}
export interface ZdTicket {
  id: number; url: string; external_id: string | null; type: string | null; subject: string; raw_subject: string; description: string;
  priority: string | null; status: ZdStatus; requester_id: number; submitter_id: number; assignee_id: number | null;
  organization_id: number | null; group_id: number | null; tags: string[]; followup_ids: number[]; is_public: boolean;
  via: { channel: string; source: { from: Record<string, unknown>; to: Record<string, unknown>; rel: string | null } };
  created_at: string; updated_at: string;
}
interface Upload { token: string; createdAt: number; attachments: ZdAttachment[] }
interface CommentInput { body?: unknown; html_body?: unknown; public?: unknown; author_id?: unknown; uploads?: unknown }

/** The agent the API token belongs to: the default author of comments made through the API. */
export const ZENDESK_AGENT_ID = 1_800_000_000_001;
const STATUSES: readonly ZdStatus[] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
const FILE_CAP = 50 * 1024 * 1024;
const UPLOAD_TTL_MS = 60 * 60_000;

export class FakeZendesk extends FakeHelpdeskServer {
  readonly users = new Map<number, ZdUser>();
  readonly tickets = new Map<number, ZdTicket>();
  /** Each ticket's comments, oldest first; the first is the description. */
  readonly comments = new Map<number, ZdComment[]>();
  /** Bytes of every attachment, by attachment id. */
  readonly files = new Map<number, FakeFile>();
  /** Uploads not yet attached, by token. */
  readonly uploads = new Map<string, Upload>();
  /** How long a new record stays invisible to /api/v2/search and users/search?query=. */
  searchLagMs = 120_000;
  private readonly byContentToken = new Map<string, number>();
  private nextUser = 1_900_000_000_001;
  private nextTicket = 1;
  private nextEvent = 36_100_000_000_001;
  private nextAudit = 36_000_000_000_001;
  private nextAttachment = 27_100_000_000_001;
  /** When the current rate-limit window began (for ratelimit-reset). */
  private limitWindowStart = 0;

  constructor(readonly email = 'agent@acme.example', readonly apiToken = 'zd-test-token') {
    super();
    const at = now();
    this.users.set(ZENDESK_AGENT_ID, {
      id: ZENDESK_AGENT_ID, url: '', name: 'API Agent', email, phone: null, external_id: null, role: 'admin', active: true, created_at: at, updated_at: at,
    });
  }

  override async start(): Promise<this> {
    await super.start();
    for (const u of this.users.values()) u.url = this.apiUrl(`/api/v2/users/${u.id}`);
    return this;
  }

  /** An agent's comment written in Zendesk's UI (public unless `private`); fires the webhook like the trigger would. */
  agentReply(ticketId: number, html: string, opts: { private?: boolean } = {}): ZdComment {
    const t = this.tickets.get(ticketId);
    if (!t) throw new Error(`no ticket ${ticketId}`);
    if (t.status === 'closed') throw new Error(`ticket ${ticketId} is closed`);
    const c = this.addComment(t, { html: html, public: !opts.private, authorId: ZENDESK_AGENT_ID, attachments: [] }, this.nextAudit++);
    this.fireTicketEvent(ticketId, 'comment_added');
    return c;
  }

  /** An agent changes the status in Zendesk's UI; a closed ticket stays closed. */
  agentSetStatus(ticketId: number, status: 'open' | 'pending' | 'solved' | 'closed'): void {
    const t = this.tickets.get(ticketId);
    if (!t) throw new Error(`no ticket ${ticketId}`);
    if (t.status === 'closed') throw new Error(`ticket ${ticketId} is closed`);
    this.setStatus(t, status);
    t.updated_at = now();
    this.fireTicketEvent(ticketId, 'ticket_updated');
  }

  /** An agent changes the priority in the UI; the trigger fires. */
  agentSetPriority(ticketId: number, priority: 'low' | 'normal' | 'high' | 'urgent'): void {
    const t = this.tickets.get(ticketId)!;
    t.priority = priority;
    t.updated_at = now();
    this.fireTicketEvent(ticketId, 'ticket_updated');
  }

  /** The trigger's webhook is delivered again (Zendesk retries a delivery it thinks failed). */
  refire(ticketId: number): void {
    this.fireTicketEvent(ticketId, 'ticket_updated');
  }

  protected authorized(req: FakeRequest): boolean {
    // content_url is served to anyone holding its token (Zendesk's default, without private attachments).
    if (req.path.startsWith('/attachments/token/')) return true;
    const auth = basicAuth(req);
    return auth?.user === `${this.email}/token` && auth.password === this.apiToken;
  }

  protected unauthorized(): FakeResponse {
    return { status: 401, body: { error: "Couldn't authenticate you" } };
  }

  protected tooManyRequests(): FakeResponse {
    return { status: 429, body: 'Number of allowed API requests per minute exceeded', headers: { 'content-type': 'text/plain; charset=utf-8' } };
  }

  protected rateLimitHeaders(limit: number, remaining: number): Record<string, string> {
    const windowMs = 60_000 / (this.rateLimit?.timeScale ?? 1);
    const at = Date.now();
    // The base opens a new window on the call that leaves limit - 1 remaining.
    if (remaining === limit - 1 || at - this.limitWindowStart >= windowMs) this.limitWindowStart = at;
    const reset = String(Math.max(0, Math.ceil((this.limitWindowStart + windowMs - at) / 1000)));
    return {
      'x-rate-limit': String(limit), 'x-rate-limit-remaining': String(remaining),
      'ratelimit-limit': String(limit), 'ratelimit-remaining': String(remaining), 'ratelimit-reset': reset,
    };
  }

  protected notFound(): FakeResponse {
    return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
  }

  protected route(req: FakeRequest): FakeResponse | null {
    const { method } = req;
    // Zendesk answers every path with or without `.json`.
    const path = req.path.replace(/\.json$/, '');
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/attachments\/token\/([A-Za-z0-9]+)\/?$/)) && method === 'GET') {
      const id = this.byContentToken.get(m[1]!);
      const f = id === undefined ? undefined : this.files.get(id);
      return f ? { status: 200, body: f.data, headers: { 'content-type': f.contentType } } : null;
    }
    if (path === '/api/v2/users/search' && method === 'GET') return this.searchUsers(req);
    if (path === '/api/v2/users/create_or_update' && method === 'POST') return this.createOrUpdateUser(req);
    if (path === '/api/v2/users' && method === 'POST') return this.createUser(req);
    if (path === '/api/v2/users' && method === 'GET') {
      const role = req.query.get('role');
      return this.page(req, [...this.users.values()].filter((u) => !role || u.role === role), 'users', path);
    }
    if ((m = path.match(/^\/api\/v2\/users\/(\d+)$/)) && method === 'GET') {
      const u = this.users.get(Number(m[1]));
      return u ? { status: 200, body: { user: u } } : null;
    }
    if ((m = path.match(/^\/api\/v2\/users\/(\d+)\/tickets\/requested$/)) && method === 'GET') {
      const u = this.users.get(Number(m[1]));
      return u ? this.listTickets(req, [...this.tickets.values()].filter((t) => t.requester_id === u.id), path) : null;
    }
    if (path === '/api/v2/search' && method === 'GET') return this.search(req);
    if (path === '/api/v2/uploads' && method === 'POST') return this.upload(req);
    if (path === '/api/v2/tickets' && method === 'GET') return this.listTickets(req, [...this.tickets.values()], path);
    if (path === '/api/v2/tickets' && method === 'POST') return this.createTicket(req);
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)$/))) {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return null;
      if (method === 'GET') return { status: 200, body: { ticket: t, ...this.sideload(req, [t]) } };
      if (method === 'PUT') return this.updateTicket(t, req);
    }
    if ((m = path.match(/^\/api\/v2\/tickets\/(\d+)\/comments$/)) && method === 'GET') {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return null;
      const list = [...this.comments.get(t.id)!];
      if (req.query.get('sort_order') === 'desc') list.reverse();
      return this.page(req, list, 'comments', path);
    }
    return { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } };
  }

  private searchUsers(req: FakeRequest): FakeResponse {
    const externalId = req.query.get('external_id');
    if (externalId !== null) {
      // Exact, case-insensitive, and straight from the database: no index lag.
      const users = [...this.users.values()].filter((u) => u.external_id !== null && u.external_id.toLowerCase() === externalId.toLowerCase());
      return { status: 200, body: { users, next_page: null, previous_page: null, count: users.length } };
    }
    const query = req.query.get('query');
    if (query === null) return invalid({ query: [{ description: 'Query: cannot be blank', error: 'BlankValue' }] });
    const users = this.indexed([...this.users.values()]).filter((u) => matches(u as unknown as Record<string, unknown>, query));
    return { status: 200, body: { users, next_page: null, previous_page: null, count: users.length } };
  }

  /** The search API: `type:user|ticket` and `field:value` terms, over records older than `searchLagMs`. */
  private search(req: FakeRequest): FakeResponse {
    const query = req.query.get('query') ?? '';
    const type = query.match(/(?:^|\s)type:(user|ticket)\b/)?.[1];
    const rest = query.replace(/(?:^|\s)type:\w+/, '').trim();
    const pool: (Record<string, unknown> & { result_type: string })[] = [];
    if (type !== 'ticket') pool.push(...this.indexed([...this.users.values()]).map((u) => ({ ...u, result_type: 'user' })));
    if (type !== 'user') pool.push(...this.indexed([...this.tickets.values()]).map((t) => ({ ...t, result_type: 'ticket' })));
    const results = pool.filter((r) => matches(r, rest));
    return { status: 200, body: { results, facets: null, next_page: null, previous_page: null, count: results.length } };
  }

  private indexed<T extends { created_at: string }>(records: T[]): T[] {
    return records.filter((r) => Date.now() - Date.parse(r.created_at) >= this.searchLagMs);
  }

  private createOrUpdateUser(req: FakeRequest): FakeResponse {
    const input = userInput(req);
    const twin = [...this.users.values()].find((u) =>
      (input.external_id && u.external_id?.toLowerCase() === input.external_id.toLowerCase()) ||
      (input.email && u.email?.toLowerCase() === input.email.toLowerCase()));
    if (twin) {
      // Found: updated with what was given (external_id takes the case it was found with).
      if (input.name) twin.name = input.name;
      if (input.phone !== undefined) twin.phone = input.phone;
      if (input.external_id) twin.external_id = input.external_id;
      if (input.role === 'end-user' || input.role === 'agent' || input.role === 'admin') twin.role = input.role;
      twin.updated_at = now();
      return { status: 200, body: { user: twin }, headers: { location: this.apiUrl(`/api/v2/users/${twin.id}.json`) } };
    }
    return this.insertUser(input);
  }

  private createUser(req: FakeRequest): FakeResponse {
    const input = userInput(req);
    const details: Details = {};
    if (input.external_id && [...this.users.values()].some((u) => u.external_id?.toLowerCase() === input.external_id!.toLowerCase())) {
      details.external_id = [{ description: `External ID: ${input.external_id} has already been taken`, error: 'DuplicateValue' }];
    }
    if (input.email && [...this.users.values()].some((u) => u.email?.toLowerCase() === input.email!.toLowerCase())) {
      details.email = [{ description: `Email: ${input.email} is already being used by another user`, error: 'DuplicateValue' }];
    }
    return Object.keys(details).length ? invalid(details) : this.insertUser(input);
  }

  private insertUser(input: UserInput): FakeResponse {
    if (!input.name) return invalid({ name: [{ description: 'Name:  is too short (minimum is 1 character)', error: 'TooShort' }] });
    if (input.role && !['end-user', 'agent', 'admin'].includes(input.role)) return invalid({ role: [{ description: 'Role: is invalid', error: 'InvalidValue' }] });
    const at = now();
    const id = this.nextUser++;
    const u: ZdUser = {
      id, url: this.apiUrl(`/api/v2/users/${id}.json`), name: input.name, email: input.email ?? null, phone: input.phone ?? null,
      external_id: input.external_id ?? null, role: (input.role ?? 'end-user') as ZdUser['role'], active: true, created_at: at, updated_at: at,
    };
    this.users.set(id, u);
    return { status: 201, body: { user: u }, headers: { location: this.apiUrl(`/api/v2/users/${id}.json`) } };
  }

  private upload(req: FakeRequest): FakeResponse {
    const filename = req.query.get('filename');
    // Assumed wording: Zendesk's docs only say the parameter is required.
    if (!filename) return invalid({ filename: [{ description: 'Filename: cannot be blank', error: 'BlankValue' }] });
    if (req.raw.length > FILE_CAP) return invalid({ uploaded_data: [{ description: 'Uploaded data: attachment is larger than 50 MB', error: 'TooLarge' }] });
    const given = req.query.get('token');
    let upload: Upload | undefined;
    if (given) {
      upload = this.liveUpload(given);
      if (!upload) return this.notFound();
    } else {
      upload = { token: randomToken(), createdAt: Date.now(), attachments: [] };
      this.uploads.set(upload.token, upload);
    }
    const id = this.nextAttachment++;
    const contentToken = randomToken();
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim() || 'application/octet-stream';
    this.files.set(id, { field: 'uploaded_data', filename, contentType, data: req.raw });
    this.byContentToken.set(contentToken, id);
    const contentUrl = `${this.url}/attachments/token/${contentToken}/?name=${encodeURIComponent(filename)}`;
    const a: ZdAttachment = {
      id, url: this.apiUrl(`/api/v2/attachments/${id}.json`), file_name: filename, content_url: contentUrl, mapped_content_url: contentUrl,
      content_type: contentType, size: req.raw.length, width: null, height: null, inline: false, deleted: false, thumbnails: [],
    };
    upload.attachments.push(a);
    return {
      status: 201,
      body: { upload: { token: upload.token, expires_at: new Date(upload.createdAt + UPLOAD_TTL_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'), attachment: a, attachments: upload.attachments } },
    };
  }

  private liveUpload(token: string): Upload | undefined {
    const u = this.uploads.get(token);
    if (u && Date.now() - u.createdAt > UPLOAD_TTL_MS) {
      this.uploads.delete(token);
      return undefined;
    }
    return u;
  }

  private listTickets(req: FakeRequest, list: ZdTicket[], path: string): FakeResponse {
    const sortBy = req.query.get('sort_by') ?? 'id';
    if (!['id', 'created_at', 'updated_at', 'status', 'subject'].includes(sortBy)) {
      return { status: 400, body: { error: 'InvalidPaginationParameter', description: `sort_by is not valid: ${sortBy}` } };
    }
    const desc = req.query.get('sort_order') === 'desc';
    const key = sortBy as 'id' | 'created_at' | 'updated_at' | 'status' | 'subject';
    const sorted = [...list].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : a.id - b.id) * (desc ? -1 : 1));
    const res = this.page(req, sorted, 'tickets', path);
    const body = res.body as { tickets: ZdTicket[] };
    return { ...res, body: { ...body, ...this.sideload(req, body.tickets) } };
  }

  private createTicket(req: FakeRequest): FakeResponse {
    const input = ((req.json ?? {}) as { ticket?: Record<string, unknown> }).ticket ?? {};
    const comment = (input.comment ?? {}) as CommentInput;
    const details: Details = {};
    const requesterId = Number(input.requester_id ?? ZENDESK_AGENT_ID);
    if (!this.users.has(requesterId)) details.requester = [{ description: 'Requester: is invalid', error: 'InvalidValue' }];
    const text = commentHtml(comment);
    if (text === null) details.description = [{ description: 'Description: cannot be blank', error: 'BlankValue' }];
    const status = (input.status ?? 'new') as ZdStatus;
    if (!STATUSES.includes(status)) details.status = [{ description: `Status: ${String(input.status)} is not valid`, error: 'InvalidValue' }];
    if (input.priority != null && !PRIORITIES.includes(String(input.priority))) details.priority = [{ description: 'Priority: is invalid', error: 'InvalidValue' }];
    const authorId = comment.author_id === undefined ? ZENDESK_AGENT_ID : Number(comment.author_id);
    if (!this.users.has(authorId)) details.author = [{ description: 'Author: is invalid', error: 'InvalidValue' }];
    if (Object.keys(details).length) return invalid(details);
    // Documented: "The parameter only works with closed tickets. It has no effect with other tickets."
    const source = input.via_followup_source_id === undefined ? undefined : this.tickets.get(Number(input.via_followup_source_id));
    const followUp = source?.status === 'closed' ? source : undefined;
    const at = now();
    const id = this.nextTicket++;
    const subject = typeof input.subject === 'string' && input.subject ? input.subject : stripTags(text!).slice(0, 80);
    const t: ZdTicket = {
      id, url: this.apiUrl(`/api/v2/tickets/${id}.json`), external_id: null, type: null, subject, raw_subject: subject, description: '',
      priority: input.priority == null ? null : String(input.priority), status: 'new', requester_id: requesterId, submitter_id: authorId,
      assignee_id: null, organization_id: null, group_id: null,
      tags: Array.isArray(input.tags) ? unique(input.tags.map(String)) : followUp ? [...followUp.tags] : [],
      followup_ids: [], is_public: bool(comment.public, true),
      via: followUp
        ? { channel: 'api', source: { from: { ticket_id: followUp.id, subject: followUp.subject }, to: {}, rel: 'follow_up' } }
        : { channel: 'api', source: { from: {}, to: {}, rel: null } },
      created_at: at, updated_at: at,
    };
    this.setStatus(t, status);
    this.tickets.set(id, t);
    this.comments.set(id, []);
    const auditId = this.nextAudit++;
    const c = this.addComment(t, { html: text!, public: t.is_public, authorId, attachments: this.takeUploads(comment.uploads) }, auditId);
    t.description = c.plain_body;
    followUp?.followup_ids.push(id);
    return {
      status: 201,
      body: { ticket: t, audit: this.audit(auditId, t, authorId, [commentEvent(c), change('status', t.status, null)]) },
      headers: { location: this.apiUrl(`/api/v2/tickets/${id}.json`) },
    };
  }

  private updateTicket(t: ZdTicket, req: FakeRequest): FakeResponse {
    if (t.status === 'closed') {
      return invalid({ status: [{ description: 'Status: closed prevents ticket update' }] });
    }
    const input = ((req.json ?? {}) as { ticket?: Record<string, unknown> }).ticket ?? {};
    const details: Details = {};
    const status = input.status === undefined ? undefined : (String(input.status) as ZdStatus);
    if (status !== undefined && !STATUSES.includes(status)) details.status = [{ description: `Status: ${status} is not valid`, error: 'InvalidValue' }];
    if (status === 'new' && t.status !== 'new') details.status = [{ description: 'Status: cannot be changed back to new', error: 'InvalidValue' }];
    const comment = input.comment as CommentInput | undefined;
    const text = comment ? commentHtml(comment) : null;
    if (comment && text === null) details.comment = [{ description: 'Comment: cannot be blank', error: 'BlankValue' }];
    const authorId = comment?.author_id === undefined ? ZENDESK_AGENT_ID : Number(comment.author_id);
    if (comment && !this.users.has(authorId)) details.author = [{ description: 'Author: is invalid', error: 'InvalidValue' }];
    if (Object.keys(details).length) return invalid(details);
    const auditId = this.nextAudit++;
    const events: object[] = [];
    const before = t.status;
    if (comment) {
      const c = this.addComment(t, { html: text!, public: bool(comment.public, true), authorId, attachments: this.takeUploads(comment.uploads) }, auditId);
      events.push(commentEvent(c));
      // Zendesk's rule: an end user's comment reopens a pending, on-hold or solved ticket.
      if (status === undefined && this.users.get(authorId)?.role === 'end-user' && ['pending', 'hold', 'solved'].includes(t.status)) this.setStatus(t, 'open');
    }
    if (status !== undefined) this.setStatus(t, status);
    if (t.status !== before) events.push(change('status', t.status, before));
    if (Array.isArray(input.tags)) t.tags = unique(input.tags.map(String));
    t.updated_at = now();
    this.fireTicketEvent(t.id, comment ? 'comment_added' : 'ticket_updated');
    return { status: 200, body: { ticket: t, audit: this.audit(auditId, t, ZENDESK_AGENT_ID, events) } };
  }

  /** Solving needs an assignee: like "auto-assign tickets upon solve", the API agent becomes it. */
  private setStatus(t: ZdTicket, status: ZdStatus): void {
    t.status = status;
    if ((status === 'solved' || status === 'closed') && t.assignee_id === null) t.assignee_id = ZENDESK_AGENT_ID;
  }

  private addComment(t: ZdTicket, c: { html: string; public: boolean; authorId: number; attachments: ZdAttachment[] }, auditId: number): ZdComment {
    const plain = stripTags(c.html);
    const comment: ZdComment = {
      id: this.nextEvent++, type: 'Comment', author_id: c.authorId, body: plain, plain_body: plain,
      // Zendesk wraps what it stores in its own comment block.
      html_body: `<div class="zd-comment" dir="auto">${c.html}</div>`,
      public: c.public, attachments: c.attachments, audit_id: auditId,
      via: { channel: 'api', source: { from: {}, to: {}, rel: null } }, metadata: { system: {}, custom: {} }, created_at: now(),
    };
    this.comments.get(t.id)!.push(comment);
    if (c.public) t.is_public = true;
    t.updated_at = comment.created_at;
    return comment;
  }

  /** The attachments of the uploads named, which a comment uses up; unknown or expired tokens are ignored. */
  private takeUploads(tokens: unknown): ZdAttachment[] {
    if (!Array.isArray(tokens)) return [];
    const out: ZdAttachment[] = [];
    for (const token of tokens.map(String)) {
      const u = this.liveUpload(token);
      if (!u) continue;
      out.push(...u.attachments);
      this.uploads.delete(token);
    }
    return out;
  }

  private audit(id: number, t: ZdTicket, authorId: number, events: object[]): object {
    return {
      id, ticket_id: t.id, created_at: t.updated_at, author_id: authorId, metadata: { system: {}, custom: {} },
      via: { channel: 'api', source: { from: {}, to: {}, rel: null } }, events,
    };
  }

  /** `include=users`: the users the tickets name, alongside them. */
  private sideload(req: FakeRequest, tickets: ZdTicket[]): { users?: ZdUser[] } {
    if (!(req.query.get('include') ?? '').split(',').includes('users')) return {};
    const ids = new Set(tickets.flatMap((t) => [t.requester_id, t.submitter_id, t.assignee_id].filter((id): id is number => id !== null)));
    return { users: [...ids].map((id) => this.users.get(id)).filter((u): u is ZdUser => !!u) };
  }

  /** Offset pagination: `page` from 1, `per_page` 100 by default and at most, absolute next/previous URLs. */
  private page<T>(req: FakeRequest, items: T[], key: string, path: string): FakeResponse {
    const page = Math.max(1, Math.floor(Number(req.query.get('page') ?? 1)) || 1);
    const perPage = Math.min(100, Math.max(1, Math.floor(Number(req.query.get('per_page') ?? 100)) || 100));
    const { items: slice, more } = paginate(items, page, perPage);
    const link = (p: number) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return this.apiUrl(`${path}.json?${q}`);
    };
    return { status: 200, body: { [key]: slice, next_page: more ? link(page + 1) : null, previous_page: page > 1 ? link(page - 1) : null, count: items.length } };
  }

  private apiUrl(path: string): string {
    return `${this.url}${path}`;
  }

  private fireTicketEvent(ticketId: number, event: string): void {
    if (!this.webhook) return;
    const body = JSON.stringify({ ticket_id: String(ticketId), event });
    const timestamp = now();
    const signature = createHmac('sha256', this.webhook.secret).update(timestamp + body).digest('base64');
    this.fire(body, { 'x-zendesk-webhook-signature': signature, 'x-zendesk-webhook-signature-timestamp': timestamp });
  }
}

type Details = Record<string, { description: string; error?: string }[]>;
interface UserInput { name?: string; email?: string; phone?: string | null; external_id?: string; role?: string }

function invalid(details: Details): FakeResponse {
  return { status: 422, body: { error: 'RecordInvalid', description: 'Record validation errors', details } };
}

function userInput(req: FakeRequest): UserInput {
  const u = ((req.json ?? {}) as { user?: Record<string, unknown> }).user ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);
  return { name: str(u.name), email: str(u.email), phone: u.phone === null ? null : str(u.phone), external_id: str(u.external_id), role: str(u.role) };
}

/** The comment's HTML (`html_body`, else `body` as text); null when blank. */
function commentHtml(c: CommentInput): string | null {
  if (typeof c.html_body === 'string' && c.html_body.trim()) return c.html_body;
  if (typeof c.body === 'string' && c.body.trim()) return `<p>${escapeHtml(c.body).replace(/\n/g, '<br>')}</p>`;
  return null;
}

function commentEvent(c: ZdComment): object {
  return { id: c.id, type: 'Comment', author_id: c.author_id, body: c.body, html_body: c.html_body, plain_body: c.plain_body, public: c.public, attachments: c.attachments, audit_id: c.audit_id };
}

function change(field: string, value: string, previous: string | null): object {
  return { id: 0, type: previous === null ? 'Create' : 'Change', field_name: field, value, ...(previous === null ? {} : { previous_value: previous }) };
}

/** `field:value` terms and bare words, every one matching (a loose stand-in for Zendesk's search syntax). */
function matches(record: Record<string, unknown>, query: string): boolean {
  return query.split(/\s+/).filter(Boolean).every((term) => {
    const m = term.match(/^(\w+):"?([^"]*)"?$/);
    if (m) return String(record[m[1]!] ?? '').toLowerCase() === m[2]!.toLowerCase();
    return Object.values(record).some((v) => typeof v === 'string' && v.toLowerCase().includes(term.toLowerCase()));
  });
}

function bool(v: unknown, fallback: boolean): boolean {
  return v === undefined || v === null ? fallback : v === true || v === 'true';
}

function unique(tags: string[]): string[] {
  return [...new Set(tags)];
}

function randomToken(): string {
  return randomBytes(12).toString('hex');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
