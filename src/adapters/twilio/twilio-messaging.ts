import type { TwilioAccount } from '../../config.ts';
import { sayTwiml } from '../../domain/twiml.ts';
import {
  SendError,
  type CallCandidate,
  type CallRequest,
  type Messaging,
  type NumberCapabilities,
  type PlacedCall,
  type SendRequest,
  type SentCandidate,
  type SentMessage,
} from '../../ports/messaging.ts';
import { createTwilioClient, type TwilioClient } from './client.ts';
import { AdaptiveLimit } from './adaptive-limit.ts';

interface TwilioRestError {
  status?: number;
  code?: number;
  message?: string;
}

/** Creates in flight per account at most; fewer once Twilio answers 429 (see AdaptiveLimit). */
const MAX_IN_FLIGHT = 16;
/** Tries of one send while its 429s are our own overshoot; past that it is the queue's to retry later. */
const MAX_TRIES_ON_OVERSHOOT = 4;
/** How long a number's capabilities are trusted before Twilio is asked again (they change rarely). */
const CAPABILITIES_TTL_MS = 10 * 60_000;
/** A lookup that failed is not retried on every send, only after this. */
const CAPABILITIES_RETRY_MS = 60_000;
/**
 * How far before an attempt's recorded start a message it created may be dated: Twilio's dates are whole
 * seconds from Twilio's clock, the start is the database's. Generous, because missing our own message means
 * sending it twice, and an older message of ours cannot match anyway (its SID is known, so it is ruled out).
 */
const CLOCK_SKEW_MS = 60_000;

/**
 * Messaging over the official SDK, one client per configured account. A 429 on a request sent alongside
 * others of ours is our own overshoot (a probe, or a burst past a limit not yet learnt): the limit drops
 * below that concurrency and the request goes again at once, through it. A 429 with nothing else of ours in
 * flight (another client shares the account), or a request throttled again and again, is thrown as
 * `throttled` for the caller to retry after Retry-After. Either way Twilio created nothing: no double send.
 */
export class TwilioMessaging implements Messaging {
  private readonly clients = new Map<string, TwilioClient>();
  private readonly limits = new Map<string, AdaptiveLimit>();
  private readonly numbers = new Map<string, { value: NumberCapabilities | null; until: number }>();
  private readonly numberLists = new Map<string, { value: ({ number: string } & NumberCapabilities)[] | null; until: number }>();

