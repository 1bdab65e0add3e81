import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { segmentInfo } from '../../../domain/segments.ts';
import { EventLog, Hold, type WaitOptions } from '../../event-log.ts';
import { callView, handleCallsRoute, type CallsRouteContext, type EmulatorCallView } from './calls-api.ts';
import { CallEngine, type CallOutcome, type CallStatusCallbackLog } from './calls.ts';
import { handleControlRoute } from './control.ts';
import { closeServer, listen, sendJson, sendTwilioNotFound } from './http-util.ts';
import { EmulatorUsageError, inboundParams, postWebhook, type InboundInput, type InboundResult } from './inbound.ts';
import { handleCdnRequest, handleMediaRoute, mediaPath, mediaSidOf, type MediaRouteContext } from './media.ts';
import {
  handleMessagesRoute,
  messageView,
  messageViews,
  type CreateRequestLog,
  type EmulatorMessageView,
  type MessagesRouteContext,
} from './messages-api.ts';
import {
  DEFAULT_OUTBOUND_SETTINGS,
  OutboundEngine,
  type CreateFault,
  type DeliveryOutcome,
  type OutboundSettings,
  type SentLogEntry,
  type StatusCallbackLog,
} from './outbound.ts';
import { Scheduler } from './scheduler.ts';
import { SenderRegistry, type SenderConfig } from './senders.ts';
import { handleNumbersRoute } from './numbers-api.ts';
import { EmulatorStore, newSid, type MediaFaults, type StoredMessage } from './store.ts';

export interface EmulatorOptions extends Partial<OutboundSettings> {
  /** Accepted accounts: basic auth user = sid, password = authToken; also the webhook signing keys. */
  accounts: { sid: string; authToken: string }[];
  /** Where inbound messages are POSTed (the "A message comes in" URL); can be set later. */
  webhookUrl?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  apiPort?: number;
  /** Default 0 (ephemeral). */
  cdnPort?: number;
}

export interface ApiRequestLog {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface CdnRequestLog {
  path: string;
  authorization: string | undefined;
}

/** An inbound webhook the emulator POSTed, once it was answered (or failed). */
export interface InboundWebhookLog {
  messageSid: string;
  from: string;
  to: string;
  body: string;
  url: string;
  /** The webhook's HTTP status, or null when the request failed (`error`). */
  status: number | null;
  error: string | null;
}

/** Create requests held by `holdCreates()` until released. */
export interface HeldCreates {
  /** Resolves once `n` create requests are held (rejects loudly after `timeoutMs`). */
  waitUntilHeld(n: number, opts?: Omit<WaitOptions, 'count'>): Promise<void>;
  /** Every create request held so far, oldest first. */
  readonly held: readonly CreateRequestLog[];
  /** Answers the held requests and stops holding. */
  release(): void;
}

export interface TwilioEmulator {
  /** Stands in for https://api.twilio.com, e.g. `http://127.0.0.1:12345` (no trailing slash). */
  readonly apiBaseUrl: string;
  /** Stands in for Twilio's media CDN, a separate origin that media fetches are redirected to. */
  readonly cdnBaseUrl: string;
  /** Every request the API origin received, oldest first. */
  readonly apiRequests: readonly ApiRequestLog[];
  /** Every request the CDN origin received, oldest first. */
  readonly cdnRequests: readonly CdnRequestLog[];
  /** Every inbound webhook answered (or failed), oldest first. */
  readonly inboundWebhooks: readonly InboundWebhookLog[];

