import { STATUS_CODES } from 'node:http';
import type { MediaProbe, MediaProbeResult, OwnAttachments } from '../../ports/media-probe.ts';
import { fetchAllowed } from '../../domain/fetch-allow.ts';
import { FetchRefusedError, safeFetch, type FetchPolicy, type SafeResponse } from './safe-fetch.ts';

/** Answers that mean the file is not there for an anonymous fetcher such as Twilio. */
const GONE = new Set([401, 403, 404, 410]);
const UNKNOWN: MediaProbeResult = { size: null, contentType: null, unreachable: null, refused: null };

export interface MediaProbeOptions {
  policy: FetchPolicy;
  own: OwnAttachments;
  timeoutMs?: number;
}

/**
 * Asks a media URL's server for the file's size and type as an anonymous client would (as Twilio will): a
 * HEAD, and where HEAD is refused or says no length, a one-byte ranged GET whose Content-Range tells the
 * total. Every request goes through safeFetch (public addresses only, redirects checked hop by hop, no
 * credentials). smsdesk's own attachment links are looked up in its records instead. A server that cannot
 * be reached is "unknown": smsdesk may sit behind an egress filter that Twilio does not, so that alone
 * refuses nothing.
 */
export class HttpMediaProbe implements MediaProbe {
  private readonly timeoutMs: number;

  constructor(private readonly options: MediaProbeOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  plainHttpAllowed(raw: string): boolean {
    if (this.options.own.owns(raw)) return true;
    try {
      return fetchAllowed(this.options.policy.allow, new URL(raw));
    } catch {
      return false;
    }
  }

  async probe(url: string): Promise<MediaProbeResult> {
    if (this.options.own.owns(url)) {
      const file = await this.options.own.find(url);
      if (!file) return { ...UNKNOWN, unreachable: 'is not a valid smsdesk attachment link (copy the whole link an upload gave)' };
      return { ...UNKNOWN, size: file.size, contentType: file.contentType };
    }
    try {
      const head = await this.ask(url, 'HEAD');
      if (head.unreachable || head.size !== null) return head;
      const ranged = await this.ask(url, 'GET');
      return { ...ranged, contentType: ranged.contentType ?? head.contentType };
    } catch (err) {
      if (err instanceof FetchRefusedError) return { ...UNKNOWN, refused: err.reason };
      return UNKNOWN;
    }
  }

  private async ask(url: string, method: 'HEAD' | 'GET'): Promise<MediaProbeResult> {
    const res = await safeFetch(url, { method, headers: method === 'GET' ? { range: 'bytes=0-0' } : {}, timeoutMs: this.timeoutMs }, this.options.policy);
    // Only the headers matter: never read a (possibly large) body.
    res.body.destroy();
    if (GONE.has(res.status)) return { ...UNKNOWN, unreachable: `answered ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trim() };
    if (res.status < 200 || res.status > 299) return UNKNOWN;
    const contentType = res.headers.get('content-type')?.split(';')[0]?.trim() || null;
    return { ...UNKNOWN, size: sizeOf(res, method), contentType };
  }
}

function sizeOf(res: SafeResponse, method: 'HEAD' | 'GET'): number | null {
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
