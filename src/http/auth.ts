import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.ts';
import type { User, UserStore } from '../ports/user-store.ts';

export const SESSION_COOKIE = 'smsdesk_session';
export const SESSION_HOURS = 12;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling: an integration with a bearer token, or a person signed in to the console. A minted token
 * acts for the user who minted it (their current role); `user: null` is the operator's own token
 * (SMSDESK_API_TOKEN, DATA_DIR/api-token, or one minted with it), which is an admin.
 */
export type Principal = { kind: 'token'; user: User | null } | { kind: 'session'; user: User; csrfToken: string; tokenHash: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthOptions {
  /** Tokens from the configuration (SMSDESK_API_TOKEN, or the generated one). */
  apiTokens: () => readonly string[];
  /** Users, sessions and minted tokens; null: bearer tokens from the configuration only. */
  users: UserStore | null;
}

export const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest();

function sameSecret(a: string, b: string): boolean {
  // Comparing fixed-length digests keeps the comparison constant-time whatever the lengths.
  return timingSafeEqual(sha256(a), sha256(b));
}

/** A new random secret (session token, CSRF token, API token), URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The value of one cookie of the request. */
export function cookie(request: FastifyRequest, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

/**
 * An onRequest hook: `Authorization: Bearer <token>` (a configured token or one an admin minted), else the
 * console's session cookie, which for anything but GET/HEAD must come with the session's `X-CSRF-Token`
 * (a cross-site form or fetch cannot read it, so it cannot forge a write). 401 otherwise.
 */
export function authenticate(opts: AuthOptions): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (bearer) {
      const given = bearer[1]!;
      if (opts.apiTokens().some((t) => sameSecret(t, given))) {
        request.principal = { kind: 'token', user: null };
        return;
      }
      const owner = await opts.users?.useToken(sha256hex(given));
      if (owner) {
        request.principal = { kind: 'token', user: owner.user };
        return;
      }
      throw new AppError('unauthorized', 'unauthorized', 'The bearer token is not valid (or was revoked).');
    }
    const sessionToken = opts.users ? cookie(request, SESSION_COOKIE) : null;
    if (sessionToken && opts.users) {
      const tokenHash = sha256hex(sessionToken);
      const session = await opts.users.session(tokenHash, new Date(Date.now() + SESSION_HOURS * 3_600_000));
      if (session) {
        if (!SAFE_METHODS.has(request.method)) {
          const csrf = request.headers['x-csrf-token'];
          if (typeof csrf !== 'string' || !sameSecret(csrf, session.csrfToken)) {
            throw new AppError('forbidden', 'csrf_token_invalid', 'Send the X-CSRF-Token header that /auth/me gives (reload the page).');
          }
        }
        request.principal = { kind: 'session', user: session.user, csrfToken: session.csrfToken, tokenHash };
        return;
      }
    }
    throw new AppError('unauthorized', 'unauthorized',
      'Sign in to the console, or send Authorization: Bearer <token> (SMSDESK_API_TOKEN, the token in DATA_DIR/api-token, or one an admin minted).');
  };
}

/** Admins only: a signed-in admin, the operator's token, or a token minted by a user who is an admin. */
export function requireAdmin(request: FastifyRequest): void {
  const p = request.principal;
  if (p && (p.user === null || p.user.role === 'admin')) return;
  throw new AppError('forbidden', 'admin_only', 'Only admins can do this.');
}

/** Signs `userId` in: a new session (kept hashed), its cookie on `reply`; resolves to its CSRF token. */
export async function startSession(users: UserStore, reply: FastifyReply, userId: number, secure: boolean): Promise<string> {
  const token = newSecret();
  const csrfToken = newSecret();
  await users.createSession(userId, sha256hex(token), csrfToken, new Date(Date.now() + SESSION_HOURS * 3_600_000));
  setSessionCookie(reply, token, secure);
  return csrfToken;
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  const attrs = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${SESSION_HOURS * 3600}`];
  if (secure) attrs.push('Secure');
  reply.header('set-cookie', attrs.join('; '));
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`);
}
