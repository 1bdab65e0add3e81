import { HelpdeskBusy, HelpdeskError } from '../../ports/helpdesk.ts';

/** The global setTimeout (not node:timers/promises), so tests can run a 429 pause on fake timers. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RestClientOptions {
  /** The helpdesk's name, in errors. */
  name: string;
  /** https://acme.freshdesk.com: every request goes to this origin, and only there carries the credentials. */
  baseUrl: string;
  /** The Authorization header value. */
  authorization: string;
  /** How long one call may wait out 429s in place before its job goes back to the queue instead. */
  maxWaitMs?: number;
  timeoutMs?: number;
  /** Calls in flight to this helpdesk at once. */
  concurrency?: number;
}

export interface RestResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RestRequest {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: FormData;
  /** A raw body sent as is with its own Content-Type (e.g. Zendesk's binary uploads). */
  raw?: { body: Uint8Array; contentType: string };
  /** Statuses answered to the caller instead of thrown (e.g. 404 for "no such ticket", 409 for a twin). */
  accept?: number[];
}

/** What the helpdesk said of its rate limit, last time it said anything. */
export interface RateLimitSeen {
  total: number | null;
  remaining: number | null;
}

/**
 * JSON over HTTPS to one helpdesk, as a good API citizen: a 429 pauses every call to that helpdesk until its
 * Retry-After (not just the one that got it), calls wait out such pauses in place up to `maxWaitMs`, and
 * beyond that throw HelpdeskBusy, which returns the job to the queue without spending an attempt (a storm of
 * 429s loses nothing and keeps each conversation's order, as the job keeps heading its key). Redirects are
 * not followed, so the credentials never leave the configured origin.
 */
export class RestClient {
  private pausedUntil = 0;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  readonly rateLimit: RateLimitSeen = { total: null, remaining: null };
  /** Calls made, 429s included: what the benchmark counts. */
  calls = 0;

  constructor(private readonly opts: RestClientOptions) {}

  async request<T>(method: string, path: string, req: RestRequest = {}): Promise<RestResponse<T>> {
    const url = new URL(path, this.opts.baseUrl);
    if (url.origin !== new URL(this.opts.baseUrl).origin) throw new Error(`${path} is not on ${this.opts.baseUrl}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const giveUpAt = Date.now() + (this.opts.maxWaitMs ?? 30_000);
    for (;;) {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) {
        if (this.pausedUntil > giveUpAt) throw new HelpdeskBusy(this.opts.name, new Date(this.pausedUntil));
        await sleep(wait);
        continue;
      }
      const res = await this.send(method, url, req);
      this.noteRateLimit(res.headers);
      if (res.status === 429) {
        const seconds = Number(res.headers.get('retry-after'));
        const until = Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
        this.pausedUntil = Math.max(this.pausedUntil, until);
        await res.body?.cancel().catch(() => undefined);
        continue;
      }
      const text = await res.text();
      const body = parseJson(text);
      if (res.ok || req.accept?.includes(res.status)) return { status: res.status, body: body as T, headers: res.headers };
      throw new HelpdeskError(this.opts.name, `${method} ${url.pathname} answered ${res.status}: ${describeError(body, text)}`, res.status);
    }
  }

  private async send(method: string, url: URL, req: RestRequest): Promise<Response> {
    await this.slot();
    this.calls++;
    try {
      const headers: Record<string, string> = { authorization: this.opts.authorization, accept: 'application/json' };
      let body: string | FormData | Uint8Array<ArrayBuffer> | undefined;
      if (req.raw) {
        headers['content-type'] = req.raw.contentType;
        body = new Uint8Array(req.raw.body);
      } else if (req.form) body = req.form;
      else if (req.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(req.json);
      }
      return await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) }).catch(
        (err: unknown) => {
          throw new HelpdeskError(this.opts.name, `${method} ${url.pathname} failed: ${err instanceof Error ? err.message : String(err)}`, null);
        },
      );
    } finally {
      this.release();
    }
  }

  private async slot(): Promise<void> {
    if (this.inFlight < (this.opts.concurrency ?? 4)) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  private noteRateLimit(headers: Headers): void {
    const num = (name: string) => {
      const v = headers.get(name);
      return v !== null && /^\d+$/.test(v) ? Number(v) : null;
    };
    const total = num('x-ratelimit-total') ?? num('x-rate-limit');
    const remaining = num('x-ratelimit-remaining') ?? num('x-rate-limit-remaining');
    if (total !== null) this.rateLimit.total = total;
    if (remaining !== null) this.rateLimit.remaining = remaining;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The helpdesk's own words: Freshdesk's {description, errors[{field, message}]}, Zendesk's {error, description, details}. */
function describeError(body: unknown, text: string): string {
  if (body && typeof body === 'object') {
    const b = body as { description?: unknown; message?: unknown; error?: unknown; errors?: { field?: string; message?: string }[] };
    const parts: string[] = [];
    for (const v of [b.description, b.message, typeof b.error === 'string' ? b.error : undefined]) if (typeof v === 'string') parts.push(v);
    if (Array.isArray(b.errors)) parts.push(...b.errors.map((e) => [e.field, e.message].filter(Boolean).join(': ')));
    if (parts.length) return parts.join('; ').slice(0, 500);
  }
  return text.slice(0, 200) || '(no body)';
}
