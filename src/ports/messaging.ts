/** A Twilio account smsdesk sends from and takes webhooks for (TWILIO_ACCOUNT_SID/TOKEN, `twilioAccounts`). */
export interface TwilioAccount {
  sid: string;
  authToken: string;
}

/** Twilio's Messages API as smsdesk needs it. */
export interface SendRequest {
  accountSid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  statusCallback: string;
}

export interface SentMessage {
  sid: string;
  status: string;
}

/** A message Twilio lists that may be the one an unclear attempt created. */
export interface SentCandidate extends SentMessage {
  createdAt: Date;
}

/**
 * Why a send did not succeed, as it matters for what to do next:
 * - `rejected`: Twilio answered and refused this message (invalid number, unsubscribed, …): do not retry;
 * - `throttled`: Twilio answered that it did not take the request (429/20429): retry later, nothing was sent;
 * - `unclear`: no answer (timeout, connection reset, 5xx): the message may exist; reconcile before retrying.
 */
export class SendError extends Error {
  constructor(
    readonly kind: 'rejected' | 'throttled' | 'unclear',
    message: string,
    readonly code: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** What a Twilio phone number can do, as Twilio lists it (IncomingPhoneNumbers `capabilities`). */
export interface NumberCapabilities {
  sms: boolean;
  mms: boolean;
}

export interface Messaging {
  send(request: SendRequest): Promise<SentMessage>;
  /**
   * The messages this account sent from `from` to `to` with this body, created since `since` (allowing for
   * clock skew), newest first: the candidates for what an unclear attempt created. Which of them are already
   * smsdesk's is for the caller to rule out.
   */
  findSent(query: { accountSid: string; from: string; to: string; body: string; since: Date }): Promise<SentCandidate[]>;
  /**
   * The sending number's capabilities in this account; null when Twilio does not list it as one of the
   * account's phone numbers (a short code, a Messaging Service, another account's number) or could not be
   * asked: unknown, so Twilio decides when the message is sent.
   */
  capabilities(accountSid: string, number: string): Promise<NumberCapabilities | null>;
  /** The account's phone numbers with their capabilities (the console's settings); null when Twilio cannot be asked. */
  listNumbers(accountSid: string): Promise<({ number: string } & NumberCapabilities)[] | null>;
}
