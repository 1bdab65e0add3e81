import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/databases.ts';
import { ACCOUNT, CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { newSid, postSigned, smsParams } from '../helpers/webhook.ts';

interface Stats { messages: { inbound: number; routed: number }; jobs: { ready: number; running: number; failed: number } }

describe.each(backends)('inbound webhook on $name', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const webhookUrl = () => `${h.smsdesk.url}/webhooks/twilio/messages`;
  const stats = async () => (await h.api<Stats>('/api/v1/stats')).body;

  it('stores a signed text, answers empty TwiML, and puts it on a new ticket', async () => {
    h = await startHarness(backend);
    const res = await h.text(CUSTOMER, NUMBER, 'My order is late');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/xml/);
    expect(res.body).toContain('<Response/>');
    await h.idle();
    const { body } = await h.api<{ tickets: { id: number; subject: string; status: string; twilioNumber: string; requester: { phone: string; name: string } }[] }>(
      `/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`,
    );
    expect(body.tickets).toHaveLength(1);
    expect(body.tickets[0]).toMatchObject({
      subject: 'My order is late', status: 'open', twilioNumber: NUMBER,
      requester: { phone: CUSTOMER, name: '+1 415 555 0100' },
    });
  });

  it('refuses a missing, forged or foreign signature with 403 and stores nothing', async () => {
    h = await startHarness(backend);
    const missing = await h.text(CUSTOMER, NUMBER, 'no signature', { omitSignature: true });
    const forged = await h.text(CUSTOMER, NUMBER, 'forged', { signWith: 'b'.repeat(32) });
    const unknownAccount = await postSigned(webhookUrl(), smsParams({ AccountSid: 'AC' + '9'.repeat(32) }));
    const noAccount = await postSigned(webhookUrl(), smsParams({ AccountSid: undefined }));
    const tampered = smsParams();
    const sig = (await import('../../src/adapters/twilio/emulator/index.ts')).twilioSignature(ACCOUNT.authToken, webhookUrl(), tampered);
    const altered = await postSigned(webhookUrl(), { ...tampered, Body: 'changed after signing' }, { signature: sig });
    for (const r of [missing, forged, unknownAccount, noAccount, altered]) expect(r.status).toBe(403);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'invalid_signature' } });
    expect((await stats()).messages.inbound).toBe(0);
  });

  it('validates against PUBLIC_URL + path + query, as Twilio signs behind a proxy', async () => {
    h = await startHarness(backend, { env: { PUBLIC_URL: 'https://sms.example.com' } });
    const target = `${h.smsdesk.url}/webhooks/twilio/messages?tenant=acme`;
    const good = await postSigned(target, smsParams(), { signedUrl: 'https://sms.example.com/webhooks/twilio/messages?tenant=acme' });
    const localUrl = await postSigned(target, smsParams(), { signedUrl: target });
    const noQuery = await postSigned(target, smsParams(), { signedUrl: 'https://sms.example.com/webhooks/twilio/messages' });
    expect([good.status, localUrl.status, noQuery.status]).toEqual([200, 403, 403]);
  });

  it('stores a repeated MessageSid once and still answers 200', async () => {
    h = await startHarness(backend);
    const first = await h.text(CUSTOMER, NUMBER, 'once only');
    const retries = await Promise.all([1, 2, 3].map(() => h.text(CUSTOMER, NUMBER, 'once only', { messageSid: first.messageSid })));
    expect([first, ...retries].map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await h.idle();
    expect((await stats()).messages).toEqual({ inbound: 1, routed: 1 });
    const { body } = await h.api<{ tickets: { notes: unknown[] }[] }>('/api/v1/tickets');
    expect(body.tickets).toHaveLength(1);
    expect(body.tickets[0]!.notes).toHaveLength(0);
  });

  it.each([
    ['no From', { From: undefined }, /From/],
    ['no To', { To: '' }, /To/],
    ['NumMedia not a number', { NumMedia: 'abc' }, /NumMedia/],
    ['NumMedia over 10', { NumMedia: '11' }, /NumMedia/],
    ['MediaUrl missing', { NumMedia: '2', MediaUrl0: 'https://api.twilio.com/x' }, /MediaUrl1/],
    ['MediaUrl not http', { NumMedia: '1', MediaUrl0: 'file:///etc/passwd' }, /MediaUrl0/],
    ['absurd Body', { Body: 'x'.repeat(20_000) }, /Body/],
    ['bad MessageSid', { MessageSid: 'nope' }, /MessageSid/],
  ])('answers 400 to a malformed webhook (%s) and stores nothing', async (_name, overrides, field) => {
    h = await startHarness(backend);
    const res = await postSigned(webhookUrl(), smsParams(overrides));
    expect(res.status).toBe(400);
    const error = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(error.error.code).toBe('malformed_webhook');
    expect(error.error.message).toMatch(field);
    expect((await stats()).messages.inbound).toBe(0);
  });

  it('stores a text carrying a NUL byte (PostgreSQL cannot), replacing the NUL', async () => {
    h = await startHarness(backend);
    const res = await postSigned(webhookUrl(), smsParams({ Body: 'before\u0000after' }));
    expect(res.status).toBe(200);
    await h.idle();
    const { body } = await h.api<{ messages: { body: string }[] }>('/api/v1/messages');
    expect(body.messages.map((m) => m.body)).toEqual(['before\uFFFDafter']);
  });

  it('answers 400 to a body that is not a form, and 413 to an absurdly large one', async () => {
    h = await startHarness(backend);
    const json = await fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBeGreaterThanOrEqual(400);
    expect(json.status).toBeLessThan(500);
    const huge = await postSigned(webhookUrl(), smsParams({ Body: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
    expect((await stats()).messages.inbound).toBe(0);
  });

  it('answers 503 when the database is gone, so Twilio retries', async () => {
    h = await startHarness(backend);
    await h.stopSmsdesk();
    const again = await startHarness(backend, { db: h.db });
    await h.db.sql.close();
    const res = await again.text(CUSTOMER, NUMBER, 'while the database is down', { messageSid: newSid() });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'database_unavailable' } });
    const health = await fetch(`${again.smsdesk.url}/healthz`);
    expect(health.status).toBe(503);
    await again.close();
  });

  it('serves /healthz without auth and the API only with the bearer token', async () => {
    h = await startHarness(backend);
    const health = await fetch(`${h.smsdesk.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    expect((await h.api('/api/v1/tickets', { token: null })).status).toBe(401);
    const wrong = await h.api<{ error: { code: string } }>('/api/v1/tickets', { token: 'wrong' });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'unauthorized']);
    expect((await h.api('/api/v1/tickets')).status).toBe(200);
  });
});