  constructor(
    private readonly accounts: () => readonly TwilioAccount[],
    private readonly apiBaseUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  /**
   * A 429 that lowered this account's concurrency limit was smsdesk's own overshoot (a probe, or a burst
   * past a limit not yet learnt): the request goes again at once, through the lowered limit. A 429 that
   * taught nothing (the limit is already below what was in flight: another client shares the account) is
   * the caller's to retry after Retry-After. Either way Twilio created nothing, so nothing can be doubled.
   */
  async send(request: SendRequest): Promise<SentMessage> {
    return this.create(request.accountSid, async (client) => {
      const message = await client.messages.create({
        to: request.to,
        from: request.from,
        body: request.body,
        ...(request.mediaUrls.length ? { mediaUrl: request.mediaUrls } : {}),
        statusCallback: request.statusCallback,
      });
      return { sid: message.sid, status: message.status };
    });
  }

  /**
   * `POST /Calls.json` with the TwiML inline (https://www.twilio.com/docs/voice/api/call-resource), through the
   * same per-account concurrency limit as messages: Twilio's concurrency limit is the account's, whatever the
   * resource. With a StatusCallback, every progress event is asked for: `initiated` comes first, so an unclear
   * create is usually named by a callback well before it is retried (as with messages, the URL can carry the
   * attempt's id); without events Twilio would send only `completed`.
   */
  async call(request: CallRequest): Promise<PlacedCall> {
    // Before anything is sent: a text that cannot be TwiML is the caller's error, not Twilio's.
    const twiml = sayTwiml(request.say);
    return this.create(request.accountSid, async (client) => {
      const call = await client.calls.create({
        to: request.to,
        from: request.from,
        twiml,
        ...(request.statusCallback === undefined
          ? {}
          : { statusCallback: request.statusCallback, statusCallbackMethod: 'POST', statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'] }),
      });
      return { sid: call.sid, status: call.status };
    });
  }

  /** One create through the account's limit, sent again at once while its 429s are our own overshoot. */
  private async create<T>(accountSid: string, request: (client: TwilioClient) => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      const outcome = await this.createOnce(accountSid, request);
      if ('created' in outcome) return outcome.created;
      if (!outcome.overshoot || tries >= MAX_TRIES_ON_OVERSHOOT) throw outcome.error;
    }
  }

  private async createOnce<T>(
    accountSid: string,
    request: (client: TwilioClient) => Promise<T>,
  ): Promise<{ created: T } | { error: SendError; overshoot: boolean }> {
    const client = this.client(accountSid);
    const limit = this.limitFor(accountSid);
    const inFlight = await limit.acquire();
    try {
      const created = await request(client);
      limit.release('ok', inFlight);
      return { created };
    } catch (err) {
      const error = toSendError(err);
      const throttled = error.kind === 'throttled';
      limit.release(throttled ? 'throttled' : 'other', inFlight);
      return { error, overshoot: throttled && inFlight > 1 };
    }
  }

  private limitFor(accountSid: string): AdaptiveLimit {
    let limit = this.limits.get(accountSid);
    if (!limit) {
      limit = new AdaptiveLimit(MAX_IN_FLIGHT);
      this.limits.set(accountSid, limit);
    }
    return limit;
  }

  async findSent(query: { accountSid: string; from: string; to: string; body: string; since: Date }): Promise<SentCandidate[]> {
    // Not filtered by DateSent: a message still queued at Twilio has no date_sent yet. Newest first, so the
    // last 50 of this conversation cover any attempt that could be in question.
    const recent = await this.client(query.accountSid).messages.list({ from: query.from, to: query.to, limit: 50 });
    return recent
      .filter((m) => m.body === query.body && m.dateCreated.getTime() >= query.since.getTime() - CLOCK_SKEW_MS)
      .map((m) => ({ sid: m.sid, status: m.status, createdAt: m.dateCreated }));
  }

  /**
   * Not filtered by StartTime: a call still queued (behind the account's calls-per-second limit, the likeliest
   * state right after an unclear create) has no start_time yet ("Empty if the call has not yet been dialed",
   * https://www.twilio.com/docs/voice/api/call-resource). The last 50 calls between the two numbers, matched by
   * date_created like findSent.
   */
  async findCalls(query: { accountSid: string; from: string; to: string; since: Date }): Promise<CallCandidate[]> {
    const recent = await this.client(query.accountSid).calls.list({ from: query.from, to: query.to, limit: 50 });
    return recent
      .filter((c) => c.dateCreated.getTime() >= query.since.getTime() - CLOCK_SKEW_MS)
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime())
      .map((c) => ({ sid: c.sid, status: c.status, dateCreated: c.dateCreated }));
  }

  async capabilities(accountSid: string, number: string): Promise<NumberCapabilities | null> {
    const key = `${accountSid}:${number}`;
    const cached = this.numbers.get(key);
    if (cached && cached.until > Date.now()) return cached.value;
    // Only phone numbers are IncomingPhoneNumbers; a short code or Messaging Service SID is not looked up.
    if (!number.startsWith('+')) return null;
    let value: NumberCapabilities | null;
    let ttl = CAPABILITIES_TTL_MS;
    try {
      const [found] = await this.client(accountSid).incomingPhoneNumbers.list({ phoneNumber: number, limit: 1 });
      value = found ? { sms: found.capabilities.sms, mms: found.capabilities.mms } : null;
    } catch {
      // Unknown rather than refused: Twilio still checks the message itself, and its error is explained.
      value = null;
      ttl = CAPABILITIES_RETRY_MS;
    }
    this.numbers.set(key, { value, until: Date.now() + ttl });
    return value;
  }

  /** Asked of Twilio at most every 10 minutes per account (a minute after a failure), like capabilities. */
  async listNumbers(accountSid: string): Promise<({ number: string } & NumberCapabilities)[] | null> {
    const cached = this.numberLists.get(accountSid);
    if (cached && cached.until > Date.now()) return cached.value;
    let value: ({ number: string } & NumberCapabilities)[] | null;
    let ttl = CAPABILITIES_TTL_MS;
    try {
      const found = await this.client(accountSid).incomingPhoneNumbers.list({ limit: 1000 });
      value = found.map((n) => ({ number: n.phoneNumber, sms: n.capabilities.sms, mms: n.capabilities.mms }));
      for (const n of value) this.numbers.set(`${accountSid}:${n.number}`, { value: { sms: n.sms, mms: n.mms }, until: Date.now() + ttl });
    } catch {
      value = null;
      ttl = CAPABILITIES_RETRY_MS;
    }
    this.numberLists.set(accountSid, { value, until: Date.now() + ttl });
    return value;
  }

  private client(accountSid: string): TwilioClient {
    let client = this.clients.get(accountSid);
    if (!client) {
      const account = this.accounts().find((a) => a.sid === accountSid);
      if (!account) throw new SendError('rejected', `account ${accountSid} is not configured in smsdesk`);
      client = createTwilioClient(account, this.apiBaseUrl, this.timeoutMs);
      this.clients.set(accountSid, client);
    }
    return client;
  }
}

function toSendError(err: unknown): SendError {
  const e = err as TwilioRestError;
  if (typeof e?.status === 'number') {
    const code = typeof e.code === 'number' ? e.code : null;
    const message = e.message ?? `HTTP ${e.status}`;
    if (e.status === 429 || code === 20429) return new SendError('throttled', message, code ?? 20429, 1000);
    if (e.status >= 400 && e.status < 500) return new SendError('rejected', message, code);
    return new SendError('unclear', message, code);
  }
  return new SendError('unclear', (err as Error)?.message ?? String(err));
}
