import { lookup as dnsLookup } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { postReply, startHarness, ticketFrom, waitForMessage, type Harness } from '../helpers/outbound.ts';
import { API_TOKEN } from '../helpers/harness.ts';
import { TEST_TLS_CERT, TEST_TLS_KEY } from '../helpers/tls.ts';

/**
 * Reply media URLs are fetched by smsdesk (HEAD / ranged GET for their sizes) on behalf of whoever holds an
 * API token: through the real HTTP API, none of them may reach a loopback listener, however the address is
 * spelled, resolved or redirected to; an allow-listed development server is reached; smsdesk's own
 * attachment links are answered without any HTTP request.
 */

const MB = 1024 * 1024;

/** Media as a development server serves it: sizes by HEAD, and redirects to wherever `to` says. */
function media(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/redirect') return void res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
  const sized = /^\/(\d+)\/[\w.-]+$/.exec(url.pathname);
  if (sized) return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': sized[1] }).end();
  res.writeHead(404).end();
}

const listen = (server: Server, host: string, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

/** Names the test's resolver knows: a "public-looking" host and a name that resolves to loopback. */
const NAMES: Record<string, string> = { 'files.example.test': '127.0.0.1', 'rebind.example.test': '127.0.0.1' };
const lookup: LookupFunction = (hostname, options, callback) => {
  const address = NAMES[hostname];
  if (!address) return dnsLookup(hostname, options, callback);
  if (options.all) callback(null, [{ address, family: 4 }]);
  else callback(null, address, 4);
};

describe('SSRF: reply media URLs', () => {
  let h: Harness;
  let ticketId = 0;
  /** An internal service on 127.0.0.1 and ::1 (one port) that records every connection it is offered. */
  const internalHits: string[] = [];
  const internal = (): Server => {
    const server = createServer((_req, res) => void res.writeHead(401, { 'content-type': 'text/plain' }).end('internal-secret'));
    server.on('connection', (socket) => internalHits.push(`${socket.localAddress}:${socket.localPort}`));
    return server;
  };
  const internal4 = internal();
  const internal6 = internal();
  const dev = createServer(media);
  const devRequests: string[] = [];
  dev.on('request', (req: IncomingMessage) => devRequests.push(`${req.method} ${req.url}`));
  const tls = createTlsServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, media);
  let R = 0;
  let DEV = 0;
  let FILES = 0;
  /** Paths smsdesk's own server was asked for. */
  const ownRequests: string[] = [];

  beforeAll(async () => {
    R = await listen(internal4, '127.0.0.1');
    await listen(internal6, '::1', R);
    DEV = await listen(dev, '127.0.0.1');
    FILES = await listen(tls, '127.0.0.1');
    h = await startHarness(pgliteBackend, {
      env: { SMSDESK_FETCH_ALLOW: `127.0.0.1:${DEV}, files.example.test:${FILES}` },
      smsdesk: { fetch: { lookup, ca: TEST_TLS_CERT } },
    });
    h.smsdesk.app.server.on('request', (req: IncomingMessage) => ownRequests.push(req.url ?? ''));
    ticketId = await ticketFrom(h);
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([internal4, internal6, dev, tls].map(close));
  });

  const reply = (mediaUrls: string[]) => postReply(h, ticketId, { body: 'Your label', mediaUrls });
  /** A reply with this URL is refused with `code`, names `why`, echoes nothing internal, and connected to nothing internal. */
  async function refused(url: string, code: string, why: RegExp): Promise<void> {
    const res = await reply([url]);
    expect(internalHits, url).toEqual([]);
    expect([res.status, res.body.error?.code], url).toEqual([400, code]);
    expect(res.body.error!.message, url).toMatch(why);
    expect(res.body.error!.message, url).not.toMatch(/answered|401|Unauthorized|internal-secret/);
  }

  it('refuses every spelling of a loopback address, and names that resolve to one, before connecting', async () => {
    const cases: [string, RegExp][] = [
      [`https://127.0.0.1:${R}/a.png`, /is a loopback address \(127\.0\.0\.1\)/],
      [`https://0x7f000001:${R}/a.png`, /is a loopback address \(127\.0\.0\.1\)/],
      [`https://127.1:${R}/a.png`, /is a loopback address \(127\.0\.0\.1\)/],
      [`https://2130706433:${R}/a.png`, /is a loopback address \(127\.0\.0\.1\)/],
      [`https://0177.0.0.1:${R}/a.png`, /is a loopback address \(127\.0\.0\.1\)/],
      [`https://127.0.0.1.:${R}/a.png`, /is a loopback address \(127\.0\.0\.1\)/],
      [`https://0:${R}/a.png`, /is the unspecified address \(0\.0\.0\.0\)/],
      [`https://[::1]:${R}/a.png`, /is a loopback address \(::1\)/],
      [`https://[::ffff:127.0.0.1]:${R}/a.png`, /is a loopback address \(::ffff:7f00:1\)/],
      [`https://[::127.0.0.1]:${R}/a.png`, /is a reserved address \(::7f00:1\)/],
      [`https://localhost:${R}/a.png`, /resolves to a loopback address/],
      [`https://rebind.example.test:${R}/a.png`, /resolves to a loopback address \(127\.0\.0\.1\)/],
    ];
    for (const [url, why] of cases) await refused(url, 'media_url_not_allowed', new RegExp(`${why.source}.*only over https from public addresses`));
    // Plain http is for allow-listed development hosts only: refused as an invalid URL before any lookup.
    for (const url of [`http://127.0.0.1:${R}/a.png`, `http://localhost:${R}/a.png`, `http://[::1]:${R}/a.png`]) {
      await refused(url, 'invalid_media_url', /is not a valid https:\/\/ URL/);
    }
  });

  it('checks every redirect hop the same way, and refuses https → http', async () => {
    const via = (base: string, to: string) => `${base}/redirect?to=${encodeURIComponent(to)}`;
    const devBase = `http://127.0.0.1:${DEV}`;
    const filesBase = `https://files.example.test:${FILES}`;
    await refused(via(devBase, `http://127.0.0.1:${R}/a.png`), 'media_url_not_allowed', new RegExp(`redirects to 127\\.0\\.0\\.1:${R}, which uses plain http`));
    await refused(via(devBase, `https://127.0.0.1:${R}/a.png`), 'media_url_not_allowed', new RegExp(`redirects to 127\\.0\\.0\\.1:${R}, which is a loopback address`));
    await refused(via(filesBase, `http://127.0.0.1:${R}/a.png`), 'media_url_not_allowed', new RegExp(`redirects from https to plain http \\(127\\.0\\.0\\.1:${R}\\)`));
    await refused(via(filesBase, `https://[::1]:${R}/a.png`), 'media_url_not_allowed', /redirects to \[::1\].*, which is a loopback address \(::1\)/);
    await refused(via(filesBase, `https://0x7f000001:${R}/a.png`), 'media_url_not_allowed', /which is a loopback address \(127\.0\.0\.1\)/);
    await refused(via(filesBase, `https://rebind.example.test:${R}/a.png`), 'media_url_not_allowed', /which resolves to a loopback address \(127\.0\.0\.1\)/);
    // Two hops: allow-listed https → allow-listed http is a downgrade too.
    await refused(via(filesBase, via(devBase, `https://127.0.0.1:${R}/a.png`)), 'media_url_not_allowed', /redirects from https to plain http/);
  });

  it('lets an allow-listed development server through, and only as listed', async () => {
    devRequests.length = 0;
    const big = await reply([`http://127.0.0.1:${DEV}/${3 * MB}/a.jpg`, `https://files.example.test:${FILES}/${2 * MB + 1}/b.jpg`]);
    expect([big.status, big.body.error?.code]).toEqual([400, 'media_too_large']);
    expect(devRequests).toEqual([`HEAD /${3 * MB}/a.jpg`]);
    // The same server under a name that is not on the list is any other loopback address.
    await refused(`http://localhost:${DEV}/10/a.jpg`, 'invalid_media_url', /is not a valid https:\/\/ URL/);
    await refused(`https://127.0.0.1:${FILES}/10/a.jpg`, 'media_url_not_allowed', /is a loopback address/);
    const fits = await reply([`http://127.0.0.1:${DEV}/${MB}/a.jpg`]);
    expect(fits.status).toBe(202);
    expect((await waitForMessage(h, fits.body.message.id, (m) => m.status === 'delivered', 'delivered')).status).toBe('delivered');
  });

  it("answers smsdesk's own attachment links (console uploads) from its records, without an HTTP request", async () => {
    const upload = async (bytes: number) => {
      const res = await fetch(`${h.smsdesk.url}/api/v1/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'image/png', 'x-filename': 'label.png' },
        body: Buffer.alloc(bytes, 1),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { url: string }).url;
    };
    const [a, b] = [await upload(3 * MB), await upload(2 * MB + 1)];
    expect(a.startsWith(`${h.smsdesk.publicUrl}/attachments/`)).toBe(true);
    ownRequests.length = 0;
    const big = await reply([a, b]);
    expect([big.status, big.body.error?.code]).toEqual([400, 'media_too_large']);
    const ok = await reply([a]);
    expect(ok.status).toBe(202);
    const forged = await reply([a.replace(/[^/]+$/, 'x'.repeat(32))]);
    expect(ownRequests.filter((p) => p.startsWith('/attachments/'))).toEqual([]);
    expect([forged.status, forged.body.error?.code]).toEqual([400, 'media_unreachable']);
    expect(forged.body.error!.message).toMatch(/not a valid smsdesk attachment link/);
    await waitForMessage(h, ok.body.message.id, (m) => m.status === 'delivered', 'delivered');
    expect(h.emulator.messages().find((m) => m.direction === 'outbound-api' && m.mediaUrls.includes(a))).toBeDefined();
  });
});
