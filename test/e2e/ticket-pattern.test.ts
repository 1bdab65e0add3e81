import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, signIn } from '../helpers/console.ts';
import { startHarnessChild, type HarnessChild } from '../helpers/harness-process.ts';
import { postSigned, smsParams } from '../helpers/webhook.ts';

interface ApiError { error: { code: string; message: string } }
interface MessageJson { body: string; ticketId: number | null; routing: { rule: string; reason: string } | null }

/**
 * TICKET_ID_PATTERN is matched with RE2 (linear time). With a backtracking RegExp an admin's `(a+)+$` held the
 * event loop 14.7 s for a 31-character text; at 60 characters it would be years. smsdesk runs in a child process
 * here, so that a stuck event loop fails this test by its timeout instead of freezing the test's own timers.
 */
describe('a catastrophic ticket-number pattern saved in Settings', () => {
  let child: HarnessChild;
  // Started before the test, so that its 30 s are the server's, not the child's start-up.
  beforeAll(async () => {
    child = await startHarnessChild();
  });
  afterAll(async () => child?.stop());

  it('does not stall smsdesk: the text is routed and /healthz answers meanwhile', async () => {
    const url = child.url;
    const ana = await signIn(child, 'ana@example.com');
    const saved = await ana.call<{ threading: { ticketIdPattern: string } }>('/api/v1/settings', { method: 'PATCH', body: { threading: { ticketIdPattern: '(a+)+$' } } });
    expect(saved.status).toBe(200);
    expect(saved.body.threading.ticketIdPattern).toBe('(a+)+$');

    const body = `${'a'.repeat(60)}!`;
    const ack = await postSigned(`${url}/webhooks/twilio/messages`, smsParams({ Body: body }));
    expect(ack.status).toBe(200);
    const messages = async () => {
      const res = await fetch(`${url}/api/v1/messages?phone=${encodeURIComponent(CUSTOMER)}`, { headers: { cookie: ana.cookie } });
      return ((await res.json()) as { messages: MessageJson[] }).messages;
    };
    // Both requests go to the server while the routing job matches the pattern against the text.
    const [health] = await Promise.all([
      fetch(`${url}/healthz`).then(async (r) => [r.status, await r.json()]),
      expect.poll(async () => (await messages())[0]?.routing?.rule, { timeout: 20_000 }).toBe('new'),
    ]);
    expect(health).toEqual([200, { status: 'ok' }]);
    const [routed] = await messages();
    expect(routed).toMatchObject({ body, ticketId: expect.any(Number) });
  });
});

describe('Settings: ticket-number patterns RE2 cannot run', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('refuses a backreference or lookaround with 400 saying why, and keeps the pattern in force', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    const cases: [string, RegExp][] = [
      ['#(\\d)\\1', /^ticketIdPattern: uses a backreference \(`\\1`\), which RE2 does not support: ticket-number patterns are matched with RE2, in time proportional to the text/],
      ['#(?!0)(\\d+)', /^ticketIdPattern: uses lookaround .* which RE2 does not support/],
      ['(?<=#)(\\d+)', /^ticketIdPattern: uses lookaround/],
    ];
    for (const [pattern, message] of cases) {
      const bad = await ana.call<ApiError>('/api/v1/settings', { method: 'PATCH', body: { threading: { ticketIdPattern: pattern } } });
      expect([bad.status, bad.body.error.code], pattern).toEqual([400, 'invalid_ticket_id_pattern']);
      expect(bad.body.error.message, pattern).toMatch(message);
    }
    const settings = await ana.call<{ threading: { ticketIdPattern: string } }>('/api/v1/settings');
    expect(settings.body.threading.ticketIdPattern).toBe('#(\\d+)');
  }, 60_000); // signing in hashes with scrypt: slow on a busy 2-core machine

  it('a pattern in RE2 syntax finds the ticket: (?i) and named groups', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    await h.text(CUSTOMER, NUMBER, 'my printer is broken');
    await h.idle();
    const [{ ticketId }] = (await h.api<{ messages: MessageJson[] }>('/api/v1/messages')).body.messages as [MessageJson];
    expect((await ana.call('/api/v1/settings', { method: 'PATCH', body: { threading: { windowMinutes: 0, ticketIdPattern: '(?i)ticket (?P<id>\\d+)' } } })).status).toBe(200);
    await h.text(CUSTOMER, NUMBER, `About TICKET ${ticketId}: still broken`);
    await h.idle();
    const messages = (await h.api<{ messages: MessageJson[] }>('/api/v1/messages')).body.messages;
    expect(messages[1]).toMatchObject({ ticketId, routing: { rule: 'pattern' } });
  }, 60_000);
});
