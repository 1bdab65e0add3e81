import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, postgresBackend } from '../helpers/databases.ts';
import { API_TOKEN, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD } from '../helpers/console.ts';

/** The log smsdesk writes, line by line, and the setup code its start-up line gives. */
function capturedLog() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const setupCode = () => {
    const m = lines.join('').match(/enter the setup code ([0-9A-Z]{4}-[0-9A-Z]{4}) to create the first admin/);
    if (!m) throw new Error(`no setup code in the log:\n${lines.join('')}`);
    return m[1]!;
  };
  return { lines, logger, setupCode };
}

const post = (h: Harness, body: Record<string, unknown>) =>
  fetch(`${h.smsdesk.url}/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const needed = async (h: Harness) => ((await (await fetch(`${h.smsdesk.url}/auth/setup`)).json()) as { needed: boolean }).needed;
const admin = (code: string, email = 'ana@example.com') => ({ code, email, name: 'Ana', password: PASSWORD });
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const wrongCodeOf = (code: string) => (code.startsWith('0') ? '1' : '0') + code.slice(1);

describe.each(backends)('first admin with the setup code on $name', (backend) => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.reverse()) await h.close();
    open.length = 0;
  });
  const start = async (log = capturedLog(), db?: Harness['db']) => {
    const h = await startHarness(backend, { db, smsdesk: { logger: log.logger } });
    open.push(h);
    return h;
  };

  it('prints a one-time code at start; a wrong code is 403, the right one makes an admin and signs them in, a second setup is 409', async () => {
    const log = capturedLog();
    const h = await start(log);
    const code = log.setupCode();
    expect(log.lines.join('')).toContain(`open ${h.smsdesk.publicUrl}/ and enter the setup code ${code}`);
    expect(await needed(h)).toBe(true);

    const wrong = await post(h, admin(wrongCodeOf(code)));
    expect(wrong.status).toBe(403);
    expect(await errorCode(wrong)).toBe('invalid_setup_code');
    const weak = await post(h, { ...admin(code), password: 'short' });
    expect(weak.status).toBe(400);
    expect(await errorCode(weak)).toBe('weak_password');

    // Typed in lower case, without the dash: the same code.
    const made = await post(h, admin(code.toLowerCase().replace('-', '')));
    expect(made.status).toBe(200);
    const { user, csrfToken } = (await made.json()) as { user: { email: string; role: string }; csrfToken: string };
    expect(user).toMatchObject({ email: 'ana@example.com', name: 'Ana', role: 'admin' });
    const cookie = made.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^smsdesk_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/);
    const me = await fetch(`${h.smsdesk.url}/auth/me`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(await me.json()).toMatchObject({ user: { email: 'ana@example.com', role: 'admin' }, csrfToken });
    const signIn = await fetch(`${h.smsdesk.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ana@example.com', password: PASSWORD }) });
    expect(signIn.status).toBe(200);

    expect(await needed(h)).toBe(false);
    const again = await post(h, admin(code, 'eve@example.com'));
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('setup_done');
    expect((await h.api<{ users: unknown[] }>('/api/v1/users')).body.users).toHaveLength(1);
    // The code is the one secret the log carries: not the password, the session or the API token.
    const logged = log.lines.join('');
    for (const secret of [PASSWORD, cookie.split(';')[0]!.split('=')[1]!, csrfToken, API_TOKEN]) expect(logged).not.toContain(secret);
  }, 60_000);

  it('makes one admin when setups race', async () => {
    const log = capturedLog();
    const h = await start(log);
    const code = log.setupCode();
    const results = await Promise.all(Array.from({ length: 3 }, (_, i) => post(h, admin(code, `admin${i}@example.com`))));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    expect((await h.api<{ users: unknown[] }>('/api/v1/users')).body.users).toHaveLength(1);
  }, 60_000);

  it('counts every attempt before checking it: the 11th from one address within 15 minutes is 429, the right code included', async () => {
    const log = capturedLog();
    const h = await start(log);
    const code = log.setupCode();
    const guesses = await Promise.all(Array.from({ length: 16 }, () => post(h, admin(wrongCodeOf(code)))));
    expect(guesses.map((r) => r.status).sort()).toEqual([...Array(10).fill(403), ...Array(6).fill(429)]);
    const right = await post(h, admin(code));
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await errorCode(right)).toBe('too_many_attempts');
    expect(await needed(h)).toBe(true);
  }, 60_000);

  it('offers no setup when a user exists at start, and prints no code', async () => {
    const first = await start();
    await addUser(first, 'ana@example.com');
    await first.stopSmsdesk();
    const log = capturedLog();
    const h = await start(log, first.db);
    expect(log.lines.join('')).not.toMatch(/setup code/);
    expect(await needed(h)).toBe(false);
    const res = await post(h, admin('AAAA-AAAA'));
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('setup_done');
  }, 60_000);
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('first admin with several instances on one PostgreSQL', () => {
  it('makes one admin when each instance takes its own code at once', async () => {
    const logA = capturedLog();
    const a = await startHarness(postgresBackend, { smsdesk: { logger: logA.logger } });
    const logB = capturedLog();
    const b = await startHarness(postgresBackend, { db: { ...a.db, sql: await a.db.connectAgain!() }, smsdesk: { logger: logB.logger } });
    try {
      // Each code is valid only on the instance that printed it.
      expect((await post(b, admin(logA.setupCode()))).status).toBe(403);
      // Both inserts are made to wait behind one lock, then go at the same moment.
      const blocker = await a.db.connectAgain!();
      let setups: Promise<Response[]> | null = null;
      await blocker.transaction(async (tx) => {
        await tx.query('LOCK TABLE users IN SHARE MODE');
        setups = Promise.all([post(a, admin(logA.setupCode(), 'a@example.com')), post(b, admin(logB.setupCode(), 'b@example.com'))]);
        const waiting = async () => (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'users'::regclass AND NOT granted`))[0]!.n;
        await expect.poll(waiting, { timeout: 30_000 }).toBe(2);
      });
      const results = await setups!;
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect((await a.api<{ users: unknown[] }>('/api/v1/users')).body.users).toHaveLength(1);
    } finally {
      await b.close();
      await a.close();
    }
  }, 60_000);
});
