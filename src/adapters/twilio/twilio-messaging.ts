import type { TwilioAccount } from '../../config.ts';
import { SendError, type Messaging, type SendRequest, type SentMessage } from '../../ports/messaging.ts';
import { createTwilioClient, type TwilioClient } from './client.ts';
import { AdaptiveLimit } from './adaptive-limit.ts';

interface TwilioRestError {
  status?: number;
  code?: number;
  message?: string;
}

/** Creates in flight per account at most; fewer while Twilio answers 429 (see AdaptiveLimit). */
const MAX_IN_FLIGHT = 16;

/** Messaging over the official SDK, one client per configured account. */
export class TwilioMessaging implements Messaging {
  private readonly clients = new Map<string, TwilioClient>();
  private readonly limits = new Map<string, AdaptiveLimit>();

  constructor(
    private readonly accounts: () => readonly TwilioAccount[],
    private readonly apiBaseUrl: string,
    private readonly timeoutMs = 15_000,
  ) {}

  async send(request: SendRequest): Promise<SentMessage> {
    const client = this.client(request.accountSid);
    const limit = this.limitFor(request.accountSid);
    await limit.acquire();
    let outcome: 'ok' | 'throttled' | 'other' = 'other';
    try {
      const message = await client.messages.create({
        to: request.to,
        from: request.from,
        body: request.body,
        ...(request.mediaUrls.length ? { mediaUrl: request.mediaUrls } : {}),
        statusCallback: request.statusCallback,
      });
      outcome = 'ok';
      return { sid: message.sid, status: message.status };
    } catch (err) {
      const sendError = toSendError(err);
      if (sendError.kind === 'throttled') outcome = 'throttled';
      throw sendError;
    } finally {
      limit.release(outcome);
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

  async findSent(query: { accountSid: string; from: string; to: string; body: string; since: Date }): Promise<SentMessage | null> {
    // Not filtered by DateSent: a message still queued at Twilio has no date_sent yet. Newest first, so the
    // last 50 of this conversation cover any attempt that could be in question.
    const recent = await this.client(query.accountSid).messages.list({ from: query.from, to: query.to, limit: 50 });
    const match = recent.find((m) => m.body === query.body && m.dateCreated.getTime() >= query.since.getTime() - 60_000);
    return match ? { sid: match.sid, status: match.status } : null;
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
