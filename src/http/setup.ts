import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FirstAdminSetup } from '../app/first-admin.ts';
import type { UserStore } from '../ports/user-store.ts';
import { parse } from './validation.ts';
import { startSession } from './auth.ts';
import { sendError } from './errors.ts';

export interface SetupOptions {
  setup: FirstAdminSetup;
  users: UserStore;
  secureCookies: () => boolean;
}

const WINDOW_MS = 15 * 60_000;
/** Attempts with a setup code per 15 minutes: per client address, and in all (a proxy may hide the addresses). */
const MAX_ATTEMPTS = { address: 10, all: 100 };

/**
 * Every attempt is counted before its code is checked, so concurrent guesses cannot slip past the limit. 40 bits
 * at 100 tries per 15 minutes is out of reach; an operator kept out by someone's flood restarts smsdesk (a new
 * code) or uses `smsdesk user add`.
 */
class SetupAttempts {
  private readonly times = new Map<string, number[]>();

  /** Seconds to wait, or 0 after counting this attempt. */
  take(address: string): number {
    const now = Date.now();
    const keys = [`address:${address}`, 'all'] as const;
    let wait = 0;
    for (const key of keys) {
      const recent = (this.times.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
      this.times.set(key, recent);
      if (recent.length >= MAX_ATTEMPTS[key === 'all' ? 'all' : 'address']) wait = Math.max(wait, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
    }
    if (wait === 0) for (const key of keys) this.times.get(key)!.push(now);
    return wait;
  }
}

/** `GET /auth/setup` and `POST /auth/setup`: the first admin, with the setup code from the server's log. */
export async function setup(app: FastifyInstance, opts: SetupOptions): Promise<void> {
  const attempts = new SetupAttempts();
  const body = z.object({
    code: z.string().max(100),
    email: z.string().trim().email().max(320),
    name: z.string().trim().min(1).max(100),
    password: z.string().max(1024),
  });

  app.get('/auth/setup', async () => ({ needed: await opts.setup.needed() }));

  app.post('/auth/setup', async (request, reply) => {
    const input = parse(body, request.body, 'body');
    const wait = attempts.take(request.ip);
    if (wait > 0) {
      return sendError(reply.header('retry-after', String(wait)), 429, 'too_many_attempts',
        `Too many setup attempts; try again in ${Math.ceil(wait / 60)} min (or create the admin with npx smsdesk user add).`);
    }
    const user = await opts.setup.complete(input.code, input);
    const csrfToken = await startSession(opts.users, reply, user.id, opts.secureCookies());
    request.log.info({ userId: user.id }, 'first admin created with the setup code');
    return { user, csrfToken };
  });
}
