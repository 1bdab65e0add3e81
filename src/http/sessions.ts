import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { UserStore } from '../ports/user-store.ts';
import { verifyPassword } from '../domain/passwords.ts';
import { AppError } from '../domain/errors.ts';
import { authenticate, clearSessionCookie, startSession, type AuthOptions } from './auth.ts';
import { sendError } from './errors.ts';

export interface SessionOptions {
  users: UserStore;
  auth: AuthOptions;
  /** Cookies get `Secure` when smsdesk is reached over https (PUBLIC_URL). */
  secureCookies: () => boolean;
}

const WINDOW_MS = 15 * 60_000;
/** Per email: guessing one account's password. Per address: higher, as a proxy puts everyone behind one. */
const MAX_FAILURES = { email: 10, ip: 100 };
/** Verifying against this hash when the email is unknown keeps both answers equally slow. */
const DUMMY_HASH = 'scrypt$131072$8$1$c21zZGVzay1kdW1teS1zYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Failed sign-ins per email and per address, in a sliding window: the 11th for one email in 15 minutes is refused. */
class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  retryAfter(keys: string[]): number {
    const now = Date.now();
    let wait = 0;
    for (const key of keys) {
      const recent = (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
      this.failures.set(key, recent);
      if (recent.length >= MAX_FAILURES[key.startsWith('ip:') ? 'ip' : 'email']) wait = Math.max(wait, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
    }
    return wait;
  }

  fail(keys: string[]): void {
    for (const key of keys) this.failures.set(key, [...(this.failures.get(key) ?? []), Date.now()]);
  }

  clear(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}

/** Sign-in for the console: a session cookie (HttpOnly) and a CSRF token the page sends with each write. */
export async function sessions(app: FastifyInstance, opts: SessionOptions): Promise<void> {
  const throttle = new LoginThrottle();
  const body = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) });

  app.post('/auth/login', async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) return sendError(reply, 400, 'invalid_request', 'Send {"email", "password"}.');
    const { email, password } = parsed.data;
    const keys = [`email:${email.toLowerCase()}`, `ip:${request.ip}`];
    const wait = throttle.retryAfter(keys);
    if (wait > 0) {
      return sendError(reply.header('retry-after', String(wait)), 429, 'too_many_attempts', `Too many failed sign-ins; try again in ${Math.ceil(wait / 60)} min.`);
    }
    const user = await opts.users.byEmail(email);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      throttle.fail(keys);
      return sendError(reply, 401, 'invalid_credentials', 'Wrong email or password.');
    }
    throttle.clear(keys);
    const csrfToken = await startSession(opts.users, reply, user.id, opts.secureCookies());
    request.log.info({ userId: user.id }, 'signed in');
    return { user: { id: user.id, email: user.email, name: user.name, role: user.role }, csrfToken };
  });

  await app.register(async (scoped) => {
    scoped.addHook('onRequest', authenticate(opts.auth));

    scoped.get('/auth/me', async (request) => {
      const p = request.principal;
      if (p?.kind !== 'session') throw new AppError('unauthorized', 'unauthorized', 'Not signed in to the console (a bearer token is not a session).');
      return { user: p.user, csrfToken: p.csrfToken };
    });

    scoped.post('/auth/logout', async (request, reply) => {
      const p = request.principal;
      if (p?.kind === 'session') await opts.users.endSession(p.tokenHash);
      clearSessionCookie(reply, opts.secureCookies());
      return reply.code(204).send();
    });
  });
}
