import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadTwilioMedia, MediaDownloadError, type MediaDownloadOptions } from '../../src/adapters/twilio/media-download.ts';

/**
 * Real HTTP servers on 127.0.0.1 ephemeral ports, one per origin: "api" stands in for api.twilio.com (the only
 * origin that may see credentials), "cdn" for the media CDN Twilio redirects to, "third" for anywhere else.
 */
type Name = 'api' | 'cdn' | 'third';
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Seen {
  server: Name;
  path: string;
  authorization: string | undefined;
}

const ACCOUNT = { sid: `AC${'a'.repeat(32)}`, authToken: 'secret-token' };
const CREDENTIALS = `Basic ${Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.authToken}`).toString('base64')}`;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

const servers = {} as Record<Name, Server>;
const origin = {} as Record<Name, string>;
let handlers: Partial<Record<Name, Handler>> = {};
let seen: Seen[] = [];

function opts(over: Partial<MediaDownloadOptions> = {}): MediaDownloadOptions {
  return { apiOrigin: origin.api, account: ACCOUNT, maxBytes: 1024, attempts: 1, backoffMs: 5, timeoutMs: 2_000, ...over };
}

const count = (server: Name) => seen.filter((s) => s.server === server).length;

function redirect(res: ServerResponse, location: string, status = 307): void {
  res.writeHead(status, { location });
  res.end();
}

function sendPng(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(PNG.length) });
  res.end(PNG);
}

/** Twilio's API origin: refuses requests without the account's basic credentials. */
function api(route: Handler): Handler {
  return (req, res) => {
    if (req.headers.authorization !== CREDENTIALS) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"code":20003,"message":"Authenticate"}');
      return;
    }
    route(req, res);
  };
}

async function downloadError(url: string, o: MediaDownloadOptions): Promise<MediaDownloadError> {
  const err: unknown = await downloadTwilioMedia(url, o).then(
    () => new Error(`download of ${url} succeeded`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaDownloadError);
  return err as MediaDownloadError;
}

beforeAll(async () => {
  for (const name of ['api', 'cdn', 'third'] as const) {
    const server = createServer((req, res) => {
      seen.push({ server: name, path: req.url ?? '', authorization: req.headers.authorization });
      const handler = handlers[name];
      if (handler) handler(req, res);
      else {
        res.writeHead(599);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers[name] = server;
    origin[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
});

afterAll(async () => {
  for (const server of Object.values(servers)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

beforeEach(() => {
  handlers = {};
  seen = [];
});

describe('downloadTwilioMedia: credentials go to the API origin only', () => {
  it('sends credentials to the API origin and none to the CDN it redirects to', async () => {
    handlers.api = api((_req, res) => redirect(res, `${origin.cdn}/media/ME1`));
    handlers.cdn = (_req, res) => sendPng(res);

    const result = await downloadTwilioMedia(`${origin.api}/2010-04-01/Accounts/${ACCOUNT.sid}/Messages/MM1/Media/ME1`, opts());

    expect(result.contentType).toBe('image/png');
    expect(Buffer.compare(result.bytes, PNG)).toBe(0);
    expect(seen).toEqual([
      { server: 'api', path: `/2010-04-01/Accounts/${ACCOUNT.sid}/Messages/MM1/Media/ME1`, authorization: CREDENTIALS },
      { server: 'cdn', path: '/media/ME1', authorization: undefined },
    ]);
  });

  it.each([301, 302, 303, 307, 308])('follows a %i redirect without forwarding credentials', async (status) => {
    handlers.api = api((_req, res) => redirect(res, `${origin.cdn}/x`, status));
    handlers.cdn = (_req, res) => sendPng(res);
    await downloadTwilioMedia(`${origin.api}/m`, opts());
    expect(seen.map((s) => [s.server, s.authorization])).toEqual([
      ['api', CREDENTIALS],
      ['cdn', undefined],
    ]);
  });

  it('a redirect to a third origin and back gives credentials again on the API origin only', async () => {
    handlers.api = api((req, res) => {
      if (req.url === '/start') redirect(res, `${origin.third}/bounce`, 302);
      else if (req.url === '/back') redirect(res, `${origin.cdn}/file`);
      else res.writeHead(404).end();
    });
    handlers.third = (_req, res) => redirect(res, `${origin.api}/back`, 302);
    handlers.cdn = (_req, res) => sendPng(res);

    const result = await downloadTwilioMedia(`${origin.api}/start`, opts());

    expect(result.bytes.length).toBe(PNG.length);
    expect(seen).toEqual([
      { server: 'api', path: '/start', authorization: CREDENTIALS },
      { server: 'third', path: '/bounce', authorization: undefined },
      { server: 'api', path: '/back', authorization: CREDENTIALS },
      { server: 'cdn', path: '/file', authorization: undefined },
    ]);
  });

  it('a relative Location stays on the origin that sent it', async () => {
    handlers.api = api((req, res) => (req.url === '/a/b' ? redirect(res, '../c', 302) : sendPng(res)));
    await downloadTwilioMedia(`${origin.api}/a/b`, opts());
    expect(seen).toEqual([
      { server: 'api', path: '/a/b', authorization: CREDENTIALS },
      { server: 'api', path: '/c', authorization: CREDENTIALS },
    ]);
  });

  it('a MediaUrl on a foreign origin is fetched without credentials', async () => {
    handlers.third = (_req, res) => sendPng(res);
    const result = await downloadTwilioMedia(`${origin.third}/media/ME1`, opts());
    expect(result.contentType).toBe('image/png');
    expect(seen).toEqual([{ server: 'third', path: '/media/ME1', authorization: undefined }]);
  });

  it('the same host on another port is another origin and gets no credentials', async () => {
    // cdn and api are both 127.0.0.1; only the port differs.
    handlers.cdn = (_req, res) => sendPng(res);
    await downloadTwilioMedia(`${origin.cdn}/m`, opts());
    expect(seen).toEqual([{ server: 'cdn', path: '/m', authorization: undefined }]);
  });
});

describe('downloadTwilioMedia: retries', () => {
  it('a transient 404 twice, then 200, succeeds', async () => {
    let calls = 0;
    handlers.api = api((_req, res) => (++calls <= 2 ? res.writeHead(404).end() : sendPng(res)));
    const result = await downloadTwilioMedia(`${origin.api}/m`, opts({ attempts: 4, backoffMs: 5 }));
    expect(Buffer.compare(result.bytes, PNG)).toBe(0);
    expect(count('api')).toBe(3);
  });

  it.each([408, 429, 502, 503])('HTTP %i is transient', async (status) => {
    let calls = 0;
    handlers.api = api((_req, res) => (++calls === 1 ? res.writeHead(status).end() : sendPng(res)));
    await downloadTwilioMedia(`${origin.api}/m`, opts({ attempts: 2 }));
    expect(count('api')).toBe(2);
  });

  it('a transient failure on the CDN retries from the MediaUrl', async () => {
    let calls = 0;
    handlers.api = api((_req, res) => redirect(res, `${origin.cdn}/f`));
    handlers.cdn = (_req, res) => (++calls === 1 ? res.writeHead(503).end() : sendPng(res));
    await downloadTwilioMedia(`${origin.api}/m`, opts({ attempts: 2 }));
    expect(seen.map((s) => s.server)).toEqual(['api', 'cdn', 'api', 'cdn']);
  });

  it('500 forever stops after the attempts and reports it as transient, for the job to retry later', async () => {
    handlers.api = api((_req, res) => res.writeHead(500).end());
    const err = await downloadError(`${origin.api}/m`, opts({ attempts: 4, backoffMs: 5 }));
    expect(err.permanent).toBe(false);
    expect(err.message).toBe(`HTTP 500 from ${origin.api} (still failing after 4 attempts)`);
    expect(count('api')).toBe(4);
  });

  it('a connection refused is retried, then reported as still failing', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await downloadError(`http://127.0.0.1:${port}/m`, opts({ attempts: 2 }));
    expect(err.permanent).toBe(false);
    expect(err.message).toBe('ECONNREFUSED (still failing after 2 attempts)');
  });

  it('a server that never answers times out', async () => {
    handlers.third = () => {
      /* never responds; afterAll closes the connection */
    };
    const err = await downloadError(`${origin.third}/m`, opts({ attempts: 2, timeoutMs: 50 }));
    expect(err.permanent).toBe(false);
    expect(err.message).toBe('timed out (still failing after 2 attempts)');
    expect(count('third')).toBe(2);
  });
});