  // Awaitable events. Each resolves with the first matching event, those recorded before the call included
  // (pass `since` with a cursor to wait for later ones only), and rejects after `timeoutMs` (default 10 s) with
  // what was awaited and what was seen.
  /** An outbound message (created through the Messages API) matching, as it was created or at a status change. */
  waitForMessage(predicate: (message: EmulatorMessageView) => boolean, opts?: WaitOptions): Promise<EmulatorMessageView>;
  /** A status callback matching, once smsdesk (or whoever) answered it. */
  waitForStatusCallback(predicate: (callback: StatusCallbackLog) => boolean, opts?: WaitOptions): Promise<StatusCallbackLog>;
  /** An inbound webhook matching, once it was answered. */
  waitForInbound(predicate: (webhook: InboundWebhookLog) => boolean, opts?: WaitOptions): Promise<InboundWebhookLog>;
  /** A request to the API origin matching, as it arrived. */
  waitForApiRequest(predicate: (request: ApiRequestLog) => boolean, opts?: WaitOptions): Promise<ApiRequestLog>;
  /** A call (created through the Calls API) matching, as it was created or at a change: dialed, a new status, its TwiML read. */
  waitForCall(predicate: (call: EmulatorCallView) => boolean, opts?: WaitOptions): Promise<EmulatorCallView>;
  /** A call's status callback matching, once it was answered (or failed). */
  waitForCallStatusCallback(predicate: (callback: CallStatusCallbackLog) => boolean, opts?: WaitOptions): Promise<CallStatusCallbackLog>;
  /** Cursors for `since`: the position of the next event of each kind. */
  cursors(): { messages: number; statusCallbacks: number; inbound: number; apiRequests: number; calls: number; callStatusCallbacks: number };
  /**
   * Message create requests from now on wait (counted against `maxConcurrentRequests`) until `release()`, so a test can
   * have exactly N in flight. One hold at a time: a new one releases the previous.
   */
  holdCreates(): HeldCreates;
  setWebhookUrl(url: string): void;
  sendInbound(input: InboundInput): Promise<InboundResult>;
  /** `mediaSidOrUrl` is an `ME…` SID or a MediaUrl; `{}` clears the media's faults. */
  setMediaFaults(mediaSidOrUrl: string, faults: MediaFaults): void;

  // Outbound Messages API (POST/GET …/Messages.json, GET/POST …/Messages/{Sid}.json).
  /** One entry per message leaving its sender's queue (status → sending), oldest first: realized MPS. */
  readonly sentLog: readonly SentLogEntry[];
  /** Every status callback POSTed, in the order the answers came back. */
  readonly statusCallbacks: readonly StatusCallbackLog[];
  /** Every message, inbound and outbound, oldest first, with its status history (also `GET /__emulator/messages`). */
  messages(): EmulatorMessageView[];
  /**
   * A sender's MPS and MMS capability; fields left out keep their value, `null` restores the
   * defaults: 5–6 digit short codes 100 MPS, +1 toll-free (800/833/844/855/866/877/888) 3 MPS, other
   * numbers 1 MPS; MMS-capable.
   */
  setSender(sender: string, config: Partial<SenderConfig> | null): void;
  /** The From of messages that give only this MessagingServiceSid (default: none, `from` stays null). */
  setMessagingServiceSender(serviceSid: string, from: string | null): void;
  /** Messages created to `to` from now on end `undelivered`/`failed` with this ErrorCode; null: delivered again. */
  setDeliveryOutcome(to: string, outcome: DeliveryOutcome | null): void;
  /** The next `n` message create requests fail with this answer, or (`hangMs`) create the message but answer late. Cumulative. */
  failNextCreates(n: number, fault: CreateFault): void;
  setOutboundOptions(settings: Partial<OutboundSettings>): void;

