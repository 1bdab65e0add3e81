import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type Config } from './config.ts';
import type { Sql } from './adapters/db/sql.ts';
import { openDatabase } from './adapters/db/open.ts';
import { migrate } from './adapters/db/migrations.ts';
import { SqlMessageStore } from './adapters/db/message-store.ts';
import { MessageQueries } from './adapters/db/message-queries.ts';
import { JobQueue, DEFAULT_QUEUE_OPTIONS, type QueueOptions } from './adapters/queue/job-queue.ts';
import { Worker, type WorkerOptions } from './adapters/queue/worker.ts';
import { blobStoreFromConfig } from './adapters/blob/index.ts';
import { BuiltinHelpdesk } from './adapters/helpdesk/builtin/builtin-helpdesk.ts';
import { downloadTwilioMedia, DEFAULT_MEDIA_DOWNLOAD, MediaDownloadError } from './adapters/twilio/media-download.ts';
import type { Helpdesk } from './ports/helpdesk.ts';
import { systemClock, type Clock } from './ports/clock.ts';
import { ReceiveInbound, ROUTE_INBOUND_QUEUE } from './app/receive-inbound.ts';
import { RouteInbound } from './app/route-inbound.ts';
import { FetchMedia } from './app/fetch-media.ts';
import { buildHttpApp } from './http/app.ts';
import { SqlOutboundStore } from './adapters/db/outbound-store.ts';
import { SqlTemplateStore } from './adapters/db/template-store.ts';
import { SqlOptOutStore } from './adapters/db/opt-out-store.ts';
import { TwilioMessaging } from './adapters/twilio/twilio-messaging.ts';
import { HttpMediaProbe } from './adapters/web/media-probe.ts';
import { DeliverMessage } from './app/deliver-message.ts';
import { SqlSenderBudget } from './adapters/db/sender-budget.ts';
import { senderRate } from './domain/sender-rates.ts';
import { ApplyStatus } from './app/apply-status.ts';
import { SendMessage, SEND_QUEUE } from './app/send-message.ts';
import type { SandboxOptions } from './http/sandbox.ts';

export interface SmsdeskOptions {
  config: Config;
  /** A database opened by the caller (tests); otherwise opened from the config and closed on close(). */
  sql?: Sql;
  logger?: Logger;
  clock?: Clock;
  queue?: Partial<QueueOptions>;
  worker?: Partial<WorkerOptions>;
  media?: Partial<typeof DEFAULT_MEDIA_DOWNLOAD>;
  sandbox?: SandboxOptions;
  /** How long a call to Twilio's API may take before its outcome counts as unclear (default 15 s). */
  twilioTimeoutMs?: number;
  /** How long close() lets requests in flight finish before dropping their connections. */
  closeGraceMs?: number;
  /** false: accept webhooks but route nothing (tests of a crash between ack and routing). */
  startWorker?: boolean;
}

