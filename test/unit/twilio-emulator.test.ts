import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTwilioEmulator, twilioSignature, type TwilioEmulator } from '../../src/adapters/twilio/emulator/index.ts';

const ACCOUNT = { sid: `AC${'a'.repeat(32)}`, authToken: 'token-of-account-a' };
const OTHER_ACCOUNT = { sid: `AC${'b'.repeat(32)}`, authToken: 'token-of-account-b' };
const FROM = '+15005550006';
const TO = '+15005550001';
const PNG = { contentType: 'image/png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]) };
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  params: Record<string, string>;
}

const basicAuth = (sid: string, token: string) => `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;

let receiver: Server;
let webhookUrl: string;
let received: ReceivedWebhook[] = [];
let emulator: TwilioEmulator;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      received.push({ path: req.url ?? '', headers: req.headers, params });
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(TWIML);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // A query string with an escape: the signature must cover the URL exactly as configured.
  webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/twilio/sms?tenant=acme&note=a%20b`;
  emulator = await startTwilioEmulator({ accounts: [ACCOUNT, OTHER_ACCOUNT] });
  emulator.setWebhookUrl(webhookUrl);
});

afterAll(async () => {
  await emulator.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

beforeEach(() => {
  received = [];
});

function lastWebhook(): ReceivedWebhook {
  const webhook = received.at(-1);
  if (!webhook) throw new Error('no webhook received');
  return webhook;
}

function signatureOf(webhook: ReceivedWebhook): string {
  const header = webhook.headers['x-twilio-signature'];
  if (typeof header !== 'string') throw new Error('no X-Twilio-Signature header');
  return header;
}

async function fetchMedia(url: string, authorization?: string): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: authorization ? { Authorization: authorization } : {} });
}

