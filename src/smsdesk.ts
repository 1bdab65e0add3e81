import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type Config } from './config.ts';
import type { Sql } from './adapters/db/sql.ts';
import { openDatabase } from './adapters/db/open.ts';
import { lockDataDir, type DataDirLock } from './adapters/fs/data-dir-lock.ts';
import { FirstAdminSetup } from './app/first-admin.ts';
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
import { SendMessage, SEND_QUEUE, SCHEDULE_QUEUE } from './app/send-message.ts';
import { ScheduledMessages } from './app/scheduled-messages.ts';
import { ScheduleSettingsStore } from './adapters/db/schedule-settings-store.ts';
import { SqlUsageStore } from './adapters/db/usage-store.ts';
import { RecipientZones } from './adapters/phone/time-zones.ts';
import type { SandboxOptions } from './http/sandbox.ts';
import { SqlHelpdeskRecords } from './adapters/db/helpdesk-records.ts';
import { sharedKey } from './adapters/db/secrets.ts';
import { RecordedHelpdesk, DEFAULT_SUMMARY_TTL_MS } from './adapters/helpdesk/recorded-helpdesk.ts';
import type { AttachmentInput, RemoteHelpdesk } from './ports/helpdesk.ts';
import type { HelpdeskRecords } from './ports/helpdesk-records.ts';
import { HelpdeskEvents, HELPDESK_EVENT_QUEUE } from './app/helpdesk-events.ts';
import { NoteDeliveryProblem, DELIVERY_NOTE_QUEUE } from './app/note-delivery-problem.ts';
import { AttachmentLinks, ownAttachments } from './http/attachments.ts';
import type { FetchPolicy } from './adapters/web/safe-fetch.ts';
import { SqlUserStore } from './adapters/db/user-store.ts';
import { SqlSignInThrottle } from './adapters/db/sign-in-throttle.ts';
import { SqlStatusHistory } from './adapters/db/status-history.ts';
import type { StatusHistory } from './ports/status-history.ts';
import { NumberGroupsStore, ThreadingSettingsStore } from './adapters/db/settings-store.ts';
import { notifyRelay } from './adapters/db/console-relay.ts';
import { ConsoleEvents } from './app/console-events.ts';
import { ConversationQueries } from './adapters/db/conversation-queries.ts';
import { SqlEventOutbox } from './adapters/db/event-outbox.ts';
import { Metrics } from './adapters/metrics/prometheus.ts';
import { pruneHistory } from './adapters/db/retention.ts';
import { EVENT_QUEUE, type EventConsumer, type EventOutbox } from './ports/event-outbox.ts';
import { DispatchEvents } from './app/dispatch-events.ts';
import { Automations } from './app/automations.ts';
import { SqlAutomationStore } from './adapters/db/automation-store.ts';
import { SqlTicketFacts } from './adapters/db/ticket-facts.ts';
import { SqlAwaitingReplies } from './adapters/db/awaiting-replies.ts';
import { ExpectedAnswers } from './app/expected-answers.ts';
import { AUTOMATION_TIMER_QUEUE, type TimerPayload } from './app/automations.ts';
import { VoiceAlerts } from './app/voice-alerts.ts';
import { enqueueJobs } from './adapters/queue/job-queue.ts';
import { SqlWebhookStore } from './adapters/db/webhook-store.ts';
import { HttpWebhookPoster } from './adapters/web/webhook-poster.ts';
import { DEFAULT_DELIVERY, DeliverWebhook, WebhookAction, WebhookFanOut, type DeliveryOptions } from './app/deliver-webhook.ts';
import { AskInboundFilter } from './app/inbound-filter.ts';
import { WEBHOOK_DELIVERY_QUEUE } from './ports/webhooks.ts';
import { DECIDE_TIMEOUT_MS } from './domain/webhooks.ts';

