import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { UserStore } from '../ports/user-store.ts';
import ipaddr from 'ipaddr.js';
import type { SignInThrottle } from '../ports/sign-in-throttle.ts';
import { verifyPassword } from '../domain/passwords.ts';
import { emailKey } from '../domain/email.ts';
import { AppError } from '../domain/errors.ts';
import { authenticate, clearSessionCookie, startSession, type AuthOptions } from './auth.ts';
import { sendError } from './errors.ts';

export interface SessionOptions {
  users: UserStore;
  throttle: SignInThrottle;
  auth: AuthOptions;
  /** Cookies get `Secure` when smsdesk is reached over https (PUBLIC_URL). */
  secureCookies: () => boolean;
}

const WINDOW_SECONDS = 15 * 60;
/**
 * Per email from one address: guessing one account's password. Per address: spraying many accounts. Never
 * per email alone, so a flood from one address cannot keep that user out elsewhere (set TRUST_PROXY behind
 * a reverse proxy, or every client shares the proxy's address).
 */
const MAX_ATTEMPTS = { emailFromAddress: 10, address: 100 };
/** Verifying against this hash when the email is unknown keeps both answers equally slow. */
const DUMMY_HASH = 'scrypt$131072$8$1$c21zZGVzay1kdW1teS1zYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/**
 * The client's address as the throttle counts it: IPv4 (also when mapped into IPv6), or an IPv6 address's
 * /64, which one client usually holds whole (counting single addresses would give it 2^64 fresh ones).
 */
export function throttleAddress(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  return address.kind() === 'ipv6' ? `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`).toString()}/64` : address.toString();
}

/** Sign-in for the console: a session cookie (HttpOnly) and a CSRF token the page sends with each write. */
export async function sessions(app: FastifyInstance, opts: SessionOptions): Promise<void> {
  const body = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) });

  app.post('/auth/login', async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) return sendError(reply, 400, 'invalid_request', 'Send {"email", "password"}.');
    const { email, password } = parsed.data;
    // request.ip is the client's address (TRUST_PROXY names the proxies whose X-Forwarded-For is believed).
    const address = `address:${throttleAddress(request.ip)}`;
    const emailFromAddress = `email:${emailKey(email)} ${address}`;
    // The attempt is counted before the password is checked, so concurrent guesses cannot overtake the count.
    const reserved = await opts.throttle.reserve(
      [{ key: address, limit: MAX_ATTEMPTS.address }, { key: emailFromAddress, limit: MAX_ATTEMPTS.emailFromAddress }],
      WINDOW_SECONDS,
    );
    if (!reserved.ok) {
      const minutes = Math.ceil(reserved.retryAfterSeconds / 60);
      const byAddress = reserved.key === address;
      request.log.warn({ throttled: byAddress ? 'address' : 'email from address' }, 'sign-in refused: too many failed attempts');
      const message = byAddress
        ? `Too many failed sign-ins from this network address; try again in ${minutes} min.`
        : `Too many failed sign-ins for ${email.trim()}; try again in ${minutes} min, or ask an admin.`;
      return sendError(reply.header('retry-after', String(reserved.retryAfterSeconds)), 429, 'too_many_attempts', message);
    }
    const user = await opts.users.byEmail(email);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) return sendError(reply, 401, 'invalid_credentials', 'Wrong email or password.');
    // Signed in: this attempt is given back, and this email's failures from this address are forgotten.
    await opts.throttle.release(reserved.reservation, [emailFromAddress]);
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
