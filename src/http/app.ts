import Fastify, { type FastifyBaseLogger, type FastifyInstance, type LogLevel } from 'fastify';
import type { Sql } from '../adapters/db/sql.ts';
import { registerErrorHandling } from './errors.ts';
import { twilioWebhooks, type TwilioWebhookOptions } from './twilio-webhooks.ts';
import { api, type ApiOptions } from './api.ts';
import { templates, type TemplatesOptions } from './templates.ts';
import { sandbox, type SandboxOptions } from './sandbox.ts';
import { helpdeskWebhooks, type HelpdeskWebhookOptions } from './helpdesk-webhooks.ts';
import { attachmentLinks, type AttachmentLinks } from './attachments.ts';

export interface HttpAppOptions {
  logger: FastifyBaseLogger;
  sql: Sql;
  webhooks: TwilioWebhookOptions;
  api: ApiOptions;
  templates: TemplatesOptions;
  sandbox: SandboxOptions | null;
  helpdeskWebhooks: HelpdeskWebhookOptions;
  attachmentLinks: AttachmentLinks;
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
  await app.register(api, { ...opts.api, logLevel });
  await app.register(templates, { ...opts.templates, logLevel });
  if (opts.sandbox) await app.register(sandbox, { ...opts.sandbox, logLevel });
  await app.register(helpdeskWebhooks, opts.helpdeskWebhooks);
  await app.register(attachmentLinks, { links: opts.attachmentLinks, queries: opts.api.queries, blobs: opts.api.blobs });
  return app;
}
