import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FirstAdminSetup } from '../app/first-admin.ts';
import type { UserStore } from '../ports/user-store.ts';
import { parse } from './validation.ts';
import { startSession } from './auth.ts';
import { sendError } from './errors.ts';
import { throttleAddress } from './sessions.ts';
import type { SignInThrottle } from '../ports/sign-in-throttle.ts';

export interface SetupOptions {
  setup: FirstAdminSetup;
  users: UserStore;
  secureCookies: () => boolean;
  /** The sign-in throttle: setup attempts are counted like sign-ins, under keys of their own. */
  throttle: SignInThrottle;
}

const WINDOW_SECONDS = 15 * 60;
/**
 * Attempts with a setup code per 15 minutes, per client address and in all (a proxy may hide the addresses),
 * counted by the sign-in throttle before the code is checked, so concurrent guesses cannot slip past the limit
 * and every instance shares the count. 40 bits at 100 tries per 15 minutes is out of reach; an operator kept out
 * by someone's flood restarts smsdesk (a new code) or uses `smsdesk user add`.
 */
const MAX_ATTEMPTS = { address: 10, all: 100 };

/** `GET /auth/setup` and `POST /auth/setup`: the first admin, with the setup code from the server's log. */
export async function setup(app: FastifyInstance, opts: SetupOptions): Promise<void> {
  const body = z.object({
    code: z.string().max(100),
    email: z.string().trim().email().max(320),
    name: z.string().trim().min(1).max(100),
    password: z.string().max(1024),
  });

  app.get('/auth/setup', async () => ({ needed: await opts.setup.needed() }));

  app.post('/auth/setup', async (request, reply) => {
    const input = parse(body, request.body, 'body');
    const reserved = await opts.throttle.reserve(
      [{ key: `setup:address:${throttleAddress(request.ip)}`, limit: MAX_ATTEMPTS.address }, { key: 'setup:all', limit: MAX_ATTEMPTS.all }],
      WINDOW_SECONDS,
    );
    if (!reserved.ok) {
      return sendError(reply.header('retry-after', String(reserved.retryAfterSeconds)), 429, 'too_many_attempts',
        `Too many setup attempts; try again in ${Math.ceil(reserved.retryAfterSeconds / 60)} min (or create the admin with npx smsdesk user add).`);
    }
    const user = await opts.setup.complete(input.code, input);
    const csrfToken = await startSession(opts.users, reply, user.id, opts.secureCookies());
    request.log.info({ userId: user.id }, 'first admin created with the setup code');
    return { user, csrfToken };
  });
}
