import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { segmentInfo } from '../../../domain/segments.ts';
import { handleControlRoute } from './control.ts';
import { closeServer, listen, sendJson, sendTwilioNotFound } from './http-util.ts';
import { EmulatorUsageError, inboundParams, postWebhook, type InboundInput, type InboundResult } from './inbound.ts';
import { handleCdnRequest, handleMediaRoute, mediaPath, mediaSidOf, type MediaRouteContext } from './media.ts';
import { handleMessagesRoute, messageView, messageViews, type EmulatorMessageView, type MessagesRouteContext } from './messages-api.ts';
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

export interface TwilioEmulator {
  /** Stands in for https://api.twilio.com, e.g. `http://127.0.0.1:12345` (no trailing slash). */
  readonly apiBaseUrl: string;
  /** Stands in for Twilio's media CDN, a separate origin that media fetches are redirected to. */
  readonly cdnBaseUrl: string;
  /** Every request the API origin received, oldest first. */
  readonly apiRequests: readonly ApiRequestLog[];
  /** Every request the CDN origin received, oldest first. */
  readonly cdnRequests: readonly CdnRequestLog[];
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
   * The first message, already there or created or changed later, for which `matches` holds (e.g. the next
   * outbound one with a given body, or one reaching `delivered`); rejects loudly after `timeoutMs` (5 s).
   */
  waitForMessage(matches: (message: EmulatorMessageView) => boolean, opts?: { timeoutMs?: number; what?: string }): Promise<EmulatorMessageView>;
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
  /** The next `n` create requests fail with this answer, or (`hangMs`) create the message but answer late. Cumulative. */
  failNextCreates(n: number, fault: CreateFault): void;
  setOutboundOptions(settings: Partial<OutboundSettings>): void;
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
  const apiRequests: ApiRequestLog[] = [];
  const cdnRequests: CdnRequestLog[] = [];
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
    const response = await postWebhook(targetUrl, params, signingToken);
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
    engine.notify(message);
    return message;
  }

  const messagesContext: MessagesRouteContext = { store, authTokens, engine, scheduler, concurrency: { active: 0 } };
  const messages = (): EmulatorMessageView[] => messageViews(store, apiBaseUrl);

  const apiServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const pathname = url.pathname;
    apiRequests.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization });
    guarded(res, async () => {
      if (pathname.startsWith('/__emulator/')) await handleControlRoute(req, res, pathname, { sendInbound, messages });
      else if (handleMediaRoute(mediaContext, req, res, pathname)) return;
      else if (handleNumbersRoute({ authTokens, senders }, req, res, url)) return;
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
    apiRequests,
    cdnRequests,
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    sendInbound,
    setMediaFaults(mediaSidOrUrl, faults) {
      store.setFaults(mediaSidOf(mediaSidOrUrl), faults);
    },
    sentLog: engine.sentLog,
    statusCallbacks: engine.callbackLog,
    messages,
    async waitForMessage(matches, opts = {}) {
      const view = (m: StoredMessage) => messageView(store, apiBaseUrl, m);
      const found = await engine.waitForMessage((m) => matches(view(m)), opts.timeoutMs ?? 5_000, opts.what ?? 'matching the predicate');
      return view(found);
    },
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
    },
    async close() {
      // First, so no timer fires and no status callback starts once closing has begun.
      scheduler.close();
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
