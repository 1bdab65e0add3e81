import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMediaProbe } from '../../src/adapters/web/media-probe.ts';

describe('HttpMediaProbe', () => {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url === '/moved') return void res.writeHead(302, { location: '/file.png' }).end();
    if (req.url === '/file.png') return void res.writeHead(200, { 'content-type': 'image/png; charset=binary', 'content-length': '4321' }).end();
    if (req.url === '/nolength') {
      if (req.method === 'HEAD') return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end();
      // A server that ignores Range: the whole file, its length in Content-Length.
      return void res.writeHead(200, { 'content-length': '7' }).end('1234567');
    }
    if (req.url === '/flaky') return void res.writeHead(503).end();
    res.writeHead(410).end();
  });
  let base = '';
  let probe: HttpMediaProbe;
  /** No link is smsdesk's own here (see test/e2e/ssrf.test.ts for those). */
  const own = { owns: () => false, find: async () => null };
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    // A local server is reached only through the development allow-list.
    probe = new HttpMediaProbe({ policy: { allow: [{ host: '127.0.0.1', port }] }, own, timeoutMs: 1000 });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads size and type from a HEAD, following redirects, with no credentials', async () => {
    expect(await probe.probe(`${base}/moved`)).toEqual({ size: 4321, contentType: 'image/png', unreachable: null, refused: null });
    expect(seen.every((r) => r.method === 'HEAD' && r.headers.authorization === undefined && r.headers.cookie === undefined)).toBe(true);
  });

  it('falls back to a ranged GET when HEAD gives no length, keeping the type HEAD gave', async () => {
    seen.length = 0;
    expect(await probe.probe(`${base}/nolength`)).toEqual({ size: 7, contentType: 'image/jpeg', unreachable: null, refused: null });
    expect(seen.map((r) => [r.method, r.headers.range])).toEqual([['HEAD', undefined], ['GET', 'bytes=0-0']]);
  });

  it('reports a file the server says is gone, and knows nothing of a 503 or a dead host', async () => {
    expect((await probe.probe(`${base}/gone`)).unreachable).toBe('answered 410 Gone');
    const unknown = { size: null, contentType: null, unreachable: null, refused: null };
    expect(await probe.probe(`${base}/flaky`)).toEqual(unknown);
    // Port 9 is not on the allow-list: refused without a connection; an allow-listed host that is down is unknown.
    expect(await probe.probe('http://127.0.0.1:9/nothing-listens')).toEqual({ ...unknown, refused: 'uses plain http (only https is fetched)' });
    const down = new HttpMediaProbe({ policy: { allow: [{ host: '127.0.0.1', port: 9 }] }, own, timeoutMs: 1000 });
    expect(await down.probe('http://127.0.0.1:9/nothing-listens')).toEqual(unknown);
  });
});
