import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { handleControlRoute } from './control.ts';
import { closeServer, listen, sendJson, sendTwilioNotFound } from './http-util.ts';
import { EmulatorUsageError, inboundParams, postWebhook, type InboundInput, type InboundResult } from './inbound.ts';
import { handleCdnRequest, handleMediaRoute, mediaPath, mediaSidOf, type MediaRouteContext } from './media.ts';
import { EmulatorStore, newSid, type MediaFaults, type StoredMessage } from './store.ts';

export interface EmulatorOptions {
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
  close(): Promise<void>;
}

export async function startTwilioEmulator(opts: EmulatorOptions): Promise<TwilioEmulator> {
  const firstAccount = opts.accounts[0];
  if (!firstAccount) throw new EmulatorUsageError('the emulator needs at least one account');
  const defaultAccountSid: string = firstAccount.sid;
  const host = opts.host ?? '127.0.0.1';
  const authTokens = new Map(opts.accounts.map((a) => [a.sid, a.authToken]));
  const store = new EmulatorStore();
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

    const message = messageFor(accountSid, input.messageSid);
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
  function messageFor(accountSid: string, messageSid: string | undefined): StoredMessage {
    const existing = messageSid === undefined ? undefined : store.messages.get(messageSid);
    if (existing) {
      if (existing.accountSid !== accountSid) throw new EmulatorUsageError(`message ${existing.sid} belongs to another account`);
      return existing;
    }
    const message: StoredMessage = { sid: messageSid ?? newSid('SM'), accountSid, mediaSids: [], createdAt: new Date() };
    store.messages.set(message.sid, message);
    return message;
  }

  const apiServer = createServer((req, res) => {
    const pathname = pathnameOf(req);
    apiRequests.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization });
    guarded(res, async () => {
      if (pathname.startsWith('/__emulator/')) await handleControlRoute(req, res, pathname, sendInbound);
      else if (!handleMediaRoute(mediaContext, req, res, pathname)) sendTwilioNotFound(res, pathname);
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
    async close() {
      await Promise.all([closeServer(apiServer), closeServer(cdnServer)]);
    },
  };
}

function pathnameOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://emulator.invalid').pathname;
}

/** A bug in a handler answers 500 instead of leaving the client hanging. */
function guarded(res: ServerResponse, handle: () => Promise<void>): void {
  handle().catch((err: unknown) => {
    if (res.headersSent) res.destroy();
    else sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
  });
}