/** The built console (npm run build), next to src/ in the package. */
export const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface SmsdeskOptions {
  config: Config;
  /** A database opened by the caller (tests); otherwise opened from the config and closed on close(). */
  sql?: Sql;
  /**
   * The embedded database's DATA_DIR lock, held by the caller (`serve` takes it before anything else); without
   * it, and without `sql`, startSmsdesk takes it and releases it on close(). The server's URL is recorded in it.
   */
  dataDirLock?: DataDirLock;
  logger?: Logger;
  clock?: Clock;
  queue?: Partial<QueueOptions>;
  worker?: Partial<WorkerOptions>;
  media?: Partial<typeof DEFAULT_MEDIA_DOWNLOAD>;
  sandbox?: Omit<SandboxOptions, 'auth'>;
  /** How long a call to Twilio's API may take before its outcome counts as unclear (default 15 s). */
  twilioTimeoutMs?: number;
  /** How long close() lets requests in flight finish before dropping their connections. */
  closeGraceMs?: number;
  /** Remote helpdesks: how long a call waits out 429s in place, how long a ticket summary is trusted. */
  helpdesk?: { maxWaitMs?: number; summaryTtlMs?: number };
  /** Where the built console is (default web/dist of this package). */
  webDistDir?: string;
  /** User-supplied URLs (outbound media): a resolver and trusted CAs of the tests' own (the allow-list is config). */
  fetch?: Omit<FetchPolicy, 'allow'>;
  /** false: accept webhooks but route nothing (tests of a crash between ack and routing). */
  startWorker?: boolean;
  /**
   * Outgoing webhooks: a delivery's timeout (10 s), the waits between attempts and how long they go on (24 h),
   * how long an inbound filter may take to answer (5 s), and after how many silences in a row it rests, for how
   * long (3, 30 s). Tests shorten them.
   */
  webhooks?: Partial<DeliveryOptions> & { decideTimeoutMs?: number; decideBreaker?: { failures: number; restMs: number } };
}

export interface Smsdesk {
  url: string;
  publicUrl: string;
  app: FastifyInstance;
  sql: Sql;
  worker: Worker<{ messageId: number }>;
  sender: Worker<{ messageId: number }>;
  /** Auto-SMS of agents' replies in a remote helpdesk (null with the built-in one). */
  events: Worker<{ ticketId: number }> | null;
  /** Hands each recorded event (domain_events) to every consumer in `eventConsumers`. */
  domainEvents: Worker<{ eventId: string; consumer?: string }>;
  /** What reacts to recorded events (outgoing webhooks' fan-out, …). */
  eventConsumers: readonly EventConsumer[];
  /** Outgoing webhooks' deliveries. */
  webhookDeliveries: Worker<{ deliveryId: number; series: number }>;
  helpdesk: Helpdesk;
  /** Resolves when every stored text has been routed and every queued message handed to Twilio. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The process's logger; secrets (tokens, cookies, signatures, passwords, API keys) never reach the log. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers["x-twilio-signature"]', 'req.headers.cookie', 'req.headers["x-csrf-token"]',
        'req.headers["x-smsdesk-secret"]', 'req.headers["x-zendesk-webhook-signature"]', 'res.headers["set-cookie"]',
        'authToken', '*.authToken', 'password', '*.password', 'apiKey', '*.apiKey', 'token', '*.token',
      ],
      censor: '[redacted]',
    },
  }, destination);
}

export async function startSmsdesk(opts: SmsdeskOptions): Promise<Smsdesk> {
  const { config } = opts;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const ownsSql = !opts.sql;
  const ownsLock = ownsSql && !config.databaseUrl && !opts.dataDirLock;
  const lock = opts.dataDirLock ?? (ownsLock ? lockDataDir(config.dataDir, 'serve') : undefined);
  const sql = opts.sql ?? (await openDatabase(config, { lock }).catch((err: unknown) => {
    if (ownsLock) lock?.release();
    throw err;
  }));
  await migrate(sql);

  const queue = new JobQueue(sql, { ...DEFAULT_QUEUE_OPTIONS, ...opts.queue });
  /** Every worker polls and backs off alike; they differ in how many jobs they claim and run at once. */
  const workerOptions = (name: string, concurrency: number, parallel: number): WorkerOptions => ({
    queue: name, concurrency, parallel, pollMs: 500, retryBaseMs: 1000, retryMaxMs: 5 * 60_000, ...opts.worker,
  });
  // Several instances on one PostgreSQL: live events travel by NOTIFY, so every browser sees every instance's work.
  const consoleEvents = new ConsoleEvents(await notifyRelay(sql));
  const stopListening = await consoleEvents.start();
  // The embedded database is opened by one process only, so claims left by a previous run are stale now.
  if (sql.kind === 'pglite') await queue.releaseAllClaims();

