import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parse } from './validation.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { NumberCapabilities } from '../ports/messaging.ts';
import type { NumberGroupsStore, ThreadingSettingsStore } from '../adapters/db/settings-store.ts';
import { phoneInput } from '../domain/phone.ts';
import { compileTicketIdPattern } from '../domain/threading.ts';
import { hashPassword, passwordProblem } from '../domain/passwords.ts';
import { conflict, invalid, notFound } from '../domain/errors.ts';
import { authenticate, newSecret, requireAdmin, sha256hex, type AuthOptions } from './auth.ts';

export interface AdminOptions {
  auth: AuthOptions;
  users: UserStore;
  threading: ThreadingSettingsStore;
  groups: NumberGroupsStore;
  /** What the settings page shows of the helpdesk and Twilio (read-only there). */
  helpdesk: { kind: string; url: string | null; smsTag: string; webhookSecretSet: boolean };
  twilio: {
    sandbox: boolean;
    accounts: () => readonly { sid: string }[];
    listNumbers: (accountSid: string) => Promise<({ number: string } & NumberCapabilities)[] | null>;
    /** Numbers smsdesk has seen texts to, for accounts Twilio could not list (and the sandbox). */
    seenNumbers: () => Promise<string[]>;
    ratePerSecond: (number: string) => number;
  };
}

const id = z.string().regex(/^\d{1,9}$/, 'must be an id').transform(Number);
const threadingChange = z.object({
  windowMinutes: z.number().int().min(0).max(525_600).optional(),
  ticketIdPattern: z.string().max(200).optional(),
}).strict();


/** Admins' screens: settings (threading live, the rest shown), users, API tokens. */
export async function admin(app: FastifyInstance, opts: AdminOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.auth));

  const settingsJson = async () => {
    const t = await opts.threading.current();
    const groups = await opts.groups.all();
    const numbers: { number: string; accountSid: string | null; sms: boolean | null; mms: boolean | null; ratePerSecond: number }[] = [];
    for (const account of opts.twilio.accounts()) {
      for (const n of (await opts.twilio.listNumbers(account.sid)) ?? []) {
        numbers.push({ number: n.number, accountSid: account.sid, sms: n.sms, mms: n.mms, ratePerSecond: opts.twilio.ratePerSecond(n.number) });
      }
    }
    for (const seen of await opts.twilio.seenNumbers()) {
      if (!numbers.some((n) => n.number === seen)) numbers.push({ number: seen, accountSid: null, sms: null, mms: null, ratePerSecond: opts.twilio.ratePerSecond(seen) });
    }
    return {
      threading: { windowMinutes: t.windowMinutes, ticketIdPattern: t.ticketIdPattern?.source ?? '' },
      helpdesk: opts.helpdesk,
      twilio: { sandbox: opts.twilio.sandbox, numbers: numbers.map((n) => ({ ...n, group: groups[n.number] ?? null })) },
      groups: [...new Set(Object.values(groups))].sort(),
    };
  };

  // Agents read the settings too (the composer's numbers and MMS capability); only admins change them.
  app.get('/api/v1/settings', async () => settingsJson());

  app.patch('/api/v1/settings', async (request) => {
    requireAdmin(request);
    const body = parse(z.object({
      threading: threadingChange.optional(),
      numberGroups: z.record(z.string(), z.string().trim().max(50)).optional(),
    }).strict(), request.body, 'body');
    if (body.numberGroups) {
      const groups: Record<string, string> = {};
      for (const [raw, group] of Object.entries(body.numberGroups)) groups[phoneInput(raw, 'numberGroups', { sender: true })] = group;
      await opts.groups.set(groups);
    }
    if (!body.threading) return settingsJson();
    if (body.threading.ticketIdPattern !== undefined) {
      try {
        compileTicketIdPattern(body.threading.ticketIdPattern);
      } catch (err) {
        throw invalid('invalid_ticket_id_pattern', `ticketIdPattern: ${(err as Error).message}`);
      }
    }
    await opts.threading.update(body.threading);
    request.log.info({ threading: body.threading }, 'threading settings changed');
    return settingsJson();
  });

  app.get('/api/v1/users', async (request) => {
    requireAdmin(request);
    return { users: await opts.users.list() };
  });

  app.post('/api/v1/users', async (request, reply) => {
    requireAdmin(request);
    const body = parse(z.object({
      email: z.string().trim().email().max(320), name: z.string().trim().min(1).max(100), role: z.enum(['admin', 'agent']), password: z.string(),
    }), request.body, 'body');
    const problem = passwordProblem(body.password);
    if (problem) throw invalid('weak_password', `password ${problem}.`);
    if (await opts.users.byEmail(body.email)) throw conflict('user_exists', `A user with the email ${body.email} already exists.`);
    const user = await opts.users.create({ email: body.email, name: body.name, role: body.role, passwordHash: await hashPassword(body.password) });
    return reply.code(201).send({ user });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/users/:id', async (request, reply) => {
    requireAdmin(request);
    const userId = parse(id, request.params.id, 'id');
    if (request.principal?.user?.id === userId) throw conflict('cannot_delete_self', 'You cannot delete yourself; ask another admin.');
    const all = await opts.users.list();
    const target = all.find((u) => u.id === userId);
    if (target?.role === 'admin' && all.filter((u) => u.role === 'admin').length === 1) {
      throw conflict('last_admin', 'This is the last admin: make another user an admin first.');
    }
    if (!(await opts.users.remove(userId))) throw notFound('user_not_found', `No user ${userId}.`);
    request.log.info({ userId }, 'user deleted, with the API tokens they minted');
    return reply.code(204).send();
  });

  app.get('/api/v1/tokens', async (request) => {
    requireAdmin(request);
    return { tokens: await opts.users.listTokens() };
  });

  app.post('/api/v1/tokens', async (request, reply) => {
    requireAdmin(request);
    const body = parse(z.object({ name: z.string().trim().min(1).max(100) }), request.body, 'body');
    const token = `smsd_${newSecret()}`;
    // The token acts for whoever mints it (revoked with them); minted with the operator's token, for the operator.
    const view = await opts.users.createToken(body.name, sha256hex(token), request.principal?.user?.id ?? null);
    request.log.info({ tokenId: view.id }, 'API token minted');
    return reply.code(201).send({ ...view, token });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', async (request, reply) => {
    requireAdmin(request);
    const tokenId = parse(id, request.params.id, 'id');
    if (!(await opts.users.revokeToken(tokenId))) throw notFound('token_not_found', `No token ${tokenId}.`);
    return reply.code(204).send();
  });
}
