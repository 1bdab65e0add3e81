import { basicAuth, FakeHelpdeskServer, type FakeRequest, type FakeResponse } from './fake-helpdesk-server.ts';

/**
 * What the Freshdesk and Freshservice fakes share, as both Freshworks APIs document it: basic auth with the API
 * key as user (any password), 401 `{code: "invalid_credentials", message}`, 404 with no body, 429 with
 * Retry-After, `X-RateLimit-Total/-Remaining/-Used-CurrentRequest`, and validation errors
 * `{"description":"Validation failed","errors":[{field,message,code}]}` (unknown list params and per_page
 * beyond 100 among them). Attachment URLs (pre-signed CDN links in the real products) need no auth.
 */
interface FwTicketState { status: number; priority: number; updated_at: string; attachments: { size: number }[] }

export abstract class FakeFreshworks<T extends FwTicketState, C extends { attachments: { size: number }[] }> extends FakeHelpdeskServer {
  readonly tickets = new Map<number, T>();
  readonly conversations = new Map<number, C[]>();

  constructor(
    readonly apiKey: string,
    /** Where the fake serves attachment bytes, e.g. `/fd-attachments/`. */
    private readonly attachmentPath: string,
  ) {
    super();
  }

  /** An agent changes the status in the product's UI (2 open … 5 closed); the automation fires. */
  agentSetStatus(ticketId: number, status: number): void {
    const t = this.tickets.get(ticketId)!;
    t.status = status;
    t.updated_at = now();
    this.fireTicketEvent(ticketId, 'ticket_updated');
  }

  /** An agent changes the priority (1 Low … 4 Urgent) in the UI; the automation fires "ticket updated". */
  agentSetPriority(ticketId: number, priority: 1 | 2 | 3 | 4): void {
    const t = this.tickets.get(ticketId)!;
    t.priority = priority;
    t.updated_at = now();
    this.fireTicketEvent(ticketId, 'ticket_updated');
  }

  /** The automation fires its last event for the ticket again (automations resend; deliveries repeat). */
  refire(ticketId: number): void {
    this.fireTicketEvent(ticketId, 'ticket_updated');
  }

  /** All bytes attached to a ticket, its notes' included. */
  attachedBytes(ticketId: number): number {
    const t = this.tickets.get(ticketId);
    if (!t) return 0;
    const all = [...t.attachments, ...(this.conversations.get(ticketId) ?? []).flatMap((c) => c.attachments)];
    return all.reduce((n, a) => n + a.size, 0);
  }

  /** The automation's webhook for an event on the ticket (each product words its payload). */
  protected abstract fireTicketEvent(ticketId: number, event: string): void;

  protected authorized(req: FakeRequest): boolean {
    if (req.path.startsWith(this.attachmentPath)) return true;
    return basicAuth(req)?.user === this.apiKey;
  }

  protected unauthorized(): FakeResponse {
    return { status: 401, body: { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' } };
  }

  protected tooManyRequests(): FakeResponse {
    return { status: 429, body: { message: 'You have exceeded the limit of requests per minute' } };
  }

  protected rateLimitHeaders(limit: number, remaining: number): Record<string, string> {
    return { 'x-ratelimit-total': String(limit), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-used-currentrequest': '1' };
  }

  protected notFound(): FakeResponse {
    return { status: 404 };
  }
}

export interface FieldError { field: string; message: string; code: string }

export function validation(errors: FieldError[]): FakeResponse {
  return { status: 400, body: { description: 'Validation failed', errors } };
}

export function invalidField(field: string): FieldError {
  return { field, message: 'Unexpected/invalid field in request', code: 'invalid_field' };
}

export function unknownParams(query: URLSearchParams, allowed: Set<string>): FakeResponse | null {
  const unknown = [...new Set(query.keys())].filter((k) => !allowed.has(k));
  return unknown.length ? validation(unknown.map(invalidField)) : null;
}

/** "The maximum number of objects that can be retrieved per page is 100. Invalid values and values greater than 100 will result in an error." */
export function badPage(query: URLSearchParams): FakeResponse | null {
  const perPage = Number(query.get('per_page') ?? 30);
  const page = Number(query.get('page') ?? 1);
  const errors: FieldError[] = [];
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) errors.push({ field: 'per_page', message: 'It should be a Positive Integer less than or equal to 100', code: 'invalid_value' });
  if (!Number.isInteger(page) || page < 1) errors.push({ field: 'page', message: 'It should be a Positive Integer', code: 'invalid_value' });
  return errors.length ? validation(errors) : null;
}

export function bool(v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  return v === true || v === 'true';
}

export function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Timestamps as the APIs write them: ISO 8601 to the second. */
export function now(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