  const blobs = await blobStoreFromConfig({
    dataDir: config.dataDir,
    azureConnectionString: config.blob.azureConnectionString ?? undefined,
    azureContainer: config.blob.azureContainer,
  });
  // Known once the server listens (PORT=0 picks a port); read through closures by the parts that need it.
  let publicUrl = config.publicUrl ?? '';
  const links = new AttachmentLinks(await sharedKey(sql, 'attachment-links'), () => publicUrl);
  const records = new SqlHelpdeskRecords(sql);
  // Events (an outbox): each recorded with the job that hands it to automations and outgoing webhooks.
  const wakeDispatcher = () => dispatcher.wake();
  const outbox = new SqlEventOutbox(sql, wakeDispatcher);
  const history = new SqlStatusHistory(sql, wakeDispatcher);
  const { helpdesk, remote } = await createHelpdesk(config, sql, records, {
    history,
    events: outbox,
    smsTag: config.helpdesk.smsTag,
    summaryTtlMs: opts.helpdesk?.summaryTtlMs ?? DEFAULT_SUMMARY_TTL_MS,
    attachmentLink: (a: AttachmentInput) => links.url(a.blobId),
    maxWaitMs: opts.helpdesk?.maxWaitMs,
  });
  const store = new SqlMessageStore(sql);
  const apiOrigin = new URL(config.twilio.apiBaseUrl).origin;
  const mediaOptions = { ...DEFAULT_MEDIA_DOWNLOAD, ...opts.media };
  const fetchMedia = new FetchMedia(store, blobs, async (accountSid, url) => {
    const account = config.twilio.accounts.find((a) => a.sid === accountSid);
    if (!account) throw new MediaDownloadError(`account ${accountSid} is no longer configured`, true);
    return downloadTwilioMedia(url, { ...mediaOptions, apiOrigin, account });
  });
  const optOuts = new SqlOptOutStore(sql, { helpdesk: helpdesk.name, onRecorded: wakeDispatcher });
  // Outgoing webhooks: subscriptions and deliveries (secrets sealed under a shared key), their one POST
  // (safe-fetch: public addresses only, SMSDESK_FETCH_ALLOW for development hosts), and the inbound filter.
  const webhookStore = new SqlWebhookStore(sql, await sharedKey(sql, 'webhook-secrets'));
  const webhookPoster = new HttpWebhookPoster({ ...opts.fetch, allow: config.fetchAllow });
  const inboundFilter = new AskInboundFilter(webhookStore, webhookPoster, clock, {
    timeoutMs: opts.webhooks?.decideTimeoutMs ?? DECIDE_TIMEOUT_MS, breaker: opts.webhooks?.decideBreaker,
  });
  const threading = new ThreadingSettingsStore(sql, config.threading);
  const numberGroups = new NumberGroupsStore(sql);
  const awaiting = new SqlAwaitingReplies(sql, wakeDispatcher);
  const route = new RouteInbound(
    store, helpdesk, fetchMedia, () => threading.current(), clock, optOuts, history, outbox, new ExpectedAnswers(awaiting, helpdesk), inboundFilter,
  );
  const worker = new Worker<{ messageId: number }>(
    queue,
    // The embedded database is one connection on this thread: a few handlers keep media downloads
    // overlapping without crowding out webhook acks. PostgreSQL has a pool to spread them over.
    workerOptions(ROUTE_INBOUND_QUEUE, 16, sql.kind === 'pglite' ? 4 : 10),
    async (job) => {
      const ticketId = await route.run(job.payload.messageId, job.attempts);
      if (ticketId !== null) consoleEvents.publish({ event: 'message', data: { id: job.payload.messageId, ticketId, direction: 'inbound' } });
    },
    logger,
  );
  const receiveInbound = new ReceiveInbound(store, () => {
    worker.wake();
    consoleEvents.publish({ event: 'message', data: { direction: 'inbound', status: 'received' } });
  });