export interface Smsdesk {
  url: string;
  publicUrl: string;
  app: FastifyInstance;
  sql: Sql;
  worker: Worker<{ messageId: number }>;
  sender: Worker<{ messageId: number }>;
  /** Resolves when every stored text has been routed and every queued message handed to Twilio. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-twilio-signature"]', 'authToken', '*.authToken'], censor: '[redacted]' },
  });
}

export async function startSmsdesk(opts: SmsdeskOptions): Promise<Smsdesk> {
  const { config } = opts;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const ownsSql = !opts.sql;
  const sql = opts.sql ?? (await openDatabase(config));
  await migrate(sql);

  const queue = new JobQueue(sql, { ...DEFAULT_QUEUE_OPTIONS, ...opts.queue });
  // The embedded database is opened by one process only, so claims left by a previous run are stale now.
  if (sql.kind === 'pglite') await queue.releaseAllClaims();

  const blobs = await blobStoreFromConfig({
    dataDir: config.dataDir,
    azureConnectionString: config.blob.azureConnectionString ?? undefined,
    azureContainer: config.blob.azureContainer,
  });
  const helpdesk = createHelpdesk(config, sql);
  const store = new SqlMessageStore(sql);
  const apiOrigin = new URL(config.twilio.apiBaseUrl).origin;
  const mediaOptions = { ...DEFAULT_MEDIA_DOWNLOAD, ...opts.media };
  const fetchMedia = new FetchMedia(store, blobs, async (accountSid, url) => {
    const account = config.twilio.accounts.find((a) => a.sid === accountSid);
    if (!account) throw new MediaDownloadError(`account ${accountSid} is no longer configured`, true);
    return downloadTwilioMedia(url, { ...mediaOptions, apiOrigin, account });
  });
  const optOuts = new SqlOptOutStore(sql);
  const route = new RouteInbound(store, helpdesk, fetchMedia, () => config.threading, clock, optOuts);
  const worker = new Worker<{ messageId: number }>(
    queue,
    {
      queue: ROUTE_INBOUND_QUEUE,
      concurrency: 16,
      // The embedded database is one connection on this thread: a few handlers keep media downloads
      // overlapping without crowding out webhook acks. PostgreSQL has a pool to spread them over.
      parallel: sql.kind === 'pglite' ? 4 : 10,
      pollMs: 500,
      retryBaseMs: 1000,
      retryMaxMs: 5 * 60_000,
      ...opts.worker,
    },
    (job) => route.run(job.payload.messageId, job.attempts),
    logger,
  );
  const receiveInbound = new ReceiveInbound(store, () => worker.wake());

  const outbound = new SqlOutboundStore(sql);
  const messaging = new TwilioMessaging(() => config.twilio.accounts, config.twilio.apiBaseUrl, opts.twilioTimeoutMs);
  // Each sender's rate is a budget shared by every instance through the database (sender_budgets).
  const pacing = { budget: new SqlSenderBudget(sql), rate: (sender: string) => senderRate(sender, config.senderRates) };
  const applyStatus = new ApplyStatus(outbound, helpdesk);
  const deliver = new DeliverMessage(outbound, messaging, helpdesk, () => `${publicUrl}/webhooks/twilio/status`, pacing, applyStatus, optOuts);
  const sender = new Worker<{ messageId: number }>(
    queue,
    {
      queue: SEND_QUEUE,
      concurrency: 32,
      // Sends wait on Twilio's API, not on the database: more of them may be in flight.
      parallel: 16,
      pollMs: 500,
      retryBaseMs: 1000,
      retryMaxMs: 5 * 60_000,
      ...opts.worker,
    },
    (job) => deliver.run(job.payload.messageId),
    logger,
  );
  const templates = new SqlTemplateStore(sql);
  const send = new SendMessage(outbound, store, helpdesk, optOuts, {
    accounts: () => config.twilio.accounts,
    defaultNumber: config.twilio.defaultNumber,
    capabilities: (accountSid, number) => messaging.capabilities(accountSid, number),
    mediaProbe: new HttpMediaProbe(),
    templates,
    onQueued: () => sender.wake(),
  });

  // Known once the server listens (PORT=0 picks a port); read through closures by the parts that need it.
  let publicUrl = config.publicUrl ?? '';
  const app = await buildHttpApp({
    logger,
    sql,
    webhooks: { publicUrl: () => publicUrl, accounts: () => config.twilio.accounts, receiveInbound, applyStatus },
    api: {
      publicUrl: () => publicUrl,
      apiTokens: () => (config.apiToken ? [config.apiToken] : []),
      helpdesk, store, queries: new MessageQueries(sql), blobs, send,
    },
    templates: { store: templates, renderForTicket: (...args) => send.renderForTicket(...args), apiTokens: () => (config.apiToken ? [config.apiToken] : []) },
    sandbox: opts.sandbox ?? null,
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (!config.publicUrl) publicUrl = url;
  if (opts.startWorker !== false) {
    worker.start();
    sender.start();
  }

  return {
    url,
    get publicUrl() {
      return publicUrl;
    },
    app,
    sql,
    worker,
    sender,
    async idle() {
      await worker.idle();
      await sender.idle();
    },
    async close() {
      await closeHttp(app, opts.closeGraceMs ?? 5_000);
      await worker.stop();
      await sender.stop();
      await blobs.close?.();
      if (ownsSql) await sql.close();
    },
  };
}

/**
 * Stops taking requests, lets those in flight finish, then drops whatever connections remain: a client
 * holding a connection open must not keep the process alive. Dropping is safe: a webhook that was not
 * answered is retried by Twilio and stored once.
 */
async function closeHttp(app: FastifyInstance, graceMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

function createHelpdesk(config: Config, sql: Sql): Helpdesk {
  if (config.helpdesk.kind === 'builtin') return new BuiltinHelpdesk(sql);
  throw new ConfigError('HELPDESK', `${config.helpdesk.kind} is not available in this version yet; use builtin`);
}