describe('twilioSignature', () => {
  it("reproduces the worked example in Twilio's webhook security docs", () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('is accepted by the twilio SDK validator, including awkward names and values', () => {
    const url = 'https://example.com/hook?b=2&a=%C3%A9';
    const params = { body: 'lower-case name', Body: 'héllo & = + 👋', MediaUrl10: 'x', MediaUrl2: 'y', Empty: '' };
    const signature = twilioSignature('secret', url, params);
    expect(twilio.validateRequest('secret', signature, url, params)).toBe(true);
    expect(twilio.validateRequest('other-secret', signature, url, params)).toBe(false);
    expect(twilio.validateRequest('secret', signature, url, { ...params, Body: 'tampered' })).toBe(false);
  });
});

describe('sendInbound', () => {
  it('POSTs a signed form with the parameters of an inbound SMS and returns the webhook answer', async () => {
    const result = await emulator.sendInbound({ from: FROM, to: TO, body: 'Hello, world' });

    expect(result).toMatchObject({ status: 200, body: TWIML, contentType: 'text/xml' });
    expect(result.messageSid).toMatch(/^SM[0-9a-f]{32}$/);
    const webhook = lastWebhook();
    expect(webhook.path).toBe('/twilio/sms?tenant=acme&note=a%20b');
    expect(webhook.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(webhook.params).toEqual({
      MessageSid: result.messageSid,
      SmsSid: result.messageSid,
      SmsMessageSid: result.messageSid,
      AccountSid: ACCOUNT.sid,
      From: FROM,
      To: TO,
      Body: 'Hello, world',
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
    });
    expect(twilio.validateRequest(ACCOUNT.authToken, signatureOf(webhook), webhookUrl, webhook.params)).toBe(true);
  });

  it('signs with the token of the account the message is for', async () => {
    await emulator.sendInbound({ accountSid: OTHER_ACCOUNT.sid, from: FROM, to: TO, body: 'hi' });
    const webhook = lastWebhook();
    expect(webhook.params.AccountSid).toBe(OTHER_ACCOUNT.sid);
    expect(twilio.validateRequest(OTHER_ACCOUNT.authToken, signatureOf(webhook), webhookUrl, webhook.params)).toBe(true);
    expect(twilio.validateRequest(ACCOUNT.authToken, signatureOf(webhook), webhookUrl, webhook.params)).toBe(false);
  });

  it('can forge or omit the signature', async () => {
    await emulator.sendInbound({ from: FROM, to: TO, body: 'forged', signWith: 'not-the-token' });
    const forged = lastWebhook();
    expect(twilio.validateRequest(ACCOUNT.authToken, signatureOf(forged), webhookUrl, forged.params)).toBe(false);

    await emulator.sendInbound({ from: FROM, to: TO, body: 'unsigned', omitSignature: true });
    expect(lastWebhook().headers['x-twilio-signature']).toBeUndefined();
  });

  it('adds extra parameters, and they are signed too', async () => {
    await emulator.sendInbound({ from: FROM, to: TO, body: 'hi', extraParams: { FromCountry: 'US', OptOutType: 'STOP' } });
    const webhook = lastWebhook();
    expect(webhook.params).toMatchObject({ FromCountry: 'US', OptOutType: 'STOP' });
    expect(twilio.validateRequest(ACCOUNT.authToken, signatureOf(webhook), webhookUrl, webhook.params)).toBe(true);
  });

  it('lists media URLs on the API origin, and a reused MessageSid resends the same message like a Twilio retry', async () => {
    const first = await emulator.sendInbound({ from: FROM, to: TO, media: [PNG, { contentType: 'text/vcard', bytes: Buffer.from('BEGIN:VCARD') }] });
    const firstParams = lastWebhook().params;
    expect(firstParams).toMatchObject({ Body: '', NumMedia: '2', MediaContentType0: 'image/png', MediaContentType1: 'text/vcard' });
    expect(firstParams.MediaUrl0).toMatch(
      new RegExp(`^${emulator.apiBaseUrl}/2010-04-01/Accounts/${ACCOUNT.sid}/Messages/${first.messageSid}/Media/ME[0-9a-f]{32}$`),
    );

    const retry = await emulator.sendInbound({ from: FROM, to: TO, messageSid: first.messageSid });
    expect(retry.messageSid).toBe(first.messageSid);
    expect(lastWebhook().params).toEqual(firstParams);
  });

  it('rejects an unknown account before sending anything', async () => {
    await expect(emulator.sendInbound({ accountSid: 'ACnope', from: FROM, to: TO })).rejects.toThrow(/unknown account/);
    expect(received).toEqual([]);
  });
});

describe('media', () => {
  it('redirects an authenticated fetch to the CDN origin, which serves the bytes without credentials', async () => {
    const { mediaUrls } = await emulator.sendInbound({ from: FROM, to: TO, media: [PNG] });
    const mediaUrl = mediaUrls[0] ?? '';

    const redirect = await fetchMedia(mediaUrl, basicAuth(ACCOUNT.sid, ACCOUNT.authToken));
    expect(redirect.status).toBe(307);
    const location = redirect.headers.get('location') ?? '';
    expect(new URL(location).origin).toBe(emulator.cdnBaseUrl);
    expect(new URL(location).origin).not.toBe(new URL(mediaUrl).origin);

    const cdnLogBefore = emulator.cdnRequests.length;
    const content = await fetchMedia(location);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(content.headers.get('content-length')).toBe(String(PNG.bytes.length));
    expect(Buffer.from(await content.arrayBuffer())).toEqual(PNG.bytes);

    expect(emulator.cdnRequests.slice(cdnLogBefore)).toEqual([{ path: new URL(location).pathname, authorization: undefined }]);
    expect(emulator.apiRequests.at(-1)).toEqual({
      method: 'GET',
      path: new URL(mediaUrl).pathname,
      authorization: basicAuth(ACCOUNT.sid, ACCOUNT.authToken),
    });
  });

  it("answers Twilio's 401 to missing or wrong credentials and to another account's", async () => {
    const { mediaUrls } = await emulator.sendInbound({ from: FROM, to: TO, media: [PNG] });
    const mediaUrl = mediaUrls[0] ?? '';
    const otherAccountsView = mediaUrl.replace(ACCOUNT.sid, OTHER_ACCOUNT.sid);
    const attempts: [string, string | undefined][] = [
      [mediaUrl, undefined],
      [mediaUrl, basicAuth(ACCOUNT.sid, 'wrong-token')],
      [mediaUrl, basicAuth(OTHER_ACCOUNT.sid, OTHER_ACCOUNT.authToken)],
      [otherAccountsView, basicAuth(OTHER_ACCOUNT.sid, OTHER_ACCOUNT.authToken)],
    ];
    for (const [url, authorization] of attempts) {
      const response = await fetchMedia(url, authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
      expect(await response.json()).toEqual({
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
    }
  });

  it('answers 404 with code 20404 for unknown media', async () => {
    const { messageSid } = await emulator.sendInbound({ from: FROM, to: TO, media: [PNG] });
    const path = `/2010-04-01/Accounts/${ACCOUNT.sid}/Messages/${messageSid}/Media/ME${'0'.repeat(32)}`;
    const response = await fetchMedia(emulator.apiBaseUrl + path, basicAuth(ACCOUNT.sid, ACCOUNT.authToken));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      code: 20404,
      message: `The requested resource ${path} was not found`,
      more_info: 'https://www.twilio.com/docs/errors/20404',
      status: 404,
    });
  });

  it('fails the first fetches as configured, then serves the media', async () => {
    const { mediaUrls } = await emulator.sendInbound({ from: FROM, to: TO, media: [{ ...PNG, faults: { failFirst: 2 } }] });
    const auth = basicAuth(ACCOUNT.sid, ACCOUNT.authToken);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetchMedia(mediaUrls[0] ?? '', auth)).status);
    expect(statuses).toEqual([404, 404, 307]);
  });

  it('fails every fetch with a permanent fault until the fault is cleared', async () => {
    const { mediaUrls } = await emulator.sendInbound({ from: FROM, to: TO, media: [PNG] });
    const mediaUrl = mediaUrls[0] ?? '';
    const auth = basicAuth(ACCOUNT.sid, ACCOUNT.authToken);

    emulator.setMediaFaults(mediaUrl, { permanent: true });
    for (let i = 0; i < 3; i++) expect((await fetchMedia(mediaUrl, auth)).status).toBe(404);
    emulator.setMediaFaults(mediaUrl, {});
    expect((await fetchMedia(mediaUrl, auth)).status).toBe(307);
  });

  it('fails with the configured status and Twilio error code, addressed by media SID', async () => {
    const { mediaUrls } = await emulator.sendInbound({ from: FROM, to: TO, media: [PNG] });
    const mediaUrl = mediaUrls[0] ?? '';
    const auth = basicAuth(ACCOUNT.sid, ACCOUNT.authToken);

    emulator.setMediaFaults(mediaUrl.split('/').at(-1) ?? '', { failFirst: 1, status: 503 });
    const unavailable = await fetchMedia(mediaUrl, auth);
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toMatchObject({ code: 20503, status: 503 });

    expect((await fetchMedia(mediaUrl, auth)).status).toBe(307);
  });

  it('lists a message’s media in Media.json', async () => {
    const { messageSid, mediaUrls } = await emulator.sendInbound({ from: FROM, to: TO, media: [PNG] });
    const listUrl = `${emulator.apiBaseUrl}/2010-04-01/Accounts/${ACCOUNT.sid}/Messages/${messageSid}/Media.json`;
    const response = await fetchMedia(listUrl, basicAuth(ACCOUNT.sid, ACCOUNT.authToken));
    expect(response.status).toBe(200);
    const list = (await response.json()) as { media_list: Record<string, string>[] };
    expect(list.media_list).toEqual([
      expect.objectContaining({
        sid: mediaUrls[0]?.split('/').at(-1),
        parent_sid: messageSid,
        content_type: 'image/png',
        uri: `${new URL(mediaUrls[0] ?? '').pathname}.json`,
      }),
    ]);
  });
});

describe('control endpoints', () => {
  it('reports health', async () => {
    const response = await fetch(`${emulator.apiBaseUrl}/__emulator/health`);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('injects an inbound MMS from JSON', async () => {
    const response = await fetch(`${emulator.apiBaseUrl}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from: FROM, to: TO, body: 'from the sandbox', media: [{ contentType: 'image/png', base64: PNG.bytes.toString('base64') }] }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { messageSid: string; webhookStatus: number };
    expect(answer).toEqual({ messageSid: expect.stringMatching(/^SM[0-9a-f]{32}$/), webhookStatus: 200 });

    const webhook = lastWebhook();
    expect(webhook.params).toMatchObject({ MessageSid: answer.messageSid, Body: 'from the sandbox', NumMedia: '1' });
    const redirect = await fetchMedia(webhook.params.MediaUrl0 ?? '', basicAuth(ACCOUNT.sid, ACCOUNT.authToken));
    const content = await fetchMedia(redirect.headers.get('location') ?? '');
    expect(Buffer.from(await content.arrayBuffer())).toEqual(PNG.bytes);
  });

  it('answers 400 to a malformed request', async () => {
    const response = await fetch(`${emulator.apiBaseUrl}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: 'no from or to' }),
    });
    expect(response.status).toBe(400);
    expect(received).toEqual([]);
  });
});

it('close() returns with a keep-alive client connected and a request that never finishes', async () => {
  const standalone = await startTwilioEmulator({ accounts: [ACCOUNT] });
  // An idle keep-alive connection…
  await (await fetch(`${standalone.apiBaseUrl}/__emulator/health`)).text();
  // …and a request whose body never comes: a close() that waited for its connections would wait for ever
  // (and this test would time out).
  const socket = connect(Number(new URL(standalone.apiBaseUrl).port), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write('POST /__emulator/inbound HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"fr');
  await standalone.waitForApiRequest((r) => r.path === '/__emulator/inbound');
  const socketClosed = once(socket, 'close');
  await standalone.close();
  await socketClosed;
  await expect(fetch(`${standalone.apiBaseUrl}/__emulator/health`)).rejects.toThrow();
});
