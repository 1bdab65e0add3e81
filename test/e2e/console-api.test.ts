import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, OTHER_CUSTOMER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD, signIn } from '../helpers/console.ts';

interface Conversation { ticketId: number; status: string; unread: boolean; contact: { phone: string }; lastMessage: { body: string } | null }

/** The console's side of the API: sign-in, sessions and CSRF, roles, tokens, the inbox, live events, uploads. */
describe('console API', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('signs in with email and password, keeps the session in an HttpOnly cookie, and signs out', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const res = await fetch(`${h.smsdesk.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ANA@example.com', password: PASSWORD }) });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^smsdesk_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/);
    const browser = await signIn(h, 'ana@example.com');
    const me = await browser.call<{ user: { email: string; role: string }; csrfToken: string }>('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: 'ana@example.com', role: 'admin' });
    expect(me.body.csrfToken).toBe(browser.csrfToken);
    expect((await browser.call('/api/v1/tickets')).status).toBe(200);
    expect((await browser.call('/auth/logout', { method: 'POST' })).status).toBe(204);
    expect((await browser.call('/auth/me')).status).toBe(401);
    expect((await browser.call('/api/v1/tickets')).status).toBe(401);
    // The session cookie is no token: a forged or stale one is just unauthorized.
    expect((await fetch(`${h.smsdesk.url}/api/v1/tickets`, { headers: { cookie: 'smsdesk_session=forged' } })).status).toBe(401);
  });

  it('refuses a wrong password with one message for unknown emails too, and throttles guessing', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const attempt = (email: string, password: string) =>
      fetch(`${h.smsdesk.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const wrong = await attempt('ana@example.com', 'not the password');
    const unknown = await attempt('nobody@example.com', 'not the password');
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(await wrong.json()).toEqual(await unknown.json());
    for (let i = 0; i < 9; i++) await attempt('ana@example.com', 'still wrong');
    const blocked = await attempt('ana@example.com', PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('too_many_attempts');
  }, 60_000);

  it('refuses writes from a session without its CSRF token, and admin actions from agents', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com', 'admin');
    await addUser(h, 'bo@example.com', 'agent', 'Bo');
    const ana = await signIn(h, 'ana@example.com');
    const bo = await signIn(h, 'bo@example.com');
    const change = { threading: { windowMinutes: 5 } };
    const forged = await ana.call<{ error: { code: string } }>('/api/v1/settings', { method: 'PATCH', body: change, csrf: false });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('csrf_token_invalid');
    const stolen = await fetch(`${h.smsdesk.url}/api/v1/settings`, {
      method: 'PATCH', headers: { cookie: ana.cookie, 'content-type': 'application/json', 'x-csrf-token': bo.csrfToken }, body: JSON.stringify(change),
    });
    expect(stolen.status).toBe(403); // another session's token is no good either
    const agent = await bo.call<{ error: { code: string } }>('/api/v1/settings', { method: 'PATCH', body: change });
    expect(agent.status).toBe(403);
    expect(agent.body.error.code).toBe('admin_only');
    expect((await bo.call('/api/v1/settings')).status).toBe(200);
    expect((await bo.call('/api/v1/users')).status).toBe(403);
    const ok = await ana.call<{ threading: { windowMinutes: number } }>('/api/v1/settings', { method: 'PATCH', body: change });
    expect(ok.status).toBe(200);
    expect(ok.body.threading.windowMinutes).toBe(5);
  });

  it('applies a threading change made in the console to the next text, and refuses a bad pattern clearly', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    await h.text(CUSTOMER, NUMBER, 'first');
    await h.idle();
    await h.text(CUSTOMER, NUMBER, 'second');
    await h.idle();
    const ticketsOf = async () => (await h.api<{ tickets: unknown[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`)).body.tickets.length;
    expect(await ticketsOf()).toBe(1);
    const off = await ana.call('/api/v1/settings', { method: 'PATCH', body: { threading: { windowMinutes: 0 } } });
    expect(off.status).toBe(200);
    await h.text(CUSTOMER, NUMBER, 'third');
    await h.idle();
    expect(await ticketsOf()).toBe(2);
    const bad = await ana.call<{ error: { code: string; message: string } }>('/api/v1/settings', { method: 'PATCH', body: { threading: { ticketIdPattern: 'ticket \\d+' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_ticket_id_pattern' });
    expect(bad.body.error.message).toMatch(/capture group/);
    const settings = await ana.call<{ threading: { windowMinutes: number; ticketIdPattern: string } }>('/api/v1/settings');
    expect(settings.body.threading).toEqual({ windowMinutes: 0, ticketIdPattern: '#(\\d+)' });
  });

  it("keeps each ticket's status changes: who changed it (an agent, or the customer's text reopening it) and when", async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    await h.text(CUSTOMER, NUMBER, 'help #1');
    await h.idle();
    const { ticketId } = (await ana.call<{ conversations: Conversation[] }>('/api/v1/conversations')).body.conversations[0]!;
    expect((await ana.call(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'resolved' } })).status).toBe(200);
    await h.text(CUSTOMER, NUMBER, `still broken, see #${ticketId}`);
    await h.idle();
    const history = await ana.call<{ statusChanges: { status: string; previous: string; changedBy: string; at: string }[] }>(`/api/v1/tickets/${ticketId}/history`);
    expect(history.body.statusChanges.map(({ status, previous, changedBy }) => ({ status, previous, changedBy }))).toEqual([
      { status: 'resolved', previous: 'open', changedBy: 'Ana Agent' },
      { status: 'open', previous: 'resolved', changedBy: 'a text from the customer' },
    ]);
  });

  it('mints API tokens that work as bearer tokens until revoked, showing each once', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    const minted = await ana.call<{ id: number; token: string; name: string }>('/api/v1/tokens', { method: 'POST', body: { name: 'CRM sync' } });
    expect(minted.status).toBe(201);
    expect(minted.body.token).toMatch(/^smsd_/);
    const bearer = () => fetch(`${h.smsdesk.url}/api/v1/tickets`, { headers: { authorization: `Bearer ${minted.body.token}` } });
    expect((await bearer()).status).toBe(200);
    const list = await ana.call<{ tokens: Record<string, unknown>[] }>('/api/v1/tokens');
    expect(list.body.tokens).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(minted.body.token);
    expect(list.body.tokens[0]).toMatchObject({ name: 'CRM sync', revokedAt: null });
    expect(list.body.tokens[0]!.lastUsedAt).not.toBeNull();
    expect((await ana.call(`/api/v1/tokens/${minted.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await bearer()).status).toBe(401);
  });

  it('lists conversations with unread markers, filters and search, and marks them read per user', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    await h.text(CUSTOMER, NUMBER, 'My parcel never arrived');
    await h.text(OTHER_CUSTOMER, NUMBER, 'Question about billing');
    await h.idle();
    const list = async (query = '') => (await ana.call<{ conversations: Conversation[] }>(`/api/v1/conversations${query}`)).body.conversations;
    const all = await list();
    expect(all.map((c) => c.contact.phone).sort()).toEqual([CUSTOMER, OTHER_CUSTOMER].sort());
    expect(all.every((c) => c.unread && c.status === 'open')).toBe(true);
    expect((await list('?q=parcel')).map((c) => c.contact.phone)).toEqual([CUSTOMER]);
    expect((await list(`?q=${encodeURIComponent('(415) 555-0111')}`)).map((c) => c.contact.phone)).toEqual([OTHER_CUSTOMER]);
    expect(await list('?status=closed')).toEqual([]);
    const parcel = all.find((c) => c.contact.phone === CUSTOMER)!;
    expect(parcel.lastMessage!.body).toBe('My parcel never arrived');
    expect((await ana.call(`/api/v1/conversations/${parcel.ticketId}/read`, { method: 'POST' })).status).toBe(204);
    expect((await list()).find((c) => c.ticketId === parcel.ticketId)!.unread).toBe(false);
    await h.text(CUSTOMER, NUMBER, 'Hello?');
    await h.idle();
    expect((await list()).find((c) => c.ticketId === parcel.ticketId)!.unread).toBe(true);
  });

  it('streams live events to a signed-in browser when a text arrives', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    const controller = new AbortController();
    const res = await fetch(`${h.smsdesk.url}/api/v1/events`, { headers: { cookie: ana.cookie }, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let seen = '';
    const read = (async () => {
      while (!seen.includes('"direction":"inbound","status":"received"') || !/"id":\d+,"ticketId":\d+,"direction":"inbound"/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += Buffer.from(value).toString('utf8');
      }
    })();
    await h.text(CUSTOMER, NUMBER, 'live?');
    await h.idle();
    await read;
    controller.abort();
    expect(seen).toContain('event: message\ndata: {"direction":"inbound","status":"received"}');
  });

  it('takes a composer upload and serves it at a signed link Twilio can fetch, refusing what MMS cannot carry', async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 5)]);
    const up = await ana.call<{ url: string; size: number }>('/api/v1/uploads', { method: 'POST', raw: { bytes: png, type: 'image/png' } });
    expect(up.status).toBe(201);
    const fetched = await fetch(up.body.url);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await fetched.arrayBuffer()).equals(png)).toBe(true);
    const exe = await ana.call<{ error: { code: string } }>('/api/v1/uploads', { method: 'POST', raw: { bytes: Buffer.from('MZ'), type: 'application/x-msdownload' } });
    expect(exe.status).toBe(400);
    expect(exe.body.error.code).toBe('unsupported_media_type');
    const tooBig = await ana.call('/api/v1/uploads', { method: 'POST', raw: { bytes: Buffer.alloc(6 * 1024 * 1024), type: 'image/jpeg' } });
    expect(tooBig.status).toBe(413);
  });

  it("tells the composer a customer's opt-outs and filters the SMS log", async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com');
    const ana = await signIn(h, 'ana@example.com');
    await h.text(CUSTOMER, NUMBER, 'hi');
    await h.text(OTHER_CUSTOMER, NUMBER, 'STOP');
    await h.idle();
    const optOuts = await ana.call<{ optOuts: { sender: string; keyword: string }[] }>(`/api/v1/opt-outs?phone=${encodeURIComponent(OTHER_CUSTOMER)}`);
    expect(optOuts.body.optOuts).toMatchObject([{ sender: NUMBER, keyword: 'STOP' }]);
    expect((await ana.call<{ optOuts: unknown[] }>(`/api/v1/opt-outs?phone=${encodeURIComponent(CUSTOMER)}`)).body.optOuts).toEqual([]);
    const log = async (q: string) => (await ana.call<{ messages: { body: string }[] }>(`/api/v1/messages?${q}`)).body.messages.map((m) => m.body);
    expect((await log(`number=${encodeURIComponent(NUMBER)}`)).sort()).toEqual(['STOP', 'hi']);
    const today = new Date().toISOString().slice(0, 10);
    expect(await log(`since=${today}&until=${today}&status=received`)).toHaveLength(2);
    expect(await log('until=2000-01-01')).toEqual([]);
  });
});

describe('smsdesk user add', () => {
  it('creates the first admin from the command line, password from stdin', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'smsdesk-user-'));
    try {
      const run = (args: string[], input: string) => new Promise<{ code: number; out: string }>((resolve) => {
        const child = execFile(process.execPath, ['bin/smsdesk.js', 'user', 'add', ...args], { env: { ...process.env, DATA_DIR: dataDir } }, (err, stdout, stderr) =>
          resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, out: stdout + stderr }));
        child.stdin!.end(input);
      });
      const weak = await run(['--email', 'ana@example.com', '--name', 'Ana', '--admin', '--password-stdin'], 'short\n');
      expect(weak.code).toBe(2);
      expect(weak.out).toMatch(/at least 10 characters/);
      const made = await run(['--email', 'ana@example.com', '--name', 'Ana', '--admin', '--password-stdin'], `${PASSWORD}\n`);
      expect(made.out).toMatch(/created admin ana@example.com/);
      expect(made.code).toBe(0);
      const twice = await run(['--email', 'ana@example.com', '--name', 'Ana', '--password-stdin'], `${PASSWORD}\n`);
      expect(twice.code).toBe(2);
      expect(twice.out).toMatch(/exists already/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

