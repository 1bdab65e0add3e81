import { timingSafeEqual } from 'node:crypto';
import type { Counter, Registry } from 'prom-client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type LogLevel } from 'fastify';
import type { Sql } from '../adapters/db/sql.ts';
import { registerErrorHandling } from './errors.ts';
import { badText } from './validation.ts';
import { invalid } from '../domain/errors.ts';
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
import { usageApi, type UsageOptions } from './usage.ts';
import { automationsApi, type AutomationsOptions } from './automations.ts';
import { webhooksApi, type WebhooksOptions } from './webhooks.ts';

export interface HttpAppOptions {
  logger: FastifyBaseLogger;
  /** TRUST_PROXY: the proxies whose X-Forwarded-For gives request.ip (sign-in throttling, logs); false: none. */
  trustProxy: boolean | number | string[];
  sql: Sql;
  /** Who may call the API: bearer tokens, and console sessions. */
  auth: AuthOptions;
  webhooks: TwilioWebhookOptions;
  api: Omit<ApiOptions, 'auth'>;
  templates: Omit<TemplatesOptions, 'auth'>;
  usage: Omit<UsageOptions, 'auth'>;
  automations: Omit<AutomationsOptions, 'auth'>;
  sandbox: Omit<SandboxOptions, 'auth'> | null;
  helpdeskWebhooks: HelpdeskWebhookOptions;
  attachmentLinks: AttachmentLinks;
  sessions: Omit<SessionOptions, 'auth'>;
  /** The first admin, with the setup code printed at start (`/auth/setup`). */
  setup: FirstAdminSetup;
  console: Omit<ConsoleOptions, 'auth'>;
  admin: Omit<AdminOptions, 'auth'>;
  /** Outgoing webhooks' subscriptions and deliveries (admins). */
  outgoingWebhooks: Omit<WebhooksOptions, 'auth'>;
  web: WebOptions;
  /** GET /metrics: the registry, and METRICS_TOKEN (null: no token asked). */
  metrics?: { registry: Registry; token: string | null; webhooks: Counter<'kind' | 'outcome'> };
}

/**
 * GET /metrics (Prometheus text), asking for METRICS_TOKEN as a bearer token when one is set; and each webhook's
 * outcome counted as it is answered (by kind and HTTP status class).
 */
function metricsEndpoint(app: FastifyInstance, m: NonNullable<HttpAppOptions['metrics']>, logLevel: LogLevel): void {
  const kindOf = (url: string) =>
    url.startsWith('/webhooks/twilio/messages') ? 'twilio_message' : url.startsWith('/webhooks/twilio/status') ? 'twilio_status' : url.startsWith('/webhooks/helpdesk/') ? 'helpdesk' : null;
  app.addHook('onResponse', async (request, reply) => {
    const kind = kindOf(request.url);
    if (kind) m.webhooks.inc({ kind, outcome: `${Math.floor(reply.statusCode / 100)}xx` });
  });
  app.get('/metrics', { logLevel }, async (request, reply) => {
    if (m.token !== null) {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      const a = Buffer.from(given);
      const b = Buffer.from(m.token);
      if (a.length !== b.length || !timingSafeEqual(a, b)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: { code: 'unauthorized', message: 'GET /metrics needs METRICS_TOKEN as a bearer token: Authorization: Bearer <METRICS_TOKEN>.' } });
      }
    }
    return reply.type(m.registry.contentType).send(await m.registry.metrics());
  });
}

const hops = (n: number) => (_address: string, hop: number) => hop < n;

const QUIETER_THAN_WARN = new Set<string>(['error', 'fatal', 'silent']);

/** Builds the Fastify app: one plugin per surface, no global state; tests build it with their own parts. */
export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: 1024 * 1024,
    // A hop count trusts that many proxies in front, whoever they are (Fastify itself now ignores a number).
    trustProxy: typeof opts.trustProxy === 'number' ? hops(opts.trustProxy) : opts.trustProxy,
  });
  registerErrorHandling(app);
  refuseBadText(app);
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
  if (opts.metrics) metricsEndpoint(app, opts.metrics, logLevel);
  await app.register(twilioWebhooks, { ...opts.webhooks, logLevel });
  await app.register(api, { ...opts.api, auth: opts.auth, logLevel });
  await app.register(templates, { ...opts.templates, auth: opts.auth, logLevel });
  await app.register(usageApi, { ...opts.usage, auth: opts.auth });
  await app.register(automationsApi, { ...opts.automations, auth: opts.auth });
  if (opts.sandbox) await app.register(sandbox, { ...opts.sandbox, auth: opts.auth, logLevel });
  await app.register(helpdeskWebhooks, opts.helpdeskWebhooks);
  await app.register(sessions, { ...opts.sessions, auth: opts.auth });
  await app.register(setup, { setup: opts.setup, users: opts.sessions.users, secureCookies: opts.sessions.secureCookies, throttle: opts.sessions.throttle });
  await app.register(consoleApi, { ...opts.console, auth: opts.auth });
  await app.register(admin, { ...opts.admin, auth: opts.auth });
  await app.register(webhooksApi, { ...opts.outgoingWebhooks, auth: opts.auth });
  await app.register(web, opts.web);
  await app.register(attachmentLinks, { links: opts.attachmentLinks, queries: opts.api.queries, blobs: opts.api.blobs });
  return app;
}

/**
 * A NUL or half a surrogate pair in any string of a JSON body, the query or the path: 400 `invalid_text` before
 * any route sees it (PostgreSQL refuses NUL in text, and neither can become a URL or UTF-8). Fastify's own JSON
 * parser still parses (with its prototype-poisoning checks); this only looks at what it produced. Twilio's form
 * webhooks are left alone: a NUL in a text a customer sent is stored as U+FFFD rather than refused.
 */
function refuseBadText(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error'); // Fastify's defaults
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (err, json) => {
      if (err) return done(err, undefined);
      const problem = badText(json, 'body');
      return problem ? done(invalid('invalid_text', problem), undefined) : done(null, json);
    });
  });
  app.addHook('preValidation', async (request) => {
    const problem = badText(request.query, 'query') ?? badText(request.params, 'path');
    if (problem) throw invalid('invalid_text', problem);
  });
}