describe('downloadTwilioMedia: permanent failures are not retried', () => {
  it.each([
    [401, / \(the account credentials were refused\)$/],
    [403, / \(the account credentials were refused\)$/],
    [400, /^HTTP 400 from /],
    [410, /^HTTP 410 from /],
  ])('HTTP %i fails at once', async (status, message) => {
    handlers.api = (_req, res) => res.writeHead(status).end();
    const err = await downloadError(`${origin.api}/m`, opts({ attempts: 5 }));
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('gave up');
    expect(count('api')).toBe(1);
  });

  it('wrong credentials on the API origin: 401, one request', async () => {
    handlers.api = api((_req, res) => sendPng(res));
    const err = await downloadError(`${origin.api}/m`, opts({ attempts: 5, account: { sid: ACCOUNT.sid, authToken: 'wrong' } }));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe(`HTTP 401 from ${origin.api} (the account credentials were refused)`);
    expect(count('api')).toBe(1);
  });

  it('a declared Content-Length over maxBytes fails without reading the body', async () => {
    handlers.cdn = (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '2048' });
      res.end(Buffer.alloc(2048));
    };
    const err = await downloadError(`${origin.cdn}/big`, opts({ maxBytes: 1024, attempts: 3 }));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe('file is 2048 bytes, over the 1024-byte limit');
    expect(count('cdn')).toBe(1);
  });

  it('a body streamed beyond maxBytes without Content-Length fails', async () => {
    handlers.cdn = (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4' }); // chunked, no Content-Length
      for (let i = 0; i < 8; i++) res.write(Buffer.alloc(256));
      res.end();
    };
    const err = await downloadError(`${origin.cdn}/big`, opts({ maxBytes: 1024, attempts: 3 }));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe('file is over the 1024-byte limit');
    expect(count('cdn')).toBe(1);
  });

  it('a body of exactly maxBytes is accepted', async () => {
    handlers.cdn = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      for (let i = 0; i < 4; i++) res.write(Buffer.alloc(256, i));
      res.end();
    };
    const result = await downloadTwilioMedia(`${origin.cdn}/ok`, opts({ maxBytes: 1024 }));
    expect(result.bytes.length).toBe(1024);
    expect(result.contentType).toBe('application/pdf');
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/x', 'data:text/plain,hi'])('a redirect to %s is refused', async (location) => {
    handlers.api = api((_req, res) => redirect(res, location, 302));
    const err = await downloadError(`${origin.api}/m`, opts({ attempts: 3 }));
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/^refusing to follow a redirect to [a-z]+: URL$/);
    expect(count('api')).toBe(1);
  });

  it('a redirect without Location fails', async () => {
    handlers.api = api((_req, res) => res.writeHead(302).end());
    const err = await downloadError(`${origin.api}/m`, opts({ attempts: 3 }));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe('HTTP 302 redirect without a Location');
    expect(count('api')).toBe(1);
  });

  const hops: Handler = (req, res) => {
    const n = Number(req.url!.split('/')[2]);
    redirect(res, `/hop/${n + 1}`, 302);
  };

  it('more than 5 redirects fail', async () => {
    handlers.third = hops;
    const err = await downloadError(`${origin.third}/hop/0`, opts({ attempts: 3 }));
    expect(err.permanent).toBe(true);
    expect(err.message).toBe('more than 5 redirects');
    // The first request and the five redirects it may follow; the sixth redirect is not followed.
    expect(seen.map((s) => s.path)).toEqual(['/hop/0', '/hop/1', '/hop/2', '/hop/3', '/hop/4', '/hop/5']);
  });

  it('exactly 5 redirects are followed', async () => {
    handlers.third = (req, res) => (req.url === '/hop/5' ? sendPng(res) : hops(req, res));
    const result = await downloadTwilioMedia(`${origin.third}/hop/0`, opts());
    expect(result.bytes.length).toBe(PNG.length);
    expect(count('third')).toBe(6);
  });
});

describe('downloadTwilioMedia: content type', () => {
  it.each([
    ['image/jpeg; charset=binary', 'image/jpeg'],
    [' audio/amr ', 'audio/amr'],
    [undefined, 'application/octet-stream'],
  ])('%j → %s', async (header, want) => {
    handlers.cdn = (_req, res) => {
      res.writeHead(200, header === undefined ? {} : { 'content-type': header });
      res.end('x');
    };
    expect((await downloadTwilioMedia(`${origin.cdn}/m`, opts())).contentType).toBe(want);
  });
});