  // Voice calls API (POST/GET …/Calls.json, GET …/Calls/{Sid}.json).
  /** Every call, oldest first, with what it said (also `GET /__emulator/calls`). */
  calls(): EmulatorCallView[];
  /** Every call status callback, in the order the answers came back. */
  readonly callStatusCallbacks: readonly CallStatusCallbackLog[];
  /** Calls created to `to` from now on end `busy`, `no-answer` or `failed` instead of being answered; null: answered again. */
  setCallOutcome(to: string, outcome: CallOutcome | null): void;
  /**
   * The numbers `accountSid` may call from (its Twilio numbers and verified caller IDs): a call From another phone
   * number answers 400 / 21210. null (the default) allows every phone number, as IncomingPhoneNumbers owns them all.
   */
  setCallerIds(accountSid: string, numbers: readonly string[] | null): void;
  /** The next `n` call create requests fail with this answer, or (`hangMs`) place the call but answer late. Cumulative. */
  failNextCallCreates(n: number, fault: CreateFault): void;
  close(): Promise<void>;
}

export async function startTwilioEmulator(opts: EmulatorOptions): Promise<TwilioEmulator> {
  const firstAccount = opts.accounts[0];
  if (!firstAccount) throw new EmulatorUsageError('the emulator needs at least one account');
  const defaultAccountSid: string = firstAccount.sid;
  const host = opts.host ?? '127.0.0.1';
  const authTokens = new Map(opts.accounts.map((a) => [a.sid, a.authToken]));
  const store = new EmulatorStore();
  const scheduler = new Scheduler();
  const senders = new SenderRegistry();
  const settings: OutboundSettings = { ...DEFAULT_OUTBOUND_SETTINGS };
  applySettings(settings, opts);
  const engine = new OutboundEngine(store, scheduler, senders, authTokens, settings);
  const callEngine = new CallEngine(scheduler, authTokens, settings);
  const apiRequests = new EventLog<ApiRequestLog>('API requests', (r) => `${r.method} ${r.path}`);
  const cdnRequests = new EventLog<CdnRequestLog>('CDN requests', (r) => r.path);
  const inboundWebhooks = new EventLog<InboundWebhookLog>(
    'inbound webhooks',
    (w) => `${w.messageSid} ${w.from} → ${w.to} ${JSON.stringify(w.body)}: ${w.status ?? w.error}`,
  );
  const messageChanges = new EventLog<EmulatorMessageView>(
    'outbound messages',
    (m) => `${m.sid} ${m.from} → ${m.to} ${JSON.stringify(m.body)} ${m.status}`,
  );
  const callChanges = new EventLog<EmulatorCallView>('calls', (c) => `${c.sid} ${c.from} → ${c.to} ${c.status}${c.spoken ? ` said ${JSON.stringify(c.spoken)}` : ''}`);
  callEngine.onChange = (call) => callChanges.push(callView(call));
  let createHold: Hold<CreateRequestLog> | null = null;
  let webhookUrl = opts.webhookUrl;

  const cdnServer = createServer((req, res) => {
    const pathname = pathnameOf(req);
    cdnRequests.push({ path: req.url ?? '/', authorization: req.headers.authorization });
    guarded(res, async () => handleCdnRequest(store, req, res, pathname));
  });
  const cdnBaseUrl = await listen(cdnServer, host, opts.cdnPort ?? 0);

  // Filled in once the API server listens: MediaUrls and redirects need both origins.
  let apiBaseUrl = '';
  const mediaContext: MediaRouteContext = { store, authTokens, cdnBaseUrl };

  async function sendInbound(input: InboundInput): Promise<InboundResult> {
    const accountSid = input.accountSid ?? defaultAccountSid;
    const accountToken = authTokens.get(accountSid);
    if (accountToken === undefined) throw new EmulatorUsageError(`unknown account ${accountSid}`);
    const targetUrl = input.webhookUrl ?? webhookUrl;
    if (targetUrl === undefined) throw new EmulatorUsageError('no webhook URL: pass webhookUrl or call setWebhookUrl first');

    const message = messageFor(accountSid, input);
    if (input.media) {
      message.mediaSids = [];
      for (const item of input.media) {
        const media = store.addMedia(message, item.contentType, item.bytes);
        if (item.faults) store.setFaults(media.sid, item.faults);
      }
    }
    const media = message.mediaSids.flatMap((sid) => {
      const stored = store.media.get(sid);
      return stored ? [{ url: apiBaseUrl + mediaPath(stored), contentType: stored.contentType }] : [];
    });
    const params = inboundParams({
      accountSid,
      messageSid: message.sid,
      from: input.from,
      to: input.to,
      body: input.body ?? '',
      media,
      extraParams: input.extraParams ?? {},
    });
    const signingToken = input.omitSignature ? undefined : (input.signWith ?? accountToken);
    const logged = { messageSid: message.sid, from: input.from, to: input.to, body: input.body ?? '', url: targetUrl };
    let response: Awaited<ReturnType<typeof postWebhook>>;
    try {
      response = await postWebhook(targetUrl, params, signingToken);
    } catch (err) {
      inboundWebhooks.push({ ...logged, status: null, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    inboundWebhooks.push({ ...logged, status: response.status, error: null });
    return { messageSid: message.sid, ...response, params, mediaUrls: media.map((m) => m.url) };
  }

  /** A known SID is a Twilio retry: same message, same media unless new ones are given. */
  function messageFor(accountSid: string, input: InboundInput): StoredMessage {
    const existing = input.messageSid === undefined ? undefined : store.messages.get(input.messageSid);
    if (existing) {
      if (existing.accountSid !== accountSid) throw new EmulatorUsageError(`message ${existing.sid} belongs to another account`);
      return existing;
    }
    const now = new Date();
    const body = input.body ?? '';
    const message: StoredMessage = {
      sid: input.messageSid ?? newSid('SM'),
      accountSid,
      mediaSids: [],
      createdAt: now,
      direction: 'inbound',
      from: input.from,
      to: input.to,
      body,
      messagingServiceSid: null,
      status: 'received',
      history: [{ status: 'received', at: now, errorCode: null }],
      updatedAt: now,
      dateSent: now,
      errorCode: null,
      errorMessage: null,
      numSegments: segmentInfo(body).segments,
      mediaUrls: [],
      statusCallback: null,
    };
    store.messages.set(message.sid, message);
    return message;
  }

  // One count of create requests in flight for Messages and Calls: Twilio's concurrency limit is the account's.
  const concurrency = { active: 0 };
  const messagesContext: MessagesRouteContext = { store, authTokens, engine, scheduler, concurrency, hold: () => createHold };
  const callsContext: CallsRouteContext = { engine: callEngine, authTokens, scheduler, settings, concurrency };
  const messages = (): EmulatorMessageView[] => messageViews(store, apiBaseUrl);
  const calls = (): EmulatorCallView[] => [...callEngine.calls.values()].map(callView);
  engine.onChange = (message) => messageChanges.push(messageView(store, apiBaseUrl, message));

  const apiServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const pathname = url.pathname;
    apiRequests.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization });
    guarded(res, async () => {
      if (pathname.startsWith('/__emulator/')) await handleControlRoute(req, res, pathname, { sendInbound, messages, calls });
      else if (handleMediaRoute(mediaContext, req, res, pathname)) return;
      else if (handleNumbersRoute({ authTokens, senders }, req, res, url)) return;
      else if (await handleCallsRoute(callsContext, req, res, url)) return;
      else if (!(await handleMessagesRoute(messagesContext, req, res, url))) sendTwilioNotFound(res, pathname);
    });
  });
  try {
    apiBaseUrl = await listen(apiServer, host, opts.apiPort ?? 0);
  } catch (err) {
    await closeServer(cdnServer);
    throw err;
  }