  const outbound = new SqlOutboundStore(sql, wakeDispatcher);
  const metrics = new Metrics(() => queue.stats());
  const messaging = metrics.instrument(new TwilioMessaging(() => config.twilio.accounts, config.twilio.apiBaseUrl, opts.twilioTimeoutMs));
  // Each sender's rate is a budget shared by every instance through the database (sender_budgets).
  const pacing = { budget: new SqlSenderBudget(sql), rate: (sender: string) => senderRate(sender, config.senderRates) };
  // Notes about failed deliveries: written by a job queued with the status, never inside Twilio's callback.
  const noteProblem = new NoteDeliveryProblem(outbound, helpdesk, outbox);
  const notes = new Worker<{ messageId: number }>(
    queue,
    workerOptions(DELIVERY_NOTE_QUEUE, 8, 4),
    (job) => noteProblem.run(job.payload.messageId),
    logger,
  );
  const applyStatus = new ApplyStatus(outbound, {
    noteQueued: () => notes.wake(),
    changed: (sid, status, ticketId) => consoleEvents.publish({ event: 'message', data: { sid, status, ticketId, direction: 'outbound' } }),
  }, { outbox, helpdesk: helpdesk.name, wanted: () => webhookStore.subscribed('message.status_changed') });
  const statusCallbackUrl = (messageId: number) => `${publicUrl}/webhooks/twilio/status?message=${messageId}`;
  const deliver = new DeliverMessage(outbound, messaging, helpdesk, statusCallbackUrl, pacing, applyStatus, optOuts, outbox);
  const sender = new Worker<{ messageId: number }>(
    queue,
    // Sends wait on Twilio's API, not on the database: more of them may be in flight.
    workerOptions(SEND_QUEUE, 32, 16),
    async (job) => {
      const sent = await deliver.run(job.payload.messageId);
      if (sent) consoleEvents.publish({ event: 'message', data: { id: sent.id, ticketId: sent.ticketId, direction: 'outbound' } });
    },
    logger,
    // A send the queue gives up on ends failed with a note, and the console hears of it.
    async (job, failure) => {
      const failed = await deliver.giveUp(job.payload.messageId, failure);
      if (!failed) return;
      notes.wake();
      consoleEvents.publish({ event: 'message', data: { id: failed.id, ticketId: failed.ticketId, direction: 'outbound', status: 'failed' } });
    },
  );
  const templates = new SqlTemplateStore(sql);
  const queries = new MessageQueries(sql);
  const mediaProbe = new HttpMediaProbe({ policy: { ...opts.fetch, allow: config.fetchAllow }, own: ownAttachments(links, queries) });
  const schedule = new ScheduleSettingsStore(sql, config.schedule);
  const zones = new RecipientZones(sql);
  const send = new SendMessage(outbound, store, helpdesk, optOuts, {
    accounts: () => config.twilio.accounts,
    defaultNumber: config.twilio.defaultNumber,
    capabilities: (accountSid, number) => messaging.capabilities(accountSid, number),
    mediaProbe,
    templates,
    onQueued: (ticketId, scheduled) => {
      if (!scheduled) sender.wake();
      consoleEvents.publish({ event: 'message', data: { direction: 'outbound', status: scheduled ? 'scheduled' : 'queued', ticketId } });
    },
    onScheduled: (at) => timers.wakeAt(at),
    monthlyLimit: async () => (await schedule.current()).monthlyLimit,
    contextValues: (ticketId) => ticketFacts.values(ticketId),
  });
  const helpdeskUrl = config.helpdesk.freshdesk?.url ?? config.helpdesk.freshservice?.url ?? config.helpdesk.zendesk?.url ?? null;
  const ticketFacts = new SqlTicketFacts(sql, {
    helpdesk: helpdesk.name, helpdeskUrl, remote, publicUrl: () => publicUrl, schedule: () => schedule.current(), clock,
    groups: () => numberGroups.all(),
  });
  const automationStore = new SqlAutomationStore(sql);
  const automations = new Automations(automationStore, helpdesk, send, ticketFacts, () => schedule.current(), clock, history, awaiting, queue, outbox, {
    call: (alert) => voiceAlerts.call(alert),
    webhook: ({ url, event }) => webhookAction.post(url, event),
  });
  const voiceAlerts = new VoiceAlerts(
    messaging, async (from) => (await outbound.accountForNumber(from)) ?? config.twilio.accounts[0]?.sid ?? null, config.twilio.defaultNumber,
  );
  const webhookAction = new WebhookAction(webhookStore, () => webhookDeliveries.wake());
  // Automations' timers (an ask's wait): each a job due when the wait is over.
  const automationTimers = new Worker<TimerPayload>(
    queue,
    { ...workerOptions(AUTOMATION_TIMER_QUEUE, 16, 4), dueOnly: true },
    (job) => automations.timer(job.payload),
    logger,
  );
  const deliverWebhook = new DeliverWebhook(webhookStore, webhookPoster, clock, { ...DEFAULT_DELIVERY, ...opts.webhooks });
  // Outgoing webhooks' deliveries: each job comes back (DeferJob) when its next attempt is due, a queue of timers.
  const webhookDeliveries = new Worker<{ deliveryId: number; series: number }>(
    queue,
    { ...workerOptions(WEBHOOK_DELIVERY_QUEUE, 16, 8), dueOnly: true },
    (job) => deliverWebhook.run(job.payload.deliveryId, job.payload.series),
    logger,
    (job, failure) => deliverWebhook.giveUp(job.payload.deliveryId, job.payload.series, failure.message),
  );
  // EVENT CONSUMERS: each recorded event is handed to these, in this order (each idempotent per event). One
  // that fails is retried on its own (a job {eventId, consumer}), without running the others again.
  const eventConsumers: EventConsumer[] = [automations, new WebhookFanOut(webhookStore, () => webhookDeliveries.wake())];
  const dispatch = new DispatchEvents(outbox, eventConsumers, {
    retryLater: async (eventId, consumer, runAt) => {
      await enqueueJobs(sql, EVENT_QUEUE, [{ key: `event:${eventId}:consumer:${consumer}`, payload: { eventId, consumer }, runAt }]);
      dispatcher.wake();
    },
    log: logger,
  });
  const dispatcher = new Worker<{ eventId: string; consumer?: string }>(
    queue,
    workerOptions(EVENT_QUEUE, 16, 4),
    (job) => dispatch.run(job.payload.eventId, job.payload.consumer ?? null),
    logger,
  );
  const scheduled = new ScheduledMessages(outbound, optOuts, helpdesk, clock, {
    released: (m) => {
      sender.wake();
      consoleEvents.publish({ event: 'message', data: { id: m.id, direction: 'outbound', status: 'queued', ticketId: m.ticketId } });
    },
    failed: (m) => consoleEvents.publish({ event: 'message', data: { id: m.id, direction: 'outbound', status: 'failed', ticketId: m.ticketId } }),
  }, { settings: () => schedule.current(), zoneOf: (phone, fallback) => zones.zoneOf(phone, fallback) });
  // Scheduled messages' timers: each is a job due at its sendAt (claimed from the due-time index).
  const timers = new Worker<{ messageId: number }>(
    queue,
    { ...workerOptions(SCHEDULE_QUEUE, 32, 8), dueOnly: true },
    (job) => scheduled.release(job.payload.messageId),
    logger,
  );

