import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { invalid } from '../domain/errors.ts';
import { authenticate, type AuthOptions } from './auth.ts';
import { phoneInput } from '../domain/phone.ts';
import type { EmulatorMessageView } from '../adapters/twilio/emulator/index.ts';

export interface SandboxOptions {
  auth: AuthOptions;
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
  app.addHook('onRequest', authenticate(opts.auth));
  app.post('/sandbox/messages', async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) throw invalid('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));
    // As Twilio would: the handset is known by its E.164 number however the customer's number was typed.
    const from = phoneInput(parsed.data.from, 'from');
    const to = phoneInput(parsed.data.to, 'to', { sender: true });
    const res = await fetch(`${opts.emulatorUrl}/__emulator/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...parsed.data, from, to, accountSid: opts.accountSid }),
    });
    const text = await res.text();
    return reply.code(res.status).type('application/json').send(text);
  });

  // The customer's handset: what the phone sent and received through the emulator, oldest first.
  app.get('/sandbox/messages', async (request) => {
    const q = z.object({ phone: z.string().min(1) }).safeParse(request.query);
    if (!q.success) throw invalid('invalid_request', 'query phone is required: the customer number, e.g. ?phone=%2B14155550100');
    const phone = phoneInput(q.data.phone, 'phone');
    const res = await fetch(`${opts.emulatorUrl}/__emulator/messages`);
    const all = (await res.json()) as EmulatorMessageView[];
    const messages = all
      .filter((m) => m.accountSid === opts.accountSid && ((m.direction === 'inbound' && m.from === phone) || (m.direction !== 'inbound' && m.to === phone)))
      .map((m) => ({
        sid: m.sid,
        // From the handset's side: what it sent, and what reached it.
        direction: m.direction === 'inbound' ? 'sent' : 'received',
        from: m.from,
        to: m.to,
        body: m.body,
        mediaUrls: m.mediaUrls,
        status: m.status,
        errorCode: m.errorCode,
        at: m.dateSent ?? m.dateCreated,
      }));
    return { phone, messages };
  });
}
