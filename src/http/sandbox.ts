import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalid } from '../domain/errors.ts';
import { bearerAuth } from './auth.ts';

export interface SandboxOptions {
  apiTokens: () => readonly string[];
  /** The built-in Twilio emulator's API base URL. */
  emulatorUrl: string;
  accountSid: string;
}

const body = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  body: z.string().max(5000).default(''),
  media: z.array(z.object({ contentType: z.string(), base64: z.string() })).max(10).optional(),
});

/**
 * Sandbox mode only (no Twilio credentials): texts smsdesk as a customer would, through the emulator, which
 * signs and posts the webhook exactly as Twilio does. `npx smsdesk simulate` and the console use it.
 */
export async function sandbox(app: FastifyInstance, opts: SandboxOptions): Promise<void> {
  // Whoever can post here can text smsdesk as any number: the same bearer token as the API.
  app.addHook('onRequest', bearerAuth(opts.apiTokens));
  app.post('/sandbox/messages', async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) throw invalid('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));
    const res = await fetch(`${opts.emulatorUrl}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...parsed.data, accountSid: opts.accountSid }),
    });
    const text = await res.text();
    return reply.code(res.status).type('application/json').send(text);
  });
}
