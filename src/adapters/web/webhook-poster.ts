import type { Readable } from 'node:stream';
import type { PostResult, WebhookPoster } from '../../ports/webhooks.ts';
import { FetchRefusedError, safeFetch, type FetchPolicy } from './safe-fetch.ts';

/** How much of a receiver's answer is read: enough for an inbound filter's verdict. */
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * Outgoing webhooks' POST, through safeFetch (public addresses only, SMSDESK_FETCH_ALLOW for development
 * hosts; no credentials; redirects are not followed). The timeout covers the whole exchange, answer
 * included. Failures come back as words for the delivery log that never repeat the URL's path or query
 * (where receivers often keep a token), only at most its host.
 */
export class HttpWebhookPoster implements WebhookPoster {
  constructor(private readonly policy: FetchPolicy) {}

  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
    let res;
    try {
      res = await safeFetch(url, { method: 'POST', headers, body, timeoutMs, followRedirects: false, maxRedirects: 0 }, this.policy);
    } catch (err) {
      return { ok: false, refused: err instanceof FetchRefusedError, error: describe(err, timeoutMs) };
    }
    let answer = '';
    try {
      answer = await readAtMost(res.body, MAX_ANSWER_BYTES);
    } catch {
      // The status came; the rest of the answer did not (in time): the status is what counts.
    }
    return { ok: true, status: res.status, body: answer };
  }
}

function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof FetchRefusedError) return `smsdesk refused to call it: the URL ${err.reason}`;
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return `no answer within ${seconds(timeoutMs)}`;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return (e?.code ? `could not connect (${e.code}): ${message}` : message).slice(0, 300);
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

async function readAtMost(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      chunks.push(buf);
      size += buf.length;
      if (size >= limit) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
