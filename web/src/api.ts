/**
 * The one way the console talks to smsdesk: same-origin fetch with the session cookie, JSON in and out,
 * `X-CSRF-Token` on every request that is not GET/HEAD, and `{"error": {"code", "message"}}` answers turned
 * into an ApiError whose message is what the user sees.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds from a Retry-After header (429), when there was one. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onSessionEnded: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when an API request answers 401: the session expired or was ended elsewhere. */
export function onUnauthorized(handler: (() => void) | null): void {
  onSessionEnded = handler;
}

export interface RequestOptions {
  /** A raw body (an upload) sent as is, with its own Content-Type. */
  raw?: Blob;
  contentType?: string;
  signal?: AbortSignal;
  /** Do not report a 401 as an ended session (sign-in and the first /auth/me). */
  quiet401?: boolean;
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, body, opts);
  if (res.status === 403 && method !== 'GET' && method !== 'HEAD') {
    // A stale CSRF token (the session was renewed in another tab): fetch the current one and try once more.
    const err = await readError(res.clone());
    if (err.code === 'csrf_token_invalid' && (await refreshCsrfToken())) {
      return finish<T>(await send(method, path, body, opts), opts);
    }
  }
  return finish<T>(res, opts);
}

export const get = <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts);
export const post = <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts);
export const patch = <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body, opts);
export const del = <T = void>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, undefined, opts);

/** Builds `path?a=1&b=2`, leaving out empty values; `+` in phone numbers is encoded as %2B. */
export function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

async function send(method: string, path: string, body: unknown, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (opts.raw) {
    payload = opts.raw;
    headers['Content-Type'] = opts.contentType || opts.raw.type || 'application/octet-stream';
  } else if (body !== undefined && method !== 'GET' && method !== 'HEAD') {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  try {
    return await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'Could not reach smsdesk. Check your connection, then retry.');
  }
}

async function finish<T>(res: Response, opts: RequestOptions): Promise<T> {
  if (res.ok) {
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'invalid_response', `smsdesk answered ${res.status} with something that is not JSON.`);
    }
  }
  const err = await readError(res);
  if (res.status === 401 && !opts.quiet401) onSessionEnded?.();
  throw err;
}

async function readError(res: Response): Promise<ApiError> {
  const retryHeader = res.headers.get('Retry-After');
  let retryAfter: number | null = null;
  if (retryHeader) {
    const seconds = Number(retryHeader);
    if (Number.isFinite(seconds)) retryAfter = Math.max(0, Math.ceil(seconds));
    else {
      const at = Date.parse(retryHeader);
      if (!Number.isNaN(at)) retryAfter = Math.max(0, Math.ceil((at - Date.now()) / 1000));
    }
  }
  let code = `http_${res.status}`;
  let message = `smsdesk answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
  try {
    const json = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (json && typeof json.error === 'object' && json.error) {
      if (typeof json.error.code === 'string') code = json.error.code;
      if (typeof json.error.message === 'string' && json.error.message) message = json.error.message;
    }
  } catch {
    // Not JSON (a proxy's error page): keep the status line.
  }
  return new ApiError(res.status, code, message, retryAfter);
}

async function refreshCsrfToken(): Promise<boolean> {
  try {
    const res = await fetch('/auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) return false;
    const me = (await res.json()) as { csrfToken?: string };
    if (!me.csrfToken) return false;
    csrfToken = me.csrfToken;
    return true;
  } catch {
    return false;
  }
}

/** Asks whether the session is still alive; a 401 ends it in the console (see onUnauthorized). */
export function checkSession(): void {
  get('/auth/me').catch(() => {
    // 401 is handled by finish(); anything else (offline) is left to the next request.
  });
}

/** A list from `{"<key>": [...]}` (the documented shape), or a bare array. */
export function listOf<T>(response: unknown, key: string): T[] {
  if (Array.isArray(response)) return response as T[];
  const value = (response as Record<string, unknown> | null | undefined)?.[key];
  return Array.isArray(value) ? (value as T[]) : [];
}

/** What to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || String(err);
  return String(err);
}

const recentlyRead = new Map<number, number>();

/** Marks a conversation read for the signed-in user; repeated calls within 2 s are sent once. */
export function markRead(ticketId: number): void {
  const now = Date.now();
  const last = recentlyRead.get(ticketId);
  if (last !== undefined && now - last < 2000) return;
  recentlyRead.set(ticketId, now);
  post<void>(`/api/v1/conversations/${ticketId}/read`).catch(() => {
    recentlyRead.delete(ticketId);
  });
}

/**
 * A link to a stored file for this page. smsdesk builds attachment URLs from PUBLIC_URL; when the console is
 * served from another origin (its own port), the same path on this origin carries the session cookie.
 */
export function localUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url, window.location.href);
    if (parsed.origin !== window.location.origin && /^\/api\/v1\/attachments\/\d+$/.test(parsed.pathname)) {
      return parsed.pathname;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
    return parsed.href;
  } catch {
    return null;
  }
}