  const helpdeskEvents = remote ? new HelpdeskEvents(remote, records, send, { tag: () => config.helpdesk.smsTag, clock, events: outbox }) : null;
  const events = helpdeskEvents
    ? new Worker<{ ticketId: number }>(
        queue,
        workerOptions(HELPDESK_EVENT_QUEUE, 8, 4),
        async (job) => {
          await helpdeskEvents.run(job.payload.ticketId);
          consoleEvents.publish({ event: 'ticket', data: { id: job.payload.ticketId } });
        },
        logger,
      )
    : null;

  const users = new SqlUserStore(sql);
  const conversations = new ConversationQueries(sql);
  const auth = { apiTokens: () => (config.apiToken ? [config.apiToken] : []), users };
  // While there is no user, a one-time code printed below lets whoever reads the log create the first admin.
  const firstAdmin = new FirstAdminSetup(users);
  const setupCode = await firstAdmin.issue();
  const app = await buildHttpApp({
    logger,
    trustProxy: config.trustProxy,
    sql,
    auth,
    webhooks: { publicUrl: () => publicUrl, accounts: () => config.twilio.accounts, receiveInbound, applyStatus },
    api: {
      publicUrl: () => publicUrl,
      helpdesk, store, queries, blobs, send, scheduled, events: consoleEvents, history, csat: awaiting,
    },
    usage: { usage: new SqlUsageStore(sql), schedule, zones, clock },
    automations: { store: automationStore, previewForTicket: (text, ticketId) => send.previewForTicket(text, ticketId), csat: awaiting, helpdesk: helpdesk.name },
    templates: { store: templates, renderForTicket: (...args) => send.renderForTicket(...args) },
    sandbox: opts.sandbox ?? null,
    helpdeskWebhooks: {
      helpdesk: config.helpdesk.kind,
      secret: config.helpdesk.webhookSecret,
      clock,
      enqueue: async (ticketId) => {
        await queue.enqueue(HELPDESK_EVENT_QUEUE, `ticket:${ticketId}`, { ticketId });
        events?.wake();
      },
    },
    attachmentLinks: links,
    sessions: { users, throttle: new SqlSignInThrottle(sql), secureCookies: () => publicUrl.startsWith('https://') },
    setup: firstAdmin,
    console: {
      helpdesk: helpdesk.name, conversations, events: consoleEvents, optOuts, store, blobs, links, groups: numberGroups,
    },
    admin: {
      users,
      threading,
      groups: numberGroups,
      helpdesk: {
        kind: config.helpdesk.kind,
        url: helpdeskUrl,
        smsTag: config.helpdesk.smsTag,
        webhookSecretSet: config.helpdesk.webhookSecret !== null,
      },
      twilio: {
        sandbox: config.twilio.sandbox || Boolean(opts.sandbox),
        accounts: () => config.twilio.accounts,
        listNumbers: (accountSid) => messaging.listNumbers(accountSid),
        seenNumbers: () => conversations.numbers(helpdesk.name),
        ratePerSecond: (number) => senderRate(number, config.senderRates),
      },
    },
    outgoingWebhooks: { store: webhookStore, onQueued: () => webhookDeliveries.wake() },
    web: { distDir: opts.webDistDir ?? WEB_DIST },
    metrics: { registry: metrics.registry, token: config.metricsToken, webhooks: metrics.webhooks },
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (!config.publicUrl) publicUrl = url;
  lock?.recordUrl(url);
  if (setupCode) {
    logger.info(`No console user yet: open ${publicUrl}/ and enter the setup code ${setupCode} to create the first admin ` +
      '(or run  npx smsdesk user add --email you@example.com --name "Your Name" --admin)');
  }
  // Records that only explain the past (events, runs, deliveries) are pruned hourly (adapters/db/retention.ts).
  let pruningNow: Promise<void> = Promise.resolve();
  const prune = () => {
    pruningNow = pruneHistory(sql).then(() => undefined, (err: unknown) => logger.warn({ err }, 'could not prune old events and runs; trying again in an hour'));
  };
  const pruning = setInterval(prune, 60 * 60_000);
  pruning.unref();
  if (opts.startWorker !== false) {
    prune();
    worker.start();
    sender.start();
    timers.start();
    notes.start();
    events?.start();
    dispatcher.start();
    automationTimers.start();
    webhookDeliveries.start();
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
    events,
    domainEvents: dispatcher,
    eventConsumers,
    webhookDeliveries,
    helpdesk,
    async idle() {
      // Work makes work (an event's automation queues a text, whose failure is an event…): pass until a pass finds none.
      const all: { idle(): Promise<void>; hasWork(): Promise<boolean> }[] = [
        worker, timers, sender, notes, dispatcher, automationTimers, webhookDeliveries, ...(events ? [events] : []),
      ];
      for (;;) {
        for (const w of all) await w.idle();
        if ((await Promise.all(all.map((w) => w.hasWork()))).every((busy) => !busy)) return;
      }
    },
    async close() {
      clearInterval(pruning);
      await pruningNow;
      await closeHttp(app, opts.closeGraceMs ?? 5_000);
      await worker.stop();
      await events?.stop();
      await sender.stop();
      await timers.stop();
      await notes.stop();
      await dispatcher.stop();
      await automationTimers.stop();
      await webhookDeliveries.stop();
      stopListening();
      await blobs.close?.();
      if (ownsSql) await sql.close();
      if (ownsLock) lock?.release();
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

/**
 * The configured helpdesk; a remote one wrapped in what smsdesk records about it (idempotency, cache). Only
 * the configured adapter is loaded.
 */
async function createHelpdesk(
  config: Config,
  sql: Sql,
  records: HelpdeskRecords,
  opts: { summaryTtlMs: number; attachmentLink: (a: AttachmentInput) => string; maxWaitMs?: number; history: StatusHistory; events: EventOutbox; smsTag: string },
): Promise<{ helpdesk: Helpdesk; remote: RecordedHelpdesk | null }> {
  const h = config.helpdesk;
  let inner: RemoteHelpdesk;
  if (h.kind === 'freshdesk' && h.freshdesk) {
    const { FreshdeskHelpdesk } = await import('./adapters/helpdesk/freshdesk/freshdesk-helpdesk.ts');
    inner = new FreshdeskHelpdesk({ ...h.freshdesk, maxWaitMs: opts.maxWaitMs });
  } else if (h.kind === 'freshservice' && h.freshservice) {
    const { FreshserviceHelpdesk } = await import('./adapters/helpdesk/freshservice/freshservice-helpdesk.ts');
    inner = new FreshserviceHelpdesk({ ...h.freshservice, maxWaitMs: opts.maxWaitMs });
  } else if (h.kind === 'zendesk' && h.zendesk) {
    const { ZendeskHelpdesk } = await import('./adapters/helpdesk/zendesk/zendesk-helpdesk.ts');
    inner = new ZendeskHelpdesk({ ...h.zendesk, maxWaitMs: opts.maxWaitMs });
  } else if (h.kind === 'builtin') return { helpdesk: new BuiltinHelpdesk(sql), remote: null };
  else throw new ConfigError('HELPDESK', `${h.kind} needs its URL and credentials configured`);
  const remote = new RecordedHelpdesk(inner, records, opts);
  return { helpdesk: remote, remote };
}
