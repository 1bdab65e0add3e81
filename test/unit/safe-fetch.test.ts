import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notPublic } from '../../src/adapters/web/public-address.ts';
import { FetchRefusedError, safeFetch, type FetchPolicy } from '../../src/adapters/web/safe-fetch.ts';
import { fetchAllowed, parseFetchAllow } from '../../src/domain/fetch-allow.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('notPublic: which addresses smsdesk may connect to for a user-supplied URL', () => {
  const table: [string, string | null][] = [
    // Public unicast, IPv4 and IPv6: allowed.
    ['8.8.8.8', null],
    ['93.184.216.34', null],
    ['1.1.1.1', null],
    ['2606:4700:4700::1111', null],
    ['2a00:1450:4001:830::200e', null],
    ['::ffff:8.8.8.8', null],
    // IPv4: everything that is not public.
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.0.0.1', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['169.254.169.254', 'a link-local address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['0.0.0.0', 'the unspecified address'],
    ['0.1.2.3', 'the unspecified address'],
    ['255.255.255.255', 'the broadcast address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['192.0.2.1', 'a reserved address'],
    ['198.18.0.1', 'a reserved address'],
    ['198.51.100.7', 'a reserved address'],
    ['203.0.113.9', 'a reserved address'],
    ['240.0.0.1', 'a reserved address'],
    ['192.0.0.8', 'a reserved address'],
    // IPv6.
    ['::1', 'a loopback address'],
    ['::', 'the unspecified address'],
    ['fe80::1', 'a link-local address'],
    ['fc00::1', 'a unique-local address'],
    ['fd12:3456::1', 'a unique-local address'],
    ['ff02::1', 'a multicast address'],
    ['fec0::1', 'a special-purpose address (deprecatedSiteLocal)'],
    ['2001:db8::1', 'a reserved address'],
    ['100::1', 'a special-purpose address (discard)'],
    // IPv4 reached through IPv6: mapped forms are judged as the IPv4 address, other embeddings refused.
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['::ffff:10.0.0.1', 'a private address'],
    ['::ffff:169.254.169.254', 'a link-local address'],
    ['::7f00:1', 'a reserved address'],
    ['::ffff:0:7f00:1', 'a special-purpose address (rfc6145)'],
    ['64:ff9b::7f00:1', 'a special-purpose address (rfc6052)'],
    ['2002:7f00:1::', 'a special-purpose address (6to4)'],
    ['2001::7f00:1', 'a special-purpose address (teredo)'],
    // Not an address at all.
    ['localhost', 'not an IP address'],
  ];
  it.each(table)('%s → %s', (address, verdict) => {
    expect(notPublic(address)).toBe(verdict);
  });
});

