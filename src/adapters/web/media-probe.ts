import { STATUS_CODES } from 'node:http';
import type { MediaProbe, MediaProbeResult } from '../../ports/media-probe.ts';

/** Answers that mean the file is not there for an anonymous fetcher such as Twilio. */
const GONE = new Set([401, 403, 404, 410]);
const UNKNOWN: MediaProbeResult = { size: null, contentType: null, unreachable: null };

/**
 * Asks a media URL's server for the file's size and type as an anonymous client would (as Twilio will): a
 * HEAD, and where HEAD is refused or says no length, a one-byte ranged GET whose Content-Range tells the
 * total. No credentials of any kind are sent; redirects are followed. A server that cannot be reached is
 * "unknown": smsdesk may sit behind an egress filter that Twilio does not, so that alone refuses nothing.
 */
export class HttpMediaProbe implements MediaProbe {
  constructor(private readonly timeoutMs = 5_000) {}

  async probe(url: string): Promise<MediaProbeResult> {
    try {
      const head = await this.ask(url, 'HEAD');
      if (head.unreachable || head.size !== null) return head;
      const ranged = await this.ask(url, 'GET');
      return { ...ranged, contentType: ranged.contentType ?? head.contentType };
    } catch {
      return UNKNOWN;
    }
  }

  private async ask(url: string, method: 'HEAD' | 'GET'): Promise<MediaProbeResult> {
    const res = await fetch(url, {
      method,
      redirect: 'follow',
      headers: method === 'GET' ? { range: 'bytes=0-0' } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Only the headers matter: never read a (possibly large) body.
    await res.body?.cancel().catch(() => undefined);
    if (GONE.has(res.status)) return { ...UNKNOWN, unreachable: `answered ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim() };
    if (!res.ok) return UNKNOWN;
    const contentType = res.headers.get('content-type')?.split(';')[0]?.trim() || null;
    return { size: sizeOf(res, method), contentType, unreachable: null };
  }
}

function sizeOf(res: Response, method: 'HEAD' | 'GET'): number | null {
  if (res.status === 206) {
    const total = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '')?.[1];
    return total === undefined ? null : Number(total);
  }
  // A 200 to a ranged GET is the whole file; its length (or a HEAD's) is the size.
  const length = res.headers.get('content-length');
  if (length === null || !/^\d+$/.test(length)) return null;
  const n = Number(length);
  return method === 'HEAD' && n === 0 ? null : n;
}
