import type { TwilioAccount } from '../../config.ts';
import { MediaDownloadError } from '../../ports/media-download.ts';

export interface MediaDownloadOptions {
  /** Origin of Twilio's REST API (https://api.twilio.com, or TWILIO_API_BASE_URL's): the only one given credentials. */
  apiOrigin: string;
  account: TwilioAccount;
  maxBytes: number;
  /** Attempts for transient failures (404 while media propagates, 429, 5xx, network errors). */
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

export const DEFAULT_MEDIA_DOWNLOAD = { maxBytes: 25 * 1024 * 1024, attempts: 3, backoffMs: 500, timeoutMs: 30_000 };

// Defined in the port (use cases tell it apart); re-exported for the composition root.
export { MediaDownloadError };

const MAX_REDIRECTS = 5;

/**
 * Downloads one MediaUrl. Redirects are followed by hand so credentials go to Twilio's API origin only:
 * Twilio answers with a redirect to its CDN, which must get a request without Authorization.
 */
export async function downloadTwilioMedia(url: string, opts: MediaDownloadOptions): Promise<{ bytes: Buffer; contentType: string }> {
  let lastError: MediaDownloadError | null = null;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      return await downloadOnce(url, opts);
    } catch (err) {
      lastError = err instanceof MediaDownloadError ? err : new MediaDownloadError(networkMessage(err), false);
      if (lastError.permanent) throw lastError;
      if (attempt < opts.attempts) await new Promise((r) => setTimeout(r, opts.backoffMs * 2 ** (attempt - 1)));
    }
  }
  // Still transient: the caller decides whether to try again later or to give up.
  throw new MediaDownloadError(`${lastError?.message ?? 'failed'} (still failing after ${opts.attempts} attempts)`, false);
}

async function downloadOnce(start: string, opts: MediaDownloadOptions): Promise<{ bytes: Buffer; contentType: string }> {
  const credentials = 'Basic ' + Buffer.from(`${opts.account.sid}:${opts.account.authToken}`).toString('base64');
  let url = new URL(start);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new MediaDownloadError(`refusing to follow a redirect to ${url.protocol} URL`, true);
    }
    const headers: Record<string, string> = { accept: '*/*' };
    if (url.origin === opts.apiOrigin) headers.authorization = credentials;
    const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs) });
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      await res.body?.cancel();
      if (!location) throw new MediaDownloadError(`HTTP ${res.status} redirect without a Location`, true);
      url = new URL(location, url);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      const transient = res.status === 404 || res.status === 408 || res.status === 429 || res.status >= 500;
      const hint = res.status === 401 || res.status === 403 ? ' (the account credentials were refused)' : '';
      throw new MediaDownloadError(`HTTP ${res.status} from ${url.origin}${hint}`, !transient);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > opts.maxBytes) {
      await res.body?.cancel();
      throw new MediaDownloadError(`file is ${declared} bytes, over the ${opts.maxBytes}-byte limit`, true);
    }
    const bytes = await readCapped(res, opts.maxBytes);
    const contentType = (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim();
    return { bytes, contentType };
  }
  throw new MediaDownloadError(`more than ${MAX_REDIRECTS} redirects`, true);
}

async function readCapped(res: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new MediaDownloadError(`file is over the ${maxBytes}-byte limit`, true);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function networkMessage(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
