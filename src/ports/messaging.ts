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

export interface Messaging {
  send(request: SendRequest): Promise<SentMessage>;
  /**
   * A message this account sent from `from` to `to` with this body since `since`, if Twilio has one: how an
   * unclear attempt is reconciled before sending again.
   */
  findSent(query: { accountSid: string; from: string; to: string; body: string; since: Date }): Promise<SentMessage | null>;
}
