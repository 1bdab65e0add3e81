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

/** Twilio's Calls API as smsdesk needs it: a call that reads `say` aloud (voice alerts). */
export interface CallRequest {
  accountSid: string;
  /** The caller ID: one of the account's Twilio numbers (or a verified caller ID), E.164. */
  from: string;
  to: string;
  /** The text the call reads; the adapter turns it into TwiML (domain/twiml.ts sayTwiml). */
  say: string;
  /** Where Twilio reports the call's progress (initiated, ringing, answered, completed), signed as any webhook. */
  statusCallback?: string;
}

export interface PlacedCall {
  sid: string;
  /** Twilio's Call status: `queued` right after the create. */
  status: string;
}

/** A call Twilio lists that may be the one an unclear attempt created. */
export interface CallCandidate extends PlacedCall {
  dateCreated: Date;
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
  /**
   * Places a voice call that reads `say`. Twilio's refusals, throttling and unanswered requests are `SendError`s
   * exactly as for `send` (`rejected` with Twilio's code, e.g. 21210 a From that is not the account's, 21211 a bad
   * To; `throttled`; `unclear`: reconcile with `findCalls` before calling again). A `say` that cannot become TwiML
   * (empty, or past Twilio's 4000 characters) throws the domain's `AppError` `invalid_say` before any request:
   * check it with `sayTwiml` when the text is known.
   */
  call(request: CallRequest): Promise<PlacedCall>;
  /**
   * The calls this account placed from `from` to `to` created since `since` (allowing for clock skew), newest
   * first: the candidates for what an unclear `call` created. Calls carry no text to match by, so which of them
   * are already smsdesk's is for the caller to rule out (known SIDs, a status callback naming the attempt).
   */
  findCalls(query: { accountSid: string; from: string; to: string; since: Date }): Promise<CallCandidate[]>;
}
