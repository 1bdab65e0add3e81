import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventLog, Hold, type WaitOptions } from '../../src/adapters/event-log.ts';

/**
 * What the three helpdesk fakes share: an HTTP server on 127.0.0.1, a log of calls, the helpdesk's rate limit
 * (calls per minute, optionally time-scaled so a minute passes in seconds) answered with 429 + Retry-After, a
 * storm of 429s on demand, and webhooks fired at smsdesk the way an automation rule would. Each fake says how
 * its helpdesk authenticates, words its errors and names its rate-limit headers. Requests and webhook deliveries
 * are awaitable (`waitForRequest`, `waitForDelivery`: the first match, earlier ones included, or a loud timeout),
 * and requests can be held until released (`hold`).
 */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: Buffer;
  /** The JSON body, when the request sent one. */
  json: unknown;
  /** The multipart body, when the request sent one. */
  form: FormData | null;
}

export interface FakeResponse {
  status: number;
  /** JSON-encoded unless a string or Buffer (sent as is) or undefined (no body). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeCall {
  method: string;
  path: string;
  status: number;
  /** Date.now() when it arrived (the fake clock's, when a test fakes it). */
  at: number;
  /** The request as the fake read it (body included). */
  request: FakeRequest;
}

export interface FakeFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface WebhookDelivery {
  status: number | null;
  body: string;
}

export abstract class FakeHelpdeskServer {
  private server: Server | null = null;
  url = '';
  private readonly callLog = new EventLog<FakeCall>('helpdesk fake requests', (c) => `${c.method} ${c.path} → ${c.status}`);
  /** Every request answered, oldest first. */
  readonly calls: readonly FakeCall[] = this.callLog.entries;
  /** Calls per (scaled) minute; null: unlimited. */
  rateLimit: { perMinute: number; timeScale: number } | null = null;
  private windowStart = 0;
  private windowUsed = 0;
  private stormLeft = 0;
  private stormRetryAfter = 1;
  /** Where events go (an automation rule's webhook); null: none configured. */
  webhook: { url: string; secret: string } | null = null;
  private readonly deliveryLog = new EventLog<WebhookDelivery>('helpdesk fake webhook deliveries', (d) => `${d.status}: ${d.body.slice(0, 200)}`);
  /** Every event posted to the webhook, with smsdesk's answer, oldest first. */
  readonly deliveries: readonly WebhookDelivery[] = this.deliveryLog.entries;
  private holds: { matches: (req: FakeRequest) => boolean; hold: Hold<FakeRequest> }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** 429s answered, storms and rate limit together. */
  throttled = 0;

