import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../helpers/databases.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD } from '../helpers/console.ts';
import { createLogger } from '../../src/smsdesk.ts';
import { hashPassword } from '../../src/domain/passwords.ts';

interface ErrorBody { error: { code: string; message: string } }

/**
 * The sign-in throttle: attempts are counted before the password is checked (so concurrent guesses cannot
 * overtake the count), per email from one client address and per address, with the client address taken
 * from X-Forwarded-For only when TRUST_PROXY says so, and emails keyed as the user store compares them.
 */
describe.each(backends)('sign-in throttle on $name', (backend: Backend) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((x) => x.close()));
  });
  const start = async (env: Record<string, string> = {}, logLines?: string[]) => {
    const logger = logLines ? createLogger('info', { write: (line: string) => void logLines.push(line) }) : undefined;
    const h = await startHarness(backend, { env, smsdesk: logger ? { logger } : {} });
    harnesses.push(h);
    return h;
  };
  const attempt = async (h: Harness, email: string, password: string, forwardedFor?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
    const res = await fetch(`${h.smsdesk.url}/auth/login`, { method: 'POST', headers, body: JSON.stringify({ email, password }) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as ErrorBody };
  };
  const statuses = (results: { status: number }[]) => {
    const counts: Record<number, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  };

  it('checks exactly 10 of 60 concurrent wrong passwords for one email; the other 50 are refused unchecked', async () => {
    const h = await start();
    await addUser(h, 'ana@example.com');
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(h, 'ana@example.com', `wrong guess ${i}`)));
    // A 401 is a password that was checked; a 429 one that was not.
    expect(statuses(results)).toEqual({ 401: 10, 429: 50 });
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.body.error.code).toBe('too_many_attempts');
    expect(refused.body.error.message).toMatch(/^Too many failed sign-ins for ana@example\.com; try again in \d+ min, or ask an admin\.$/);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(15 * 60);
    // Even the right password now waits out the window.
    expect((await attempt(h, 'ana@example.com', PASSWORD)).status).toBe(429);
  }, 180_000);

  it('with TRUST_PROXY, a flood of failures from one client address keeps out only that address', async () => {
    const logLines: string[] = [];
    // The tests' requests come from 127.0.0.1: here, the reverse proxy.
    const h = await start({ TRUST_PROXY: '127.0.0.1' }, logLines);
    await addUser(h, 'ana@example.com');
    const attacker = '203.0.113.7';
    const flood: { status: number }[] = [];
    for (let round = 0; round < 10; round++) {
      flood.push(...(await Promise.all(Array.from({ length: 10 }, () => attempt(h, `${randomBytes(6).toString('hex')}@example.com`, 'guess', attacker)))));
    }
    expect(statuses(flood)).toEqual({ 401: 100 });
    const blocked = await attempt(h, 'ana@example.com', PASSWORD, attacker);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.message).toMatch(/^Too many failed sign-ins from this network address; try again in \d+ min\.$/);
    // Ana, from her own address behind the same proxy, is not kept out.
    expect((await attempt(h, 'ana@example.com', PASSWORD, '198.51.100.9')).status).toBe(200);
    // The log names the client, not the proxy.
    const logged = logLines.map((l) => JSON.parse(l) as { req?: { url?: string; remoteAddress?: string } }).filter((l) => l.req?.url === '/auth/login');
    expect(logged.map((l) => l.req!.remoteAddress)).toContain('198.51.100.9');
    expect(logged.map((l) => l.req!.remoteAddress)).not.toContain('127.0.0.1');
  }, 600_000);

  it('without TRUST_PROXY, X-Forwarded-For is ignored: a new header per guess does not reset the count', async () => {
    const h = await start();
    await addUser(h, 'ana@example.com');
    for (let i = 0; i < 10; i++) expect((await attempt(h, 'ana@example.com', 'wrong', `198.51.100.${i + 1}`)).status).toBe(401);
    expect((await attempt(h, 'ana@example.com', PASSWORD, '198.51.100.200')).status).toBe(429);
  }, 180_000);

  it('counts every spelling of an email that reaches the account as that email (İ, case, width)', async () => {
    const h = await start();
    await addUser(h, 'kim@example.com');
    // The spellings reach the account: the user store and the throttle key them alike.
    expect((await attempt(h, 'KİM@Example.com', PASSWORD)).status).toBe(200);
    const spellings = ['KİM@example.com', 'kİm@example.com', 'ｋｉｍ@example.com', 'KIM@EXAMPLE.COM', 'kim@example.com'];
    for (let i = 0; i < 10; i++) expect((await attempt(h, spellings[i % spellings.length]!, 'wrong')).status).toBe(401);
    const refused = await attempt(h, 'kim@example.com', PASSWORD);
    expect(refused.status).toBe(429);
    expect((await attempt(h, 'kİm@example.com', PASSWORD)).status).toBe(429);
  }, 180_000);

  it('a user stored before email keys existed still signs in (the migration keys existing users)', async () => {
    const db = await backend.open();
    try {
      // The schema as it was before migration 12 (sign-in throttle, email keys), with a user in it.
      await db.sql.exec(`
        DROP TABLE sign_in_attempts;
        DROP INDEX users_by_email_key;
        ALTER TABLE users DROP COLUMN email_key;
        DELETE FROM schema_migrations WHERE version = 12;
      `);
      await db.sql.query("INSERT INTO users (email, name, role, password_hash) VALUES ('bo@example.com', 'Bo', 'agent', $1)", [await hashPassword(PASSWORD)]);
      const h = await startHarness(backend, { db });
      harnesses.push(h);
      expect((await attempt(h, 'BO@example.com', PASSWORD)).status).toBe(200);
    } finally {
      await Promise.all(harnesses.splice(0).map((x) => x.close()));
      await db.cleanup();
    }
  }, 180_000);
});