  return {
    apiBaseUrl,
    cdnBaseUrl,
    apiRequests: apiRequests.entries,
    cdnRequests: cdnRequests.entries,
    inboundWebhooks: inboundWebhooks.entries,
    waitForMessage: (predicate, waitOpts) => messageChanges.waitFor(predicate, waitOpts),
    waitForStatusCallback: (predicate, waitOpts) => engine.callbackLog.waitFor(predicate, waitOpts),
    waitForInbound: (predicate, waitOpts) => inboundWebhooks.waitFor(predicate, waitOpts),
    waitForApiRequest: (predicate, waitOpts) => apiRequests.waitFor(predicate, waitOpts),
    waitForCall: (predicate, waitOpts) => callChanges.waitFor(predicate, waitOpts),
    waitForCallStatusCallback: (predicate, waitOpts) => callEngine.callbackLog.waitFor(predicate, waitOpts),
    cursors: () => ({
      messages: messageChanges.cursor(),
      statusCallbacks: engine.callbackLog.cursor(),
      inbound: inboundWebhooks.cursor(),
      apiRequests: apiRequests.cursor(),
      calls: callChanges.cursor(),
      callStatusCallbacks: callEngine.callbackLog.cursor(),
    }),
    holdCreates() {
      createHold?.release();
      const hold = new Hold<CreateRequestLog>('held create requests', (r) => `${r.from} → ${r.to} ${JSON.stringify(r.body)}`);
      createHold = hold;
      return {
        waitUntilHeld: (n, waitOpts) => hold.waitUntilHeld(n, waitOpts),
        held: hold.held.entries,
        release() {
          hold.release();
          if (createHold === hold) createHold = null;
        },
      };
    },
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    sendInbound,
    setMediaFaults(mediaSidOrUrl, faults) {
      store.setFaults(mediaSidOf(mediaSidOrUrl), faults);
    },
    sentLog: engine.sentLog.entries,
    statusCallbacks: engine.callbackLog.entries,
    messages,
    setSender(sender, config) {
      senders.set(sender, config);
    },
    setMessagingServiceSender(serviceSid, from) {
      engine.setMessagingServiceSender(serviceSid, from);
    },
    setDeliveryOutcome(to, outcome) {
      engine.setDeliveryOutcome(to, outcome);
    },
    failNextCreates(n, fault) {
      engine.failNextCreates(n, fault);
    },
    setOutboundOptions(partial) {
      applySettings(settings, partial);
      callEngine.repump();
    },
    calls,
    callStatusCallbacks: callEngine.callbackLog.entries,
    setCallOutcome(to, outcome) {
      callEngine.setOutcome(to, outcome);
    },
    setCallerIds(accountSid, numbers) {
      callEngine.setCallerIds(accountSid, numbers);
    },
    failNextCallCreates(n, fault) {
      callEngine.failNextCreates(n, fault);
    },
    async close() {
      // First, so no timer fires and no status callback starts once closing has begun.
      scheduler.close();
      createHold?.release();
      for (const log of [apiRequests, cdnRequests, inboundWebhooks, messageChanges, engine.sentLog, engine.callbackLog, callChanges, callEngine.callbackLog]) {
        log.close('the emulator closed');
      }
      await Promise.all([closeServer(apiServer), closeServer(cdnServer)]);
    },
  };
}

