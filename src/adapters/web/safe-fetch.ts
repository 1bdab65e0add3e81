import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { fetchAllowed, type FetchAllowEntry } from '../../domain/fetch-allow.ts';
import { notPublic } from './public-address.ts';

/**
 * The one way smsdesk fetches a URL that a user gave it (outbound media, outgoing webhooks; automations
 * should too). It never connects to an address that is not public unicast, checked where it cannot be
 * fooled: on the address each connection is actually made to (a `lookup` that judges every address the
 * resolver gives, so DNS rebinding between a check and the connect cannot pass), and for an IP-literal host
 * (which skips lookup) before connecting, in whatever spelling the URL used (the WHATWG parser turns
 * `0x7f000001`, `127.1` or `2130706433` into `127.0.0.1` first). Redirects are followed by hand, each hop
 * checked the same way; https → http is refused; no credentials are ever sent (user:pass@ in a URL is
 * refused, Authorization and Cookie headers are dropped). Plain http only to allow-listed hosts.
 */
export interface FetchPolicy {
  /** SMSDESK_FETCH_ALLOW: development hosts let through although not public, over http too. */
  allow: readonly FetchAllowEntry[];
  /** The resolver (default dns.lookup); tests inject one. Whatever it answers is checked. */
  lookup?: LookupFunction;
  /** Extra trusted certificate authorities (tests' own https servers). */
  ca?: string | Buffer;
}

/** smsdesk refused to fetch the URL: `reason` says why, in words fit for the user who gave the URL. */
export class FetchRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FetchRefusedError';
  }
}

export interface SafeFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** For the whole exchange, redirects and the caller's reading of the body included. */
  timeoutMs: number;
  maxRedirects?: number;
  /** false: a redirect is answered as it is, not followed (outgoing webhooks: a receiver names its final URL). */
  followRedirects?: boolean;
}

export interface SafeResponse {
  status: number;
  headers: Headers;
  /** The URL that answered, after redirects. */
  url: string;
  /** Unread: the caller reads or destroys it. */
  body: Readable;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export async function safeFetch(url: string, init: SafeFetchInit, policy: FetchPolicy): Promise<SafeResponse> {
  const signal = AbortSignal.timeout(init.timeoutMs);
  const maxRedirects = init.maxRedirects ?? 5;
  const headers = Object.fromEntries(Object.entries(init.headers ?? {}).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())));
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new FetchRefusedError('is not an absolute URL');
  }
  for (let hop = 0; ; hop++) {
    let res: IncomingMessage;
    try {
      res = await request(current, { method, headers, body }, policy, signal);
    } catch (err) {
      if (err instanceof FetchRefusedError && hop > 0) throw new FetchRefusedError(`redirects to ${current.host}, which ${err.reason}`);
      throw err;
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!REDIRECTS.has(status) || !location || init.followRedirects === false) return { status, headers: toHeaders(res), url: current.href, body: res };
    res.destroy();
    if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new FetchRefusedError(`redirects to a ${next.protocol} URL (only https is fetched)`);
    if (current.protocol === 'https:' && next.protocol === 'http:') {
      throw new FetchRefusedError(`redirects from https to plain http (${next.host})`);
    }
    // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
    if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
      method = 'GET';
      body = undefined;
    }
    current = next;
  }
}

/** One request to one URL, refused before any connection when the policy does not let it through. */
function request(
  url: URL,
  init: { method: string; headers: OutgoingHttpHeaders; body: string | Buffer | undefined },
  policy: FetchPolicy,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FetchRefusedError(`uses ${url.protocol} (only https is fetched)`);
  if (url.username || url.password) throw new FetchRefusedError('carries a user name or password (smsdesk sends no credentials with it)');
  const allowListed = fetchAllowed(policy.allow, url);
  if (url.protocol === 'http:' && !allowListed) throw new FetchRefusedError('uses plain http (only https is fetched)');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const resolve = policy.lookup ?? (dnsLookup as LookupFunction);
  if (isIP(host) && !allowListed) {
    const why = notPublic(host);
    if (why) throw new FetchRefusedError(`is ${why} (${host})`);
  }
  return new Promise((done, fail) => {
    const req = (url.protocol === 'https:' ? https : http).request({
      host,
      port: url.port || undefined,
      path: url.pathname + url.search,
      method: init.method,
      headers: init.body === undefined ? init.headers : { ...init.headers, 'content-length': Buffer.byteLength(init.body) },
      lookup: allowListed ? resolve : publicOnly(resolve),
      // A fresh connection each time: a pooled socket must never carry a request past its own check.
      agent: false,
      ca: policy.ca,
      signal,
    }, done);
    req.on('error', fail);
    req.end(init.body);
  });
}

/** A lookup that hands the connection only public addresses; none: the request fails with the reason. */
function publicOnly(resolve: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, answer) => {
      if (err) return callback(err, '', 0);
      const all = (Array.isArray(answer) ? answer : [{ address: answer, family: 4 }]) as LookupAddress[];
      const usable = all.filter((a) => notPublic(a.address) === null);
      const first = usable[0];
      if (!first) {
        const refused = all[0];
        const reason = refused ? `resolves to ${notPublic(refused.address)} (${refused.address})` : 'resolves to no address';
        return callback(new FetchRefusedError(reason) as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) callback(null, usable);
      else callback(null, first.address, first.family);
    });
  };
}

function toHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    } catch {
      // A header the Fetch API cannot hold is not one smsdesk reads.
    }
  }
  return headers;
}