  protected abstract authorized(req: FakeRequest): boolean;
  protected abstract unauthorized(): FakeResponse;
  protected abstract tooManyRequests(retryAfterSeconds: number): FakeResponse;
  protected abstract rateLimitHeaders(limit: number, remaining: number): Record<string, string>;
  /** null: no such route (404 in the helpdesk's words). */
  protected abstract route(req: FakeRequest): Promise<FakeResponse | null> | FakeResponse | null;
  protected abstract notFound(): FakeResponse;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  async close(): Promise<void> {
    for (const { hold } of this.holds) hold.release();
    this.callLog.close('the fake closed');
    this.deliveryLog.close('the fake closed');
    await this.settled();
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  /** The next `n` calls are answered 429 with `Retry-After: retryAfterSeconds`. */
  storm(n: number, retryAfterSeconds = 1): void {
    this.stormLeft = n;
    this.stormRetryAfter = retryAfterSeconds;
  }

  /** Calls made to paths matching `pattern` (method and path, e.g. /^POST \/api\/v2\/tickets$/). */
  count(pattern: RegExp): number {
    return this.calls.filter((c) => pattern.test(`${c.method} ${c.path}`)).length;
  }

  /** The first (or `count`-th) request answered that matches, earlier ones included; rejects loudly on timeout. */
  waitForRequest(predicate: (call: FakeCall) => boolean, opts?: WaitOptions): Promise<FakeCall> {
    return this.callLog.waitFor(predicate, opts);
  }

  /** The first (or `count`-th) webhook delivery that matches, once smsdesk answered it; earlier ones included. */
  waitForDelivery(predicate: (delivery: WebhookDelivery) => boolean, opts?: WaitOptions): Promise<WebhookDelivery> {
    return this.deliveryLog.waitFor(predicate, opts);
  }

  /** Position of the next request and delivery, for `since`. */
  cursors(): { requests: number; deliveries: number } {
    return { requests: this.callLog.cursor(), deliveries: this.deliveryLog.cursor() };
  }

  /** Requests matching `predicate` wait, unanswered, until `release()`: a test can have exactly N in flight. */
  hold(predicate: (req: FakeRequest) => boolean): { waitUntilHeld(n: number, opts?: Omit<WaitOptions, 'count'>): Promise<void>; release(): void } {
    const entry = { matches: predicate, hold: new Hold<FakeRequest>('held helpdesk requests', (r) => `${r.method} ${r.path}`) };
    this.holds.push(entry);
    return {
      waitUntilHeld: (n, opts) => entry.hold.waitUntilHeld(n, opts),
      release: () => {
        entry.hold.release();
        this.holds = this.holds.filter((h) => h !== entry);
      },
    };
  }

  /** Resolves when every webhook fired so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** Posts an event to the configured webhook, as the helpdesk's automation would (no retries). */
  protected fire(body: string, headers: Record<string, string>): void {
    const target = this.webhook;
    if (!target) return;
    const p = fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
      .then(async (res) => {
        this.deliveryLog.push({ status: res.status, body: await res.text() });
      })
      .catch((err: unknown) => {
        this.deliveryLog.push({ status: null, body: String(err) });
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** The files of a multipart body, as the helpdesk would store them. */
  protected static async files(form: FormData | null, field: string): Promise<FakeFile[]> {
    if (!form) return [];
    const out: FakeFile[] = [];
    for (const value of form.getAll(field)) {
      if (typeof value === 'string') continue;
      out.push({ field, filename: value.name, contentType: value.type || 'application/octet-stream', data: Buffer.from(await value.arrayBuffer()) });
    }
    return out;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');
    const type = String(req.headers['content-type'] ?? '');
    const request: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw, json: undefined, form: null };
    let answer: FakeResponse;
    try {
      if (type.startsWith('application/json') && raw.length) request.json = JSON.parse(raw.toString('utf8'));
      if (type.startsWith('multipart/form-data')) {
        request.form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
      }
      for (const { matches, hold } of this.holds) if (matches(request)) await hold.enter(request);
      answer = await this.answer(request);
    } catch (err) {
      answer = err instanceof SyntaxError ? { status: 400, body: { description: 'Invalid JSON', errors: [] } } : { status: 500, body: { message: String(err) } };
    }
    this.callLog.push({ method: request.method, path: request.path, status: answer.status, at, request });
    const headers: Record<string, string> = { ...answer.headers };
    let text: string | Buffer = '';
    if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) text = answer.body;
    else if (answer.body !== undefined) {
      text = JSON.stringify(answer.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    res.writeHead(answer.status, headers);
    res.end(text);
  }

  private async answer(req: FakeRequest): Promise<FakeResponse> {
    if (!this.authorized(req)) return this.unauthorized();
    if (this.stormLeft > 0) {
      this.stormLeft--;
      this.throttled++;
      return this.withRetryAfter(this.tooManyRequests(this.stormRetryAfter), this.stormRetryAfter);
    }
    let limitHeaders: Record<string, string> = {};
    if (this.rateLimit) {
      const windowMs = 60_000 / this.rateLimit.timeScale;
      const now = Date.now();
      if (now - this.windowStart >= windowMs) {
        this.windowStart = now;
        this.windowUsed = 0;
      }
      if (this.windowUsed >= this.rateLimit.perMinute) {
        this.throttled++;
        const retryAfter = Math.max(1, Math.ceil((this.windowStart + windowMs - now) / 1000));
        const r = this.tooManyRequests(retryAfter);
        return this.withRetryAfter({ ...r, headers: { ...r.headers, ...this.rateLimitHeaders(this.rateLimit.perMinute, 0) } }, retryAfter);
      }
      this.windowUsed++;
      limitHeaders = this.rateLimitHeaders(this.rateLimit.perMinute, this.rateLimit.perMinute - this.windowUsed);
    }
    const r = (await this.route(req)) ?? this.notFound();
    return { ...r, headers: { ...limitHeaders, ...r.headers } };
  }

  private withRetryAfter(r: FakeResponse, seconds: number): FakeResponse {
    return { ...r, status: 429, headers: { ...r.headers, 'retry-after': String(seconds) } };
  }
}

/**
 * That a storm of 429s paused the client: every call after the first 429 came at least `retryAfterMs` after it
 * (the calls' `at`, on the fake clock when a test fakes it), and some call did come after.
 */
export function expectPausedUntilRetryAfter(calls: readonly FakeCall[], retryAfterMs: number): void {
  const firstThrottled = calls.findIndex((c) => c.status === 429);
  if (firstThrottled < 0) throw new Error('no call was answered 429');
  const pauseFrom = calls[firstThrottled]!.at;
  let lastThrottled = firstThrottled;
  calls.forEach((c, i) => {
    if (c.status === 429) lastThrottled = i;
  });
  const resumed = calls.slice(lastThrottled + 1);
  if (resumed.length === 0) throw new Error('no call came after the 429s');
  const early = resumed.filter((c) => c.at - pauseFrom < retryAfterMs);
  if (early.length > 0) {
    throw new Error(`${early.length} call(s) came back within ${retryAfterMs} ms of the first 429: ${early.map((c) => `${c.method} ${c.path} at +${c.at - pauseFrom} ms`).join(', ')}`);
  }
}

/** Basic credentials of a request, if it sent any. */
export function basicAuth(req: FakeRequest): { user: string; password: string } | null {
  const header = String(req.headers.authorization ?? '');
  if (!header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** A page of `items` (1-based `page`, `perPage` of them) and whether another follows. */
export function paginate<T>(items: T[], page: number, perPage: number): { items: T[]; more: boolean } {
  const start = (page - 1) * perPage;
  return { items: items.slice(start, start + perPage), more: start + perPage < items.length };
}