describe('safeFetch', () => {
  /** A loopback service recording every connection; also serves redirects when allow-listed. */
  const connections: string[] = [];
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const hops = /^\/hops\/(\d+)$/.exec(req.url ?? '');
      if (hops) {
        const n = Number(hops[1]);
        return void res.writeHead(n === 0 ? 200 : 302, n === 0 ? {} : { location: `/hops/${n - 1}` }).end('done');
      }
      if (req.url === '/see-other') return void res.writeHead(303, { location: '/hops/0' }).end();
      if (req.url === '/to-file') return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      if (req.url === '/to-loopback') return void res.writeHead(307, { location: `https://[::ffff:127.0.0.1]:${port}/` }).end();
      res.writeHead(200).end('ok');
    });
  });
  server.on('connection', (s) => connections.push(String(s.localPort)));
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const allowed = () => ({ allow: [{ host: '127.0.0.1', port }] });
  const refusal = async (url: string, policy: FetchPolicy = { allow: [] }) => {
    const err = await safeFetch(url, { method: 'HEAD', timeoutMs: 2000 }, policy).then(() => null, (e: unknown) => e);
    expect(err, url).toBeInstanceOf(FetchRefusedError);
    return (err as FetchRefusedError).reason;
  };

  it('refuses loopback in every spelling before connecting, and names the address', async () => {
    connections.length = 0;
    const spellings: [string, string][] = [
      ['https://127.0.0.1:P/', 'is a loopback address (127.0.0.1)'],
      ['https://0x7f000001:P/', 'is a loopback address (127.0.0.1)'],
      ['https://0x7f.0.0.1:P/', 'is a loopback address (127.0.0.1)'],
      ['https://127.1:P/', 'is a loopback address (127.0.0.1)'],
      ['https://2130706433:P/', 'is a loopback address (127.0.0.1)'],
      ['https://017700000001:P/', 'is a loopback address (127.0.0.1)'],
      ['https://0:P/', 'is the unspecified address (0.0.0.0)'],
      ['https://[::1]:P/', 'is a loopback address (::1)'],
      ['https://[0:0:0:0:0:0:0:1]:P/', 'is a loopback address (::1)'],
      ['https://[::ffff:127.0.0.1]:P/', 'is a loopback address (::ffff:7f00:1)'],
      // 127.0.0.1 or ::1, as the machine's hosts file says.
      ['https://localhost:P/', 'resolves to a loopback address ('],
      ['https://LocalHost:P/', 'resolves to a loopback address ('],
      ['http://127.0.0.1:P/', 'uses plain http (only https is fetched)'],
      ['https://user:secret@example.com/', 'carries a user name or password (smsdesk sends no credentials with it)'],
      ['file:///etc/passwd', 'uses file: (only https is fetched)'],
    ];
    for (const [url, reason] of spellings) expect((await refusal(url.replace('P', String(port)))).slice(0, reason.length), url).toBe(reason);
    expect(connections).toEqual([]);
  });

  it('judges every address the resolver gives, at connect time (the one lookup the connection uses)', async () => {
    connections.length = 0;
    const asked: string[] = [];
    const resolver: LookupFunction = (host, options, cb) => {
      asked.push(host);
      const all = [{ address: '10.0.0.8', family: 4 }, { address: '127.0.0.1', family: 4 }];
      if (options.all) cb(null, all);
      else cb(null, all[0]!.address, 4);
    };
    expect(await refusal(`https://files.example:${port}/`, { allow: [], lookup: resolver })).toBe('resolves to a private address (10.0.0.8)');
    expect(asked).toEqual(['files.example']);
    expect(connections).toEqual([]);
  });

  it('follows at most 5 redirects, checking each hop, and sends no credentials', async () => {
    requests.length = 0;
    const five = await safeFetch(`http://127.0.0.1:${port}/hops/5`, { timeoutMs: 2000, headers: { authorization: 'Basic eDp5', cookie: 'a=b', 'x-trace': '1' } }, allowed());
    five.body.destroy();
    expect([five.status, five.url]).toEqual([200, `http://127.0.0.1:${port}/hops/0`]);
    expect(requests.map((r) => r.url)).toEqual(['/hops/5', '/hops/4', '/hops/3', '/hops/2', '/hops/1', '/hops/0']);
    expect(requests.every((r) => r.headers.authorization === undefined && r.headers.cookie === undefined && r.headers['x-trace'] === '1')).toBe(true);
    await expect(safeFetch(`http://127.0.0.1:${port}/hops/6`, { timeoutMs: 2000 }, allowed())).rejects.toThrow('more than 5 redirects');
    expect(await refusal(`http://127.0.0.1:${port}/to-file`, allowed())).toBe('redirects to a file: URL (only https is fetched)');
    connections.length = 0;
    expect(await refusal(`http://127.0.0.1:${port}/to-loopback`, allowed())).toBe(`redirects to [::ffff:7f00:1]:${port}, which is a loopback address (::ffff:7f00:1)`);
    expect(connections).toHaveLength(1);
  });

  it('continues a 303 after a POST as a GET without the body', async () => {
    requests.length = 0;
    const res = await safeFetch(`http://127.0.0.1:${port}/see-other`, { method: 'POST', body: '{"a":1}', timeoutMs: 2000 }, allowed());
    res.body.destroy();
    expect(requests.map((r) => [r.method, r.url, r.body])).toEqual([['POST', '/see-other', '{"a":1}'], ['GET', '/hops/0', '']]);
  });
});

describe('SMSDESK_FETCH_ALLOW', () => {
  it('parses hosts with or without a port, normalized as URLs write them', () => {
    expect(parseFetchAllow(' 127.0.0.1:8080, localhost ,[::1]:9000,Dev.Example:80,127.1')).toEqual([
      { host: '127.0.0.1', port: 8080 },
      { host: 'localhost', port: null },
      { host: '[::1]', port: 9000 },
      { host: 'dev.example', port: 80 },
      { host: '127.0.0.1', port: null },
    ]);
    expect(parseFetchAllow('')).toEqual([]);
  });

  it('matches a URL by host and port (its scheme default when it names none)', () => {
    const entries = parseFetchAllow('127.0.0.1:8080,dev.example');
    expect(fetchAllowed(entries, new URL('http://127.0.0.1:8080/a'))).toBe(true);
    expect(fetchAllowed(entries, new URL('http://0x7f000001:8080/a'))).toBe(true);
    expect(fetchAllowed(entries, new URL('http://127.0.0.1:8081/a'))).toBe(false);
    expect(fetchAllowed(entries, new URL('http://127.0.0.1/a'))).toBe(false);
    expect(fetchAllowed(entries, new URL('https://dev.example/a'))).toBe(true);
    expect(fetchAllowed(entries, new URL('https://evil.dev.example/a'))).toBe(false);
    expect(fetchAllowed(parseFetchAllow('dev.example:443'), new URL('https://dev.example/a'))).toBe(true);
  });

  it.each([
    ['http://127.0.0.1:8080', /"http:\/\/127\.0\.0\.1:8080" is not a host or host:port/],
    ['127.0.0.1:8080/path', /is not a host or host:port/],
    ['*.example.com', /is not a host or host:port/],
    ['user@host', /is not a host or host:port/],
    ['127.0.0.1:0', /the port must be between 1 and 65535/],
    ['127.0.0.1:70000', /the port must be between 1 and 65535/],
    ['[::1', /is not a host or host:port/],
    ['[zz::1]', /is not a host or host:port/],
  ])('refuses %s at start-up with a ConfigError', (raw, why) => {
    expect(() => loadConfig({ SMSDESK_FETCH_ALLOW: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ SMSDESK_FETCH_ALLOW: raw })).toThrow(why);
    expect(() => loadConfig({ SMSDESK_FETCH_ALLOW: raw })).toThrow(/^SMSDESK_FETCH_ALLOW: /);
  });

  it('is empty by default', () => {
    expect(loadConfig({}).fetchAllow).toEqual([]);
  });
});
