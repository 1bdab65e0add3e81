import Fastify, { type FastifyBaseLogger, type FastifyInstance, type LogLevel } from 'fastify';
import type { Sql } from '../adapters/db/sql.ts';
import { registerErrorHandling } from './errors.ts';
import { twilioWebhooks, type TwilioWebhookOptions } from './twilio-webhooks.ts';
import { api, type ApiOptions } from './api.ts';
import { templates, type TemplatesOptions } from './templates.ts';
import { sandbox, type SandboxOptions } from './sandbox.ts';
import type { AuthOptions } from './auth.ts';
import { sessions, type SessionOptions } from './sessions.ts';
import { setup } from './setup.ts';
import type { FirstAdminSetup } from '../app/first-admin.ts';
import { consoleApi, type ConsoleOptions } from './console.ts';
import { admin, type AdminOptions } from './admin.ts';
import { web, type WebOptions } from './web.ts';
import { helpdeskWebhooks, type HelpdeskWebhookOptions } from './helpdesk-webhooks.ts';
import { attachmentLinks, type AttachmentLinks } from './attachments.ts';

export interface HttpAppOptions {
  logger: FastifyBaseLogger;
  sql: Sql;
  /** Who may call the API: bearer tokens, and console sessions. */
  auth: AuthOptions;
  webhooks: TwilioWebhookOptions;
  api: Omit<ApiOptions, 'auth'>;
  templates: Omit<TemplatesOptions, 'auth'>;
  sandbox: Omit<SandboxOptions, 'auth'> | null;
  helpdeskWebhooks: HelpdeskWebhookOptions;
  attachmentLinks: AttachmentLinks;
  sessions: Omit<SessionOptions, 'auth'>;
  /** The first admin, with the setup code printed at start (`/auth/setup`). */
  setup: FirstAdminSetup;
  console: Omit<ConsoleOptions, 'auth'>;
  admin: Omit<AdminOptions, 'auth'>;
  web: WebOptions;
}

const QUIETER_THAN_WARN = new Set<string>(['error', 'fatal', 'silent']);

/** Builds the Fastify app: one plugin per surface, no global state; tests build it with their own parts. */
export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: 1024 * 1024,
  });
  registerErrorHandling(app);
  // Per-request access logs at thousands of webhooks a second cost more than they tell: warnings and up
  // only, unless the logger is quieter still.
  const logLevel = (QUIETER_THAN_WARN.has(opts.logger.level) ? opts.logger.level : 'warn') as LogLevel;
  app.get('/healthz', { logLevel }, async (_request, reply) => {
    try {
      await opts.sql.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  await app.register(twilioWebhooks, { ...opts.webhooks, logLevel });
  await app.register(api, { ...opts.api, auth: opts.auth, logLevel });
  await app.register(templates, { ...opts.templates, auth: opts.auth, logLevel });
  if (opts.sandbox) await app.register(sandbox, { ...opts.sandbox, auth: opts.auth, logLevel });
  await app.register(helpdeskWebhooks, opts.helpdeskWebhooks);
  await app.register(sessions, { ...opts.sessions, auth: opts.auth });
  await app.register(setup, { setup: opts.setup, users: opts.sessions.users, secureCookies: opts.sessions.secureCookies });
  await app.register(consoleApi, { ...opts.console, auth: opts.auth });
  await app.register(admin, { ...opts.admin, auth: opts.auth });
  await app.register(web, opts.web);
  await app.register(attachmentLinks, { links: opts.attachmentLinks, queries: opts.api.queries, blobs: opts.api.blobs });
  return app;
}