/** Copies the outbound settings present in `partial`, checked, into `settings`. */
function applySettings(settings: OutboundSettings, partial: Partial<OutboundSettings>): void {
  const nonNegative = (name: 'statusDelayMs' | 'requestLatencyMs'): void => {
    const value = partial[name];
    if (value === undefined) return;
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
    settings[name] = value;
  };
  nonNegative('statusDelayMs');
  nonNegative('requestLatencyMs');
  if (partial.maxConcurrentRequests !== undefined) {
    if (!(Number.isInteger(partial.maxConcurrentRequests) && partial.maxConcurrentRequests >= 1)) {
      throw new RangeError(`maxConcurrentRequests must be a positive integer, got ${partial.maxConcurrentRequests}`);
    }
    settings.maxConcurrentRequests = partial.maxConcurrentRequests;
  }
  if (partial.callsPerSecond !== undefined) {
    if (!(Number.isFinite(partial.callsPerSecond) && partial.callsPerSecond > 0)) {
      throw new RangeError(`callsPerSecond must be a positive number, got ${partial.callsPerSecond}`);
    }
    settings.callsPerSecond = partial.callsPerSecond;
  }
  if (partial.duplicateCallbacks !== undefined) settings.duplicateCallbacks = partial.duplicateCallbacks;
  if (partial.shuffleCallbacks !== undefined) settings.shuffleCallbacks = partial.shuffleCallbacks;
}

function pathnameOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://emulator.invalid').pathname;
}

/** A bug in a handler answers 500 instead of leaving the client hanging. */
function guarded(res: ServerResponse, handle: () => Promise<void>): void {
  handle().catch((err: unknown) => {
    if (res.headersSent || res.destroyed) res.destroy();
    else sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
  });
}
