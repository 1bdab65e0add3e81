import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { API_TOKEN, CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, signIn } from '../helpers/console.ts';
import { FakeZendesk } from '../fakes/zendesk.ts';

interface ApiError { error: { code: string; message: string } }

/** A JSON request with the body as written (so escapes such as \u0000 reach the server as sent). */
async function postJson(url: string, json: string, headers: Record<string, string> = {}): Promise<{ status: number; body: ApiError }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: json });
  return { status: res.status, body: (await res.json()) as ApiError };
}

describe('text no database or URL can carry: NUL and half surrogate pairs', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it.each([
    ['a NUL in the email of /auth/login', '/auth/login', '{"email": "ana\\u0000@example.com", "password": "correct horse battery"}', /^body\.email contains a NUL character/],
    ['a NUL in the password of /auth/login', '/auth/login', '{"email": "ana@example.com", "password": "x\\u0000"}', /^body\.password contains a NUL character/],
    ['a NUL in the body of a new message', '/api/v1/messages', `{"to": "${CUSTOMER}", "from": "${NUMBER}", "body": "hi\\u0000there"}`, /^body\.body contains a NUL/],
    ['a NUL in a key', '/api/v1/messages', `{"to": "${CUSTOMER}", "bo\\u0000dy": "hi"}`, /^body has a key that contains a NUL/],
    ['a NUL in a template name', '/api/v1/templates', '{"name": "Hi\\u0000", "body": "Hello"}', /^body\.name contains a NUL/],
    ['a lone surrogate in mediaUrls', '/api/v1/messages', `{"to": "${CUSTOMER}", "from": "${NUMBER}", "body": "pic", "mediaUrls": ["https://example.com/\\ud83d.jpg"]}`, /^body\.mediaUrls\.0 contains half of a UTF-16 surrogate pair/],
    ['a lone low surrogate in a body', '/api/v1/messages/preview', '{"body": "x\\udc00y"}', /^body\.body contains half of a UTF-16 surrogate pair/],
  ])('%s → 400 invalid_text, nothing stored', async (_name, path, json, message) => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const res = await postJson(h.smsdesk.url + path, json, path.startsWith('/api/') ? { authorization: `Bearer ${API_TOKEN}` } : {});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_text');
    expect(res.body.error.message).toMatch(message);
    const [{ n }] = await h.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages`) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('a NUL in the query string → 400 invalid_text', async () => {
    h = await startHarness(pgliteBackend);
    const res = await h.api<ApiError>('/api/v1/conversations?q=abc%00def');
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_text']);
    expect(res.body.error.message).toMatch(/^query\.q contains a NUL/);
  });

  it('whole emoji (surrogate pairs) pass', async () => {
    h = await startHarness(pgliteBackend);
    const res = await h.api<{ segments: number }>('/api/v1/messages/preview', { method: 'POST', body: { body: 'Thanks 🇫🇷👍🏽' } });
    expect([res.status, res.body.segments]).toEqual([200, 1]);
  });
});

describe('Zendesk webhook timestamps', () => {
  let h: Harness | undefined;
  let fake: FakeZendesk | undefined;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });
  const SECRET = 'zendesk-signing-secret';

  const deliver = (at: Date) => {
    const body = JSON.stringify({ ticket_id: '1' });
    const timestamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const signature = createHmac('sha256', SECRET).update(timestamp + body).digest('base64');
    return fetch(`${h!.smsdesk.url}/webhooks/helpdesk/zendesk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-zendesk-webhook-signature': signature, 'x-zendesk-webhook-signature-timestamp': timestamp },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as ApiError & { status?: string } }));
  };

  it('refuses a correctly signed event dated more than 5 minutes away (a replay) with 403, and takes a fresh one', async () => {
    fake = await new FakeZendesk().start();
    h = await startHarness(pgliteBackend, {
      env: { HELPDESK: 'zendesk', ZENDESK_URL: fake.url, ZENDESK_EMAIL: fake.email, ZENDESK_API_TOKEN: fake.apiToken, HELPDESK_WEBHOOK_SECRET: SECRET },
    });
    const now = Date.now();
    const old = await deliver(new Date(now - 10 * 60_000));
    expect(old.status).toBe(403);
    expect(old.body.error.code).toBe('invalid_signature');
    expect(old.body.error.message).toMatch(/more than 5 minutes from smsdesk's clock/);
    const future = await deliver(new Date(now + 10 * 60_000));
    expect(future.status).toBe(403);
    const fresh = await deliver(new Date(now - 60_000));
    expect([fresh.status, fresh.body.status]).toEqual([200, 'queued']);
  });
});

describe('console uploads', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('takes a text/plain file as its bytes', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    const bytes = Buffer.from('Opening hours: 9–17\n');
    const up = await ana.call<{ url: string; size: number; contentType: string }>('/api/v1/uploads', { method: 'POST', raw: { bytes, type: 'text/plain; charset=utf-8' } });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ size: bytes.length, contentType: 'text/plain' });
    const file = await fetch(up.body.url);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);
  });
});

describe('phone numbers however they are written', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('the sandbox stores a formatted From as E.164, and that customer\'s handset shows the text', async () => {
    h = await startHarness(pgliteBackend, { sandbox: true });
    const sent = await h.api('/sandbox/messages', { method: 'POST', body: { from: '+1 (415) 555-0123', to: NUMBER, body: 'typed with punctuation' } });
    expect(sent.status).toBe(200);
    await h.idle();
    const handset = await h.api<{ phone: string; messages: { direction: string; from: string; body: string }[] }>(`/sandbox/messages?phone=${encodeURIComponent('+14155550123')}`);
    expect(handset.body).toMatchObject({ phone: '+14155550123', messages: [{ direction: 'sent', from: '+14155550123', body: 'typed with punctuation' }] });
    const tickets = await h.api<{ tickets: { requester: { phone: string } }[] }>('/api/v1/tickets?phone=%2B14155550123');
    expect(tickets.body.tickets.map((t) => t.requester.phone)).toEqual(['+14155550123']);
    const bad = await h.api<ApiError>('/sandbox/messages', { method: 'POST', body: { from: '555-0123', to: NUMBER, body: 'x' } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_phone']);
    expect(bad.body.error.message).toMatch(/^from "555-0123" is not a phone number; use E\.164/);
  });

  it('every filter reads a number the same way: formatted, with an unencoded +, or a short code for a sender', async () => {
    h = await startHarness(pgliteBackend);
    await h.text(CUSTOMER, NUMBER, 'hello');
    await h.idle();
    // An unencoded "+" in a query string arrives as a space.
    for (const path of ['/api/v1/tickets?phone=+14155550100', '/api/v1/contacts?phone=%2B1%20(415)%20555-0100', '/api/v1/messages?phone=+14155550100', '/api/v1/opt-outs?phone=+14155550100']) {
      expect((await h.api(path)).status, path).toBe(200);
    }
    expect((await h.api<{ tickets: unknown[] }>('/api/v1/tickets?phone=+1%20415%20555%200100')).body.tickets).toHaveLength(1);
    // A Twilio number may be a short code.
    for (const path of ['/api/v1/messages?number=12345', '/api/v1/conversations?number=12345']) {
      expect((await h.api(path)).status, path).toBe(200);
    }
    for (const path of ['/api/v1/tickets?phone=12345', '/api/v1/opt-outs?phone=nope', '/api/v1/conversations?number=call%20me']) {
      const res = await h.api<ApiError>(path);
      expect([res.status, res.body.error.code], path).toEqual([400, 'invalid_phone']);
    }
  });
});
