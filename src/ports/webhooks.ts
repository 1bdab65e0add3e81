import type { RecordedEvent } from '../domain/events.ts';
import type { DeliveryStatus, FilterVerdict, WebhookEventType } from '../domain/webhooks.ts';

/** The queue of deliveries: one job per delivery attempt series (key `webhook:<subscription>:<event>[:<series>]`). */
export const WEBHOOK_DELIVERY_QUEUE = 'webhook-delivery';

export interface WebhookSubscription {
  id: number;
  url: string;
  events: WebhookEventType[];
  /** Asked before an inbound text is routed (message.received). */
  decide: boolean;
  /** The secret's last characters ("…wxyz"): the secret itself is shown once, when the subscription is made. */
  secretHint: string;
  createdAt: Date;
  createdBy: number | null;
}

export interface SubscriptionWithSecret extends WebhookSubscription {
  secret: string;
}

/** `event`: a delivery of a recorded event (retried, resendable); `decide`: an inbound filter's question (asked once). */
export type DeliveryKind = 'event' | 'decide';

export interface DeliveryRecord {
  id: number;
  subscriptionId: number;
  /** The envelope's `id`: the event's, the same across retries and resends. */
  eventId: string;
  type: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  /** A resend starts a new series (attempts counted afresh, a new 24 h window); the log keeps every series. */
  series: number;
  /** Attempts in the current series. */
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  firstAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface DeliveryAttempt {
  series: number;
  at: Date;
  /** The receiver's HTTP status; null when there was no answer (then `error` says why). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface DeliveryWithLog extends DeliveryRecord {
  /** Newest first. */
  log: DeliveryAttempt[];
}

/** What a delivery job needs: the delivery, where it goes and how it is signed, and the event (null: no longer stored). */
export interface DeliveryWork {
  delivery: DeliveryRecord;
  url: string;
  secret: string;
  event: RecordedEvent | null;
}

/** How an attempt leaves its delivery. */
export type AttemptResult =
  | { status: 'delivered' }
  | { status: 'pending'; nextAttemptAt: Date }
  | { status: 'failed' };

export interface WebhookStore {
  create(input: { url: string; events: WebhookEventType[]; decide: boolean; secret: string; createdBy: number | null }): Promise<WebhookSubscription>;
  list(): Promise<WebhookSubscription[]>;
  get(id: number): Promise<WebhookSubscription | null>;
  /** Deletes the subscription with its deliveries (their jobs find nothing and end). */
  remove(id: number): Promise<boolean>;
  /**
   * A delivery (pending) and its job for each subscription to the event's type, in one statement; a delivery
   * that exists already (the event handed on again) is not made twice. Inbound filters are not sent
   * message.received this way: they are asked before the text is routed instead. Returns how many are new.
   */
  fanOut(event: RecordedEvent, only?: { subscriptionId: number }): Promise<number>;
  /** The (non-filter) subscription to exactly this URL, if an admin made one: an automation's webhook action posts through it. */
  byUrl(url: string): Promise<WebhookSubscription | null>;
  load(deliveryId: number, series: number): Promise<DeliveryWork | null>;
  /** Logs one attempt of `series` and moves the delivery on, unless a resend has started another series meanwhile. */
  recordAttempt(deliveryId: number, series: number, attempt: Omit<DeliveryAttempt, 'series'>, result: AttemptResult): Promise<void>;
  /** A job's own failure (not the receiver's): the delivery ends failed with it. */
  markFailed(deliveryId: number, series: number, error: string): Promise<void>;
  /** Newest first; `before`: only deliveries with a smaller id (the next page). */
  deliveries(subscriptionId: number, opts: { limit: number; before?: number }): Promise<DeliveryWithLog[]>;
  delivery(subscriptionId: number, deliveryId: number): Promise<DeliveryWithLog | null>;
  /** A new attempt series of an event delivery (same event id), with its job; null: no such delivery. */
  resend(subscriptionId: number, deliveryId: number): Promise<DeliveryRecord | null>;

  /** Subscriptions asked about inbound texts (`decide` and message.received), with their secrets. */
  filters(): Promise<SubscriptionWithSecret[]>;
  /** The verdict recorded for a text, if any. */
  verdictFor(messageId: number): Promise<RecordedVerdict | null>;
  /** Records a text's verdict unless one is recorded already; returns the one that stands. */
  recordVerdict(messageId: number, verdict: RecordedVerdict): Promise<RecordedVerdict>;
  /** Logs an inbound filter's question as a delivery of kind `decide` with its one attempt. */
  recordQuestion(input: {
    subscriptionId: number;
    eventId: string;
    attempt: Omit<DeliveryAttempt, 'series'>;
    delivered: boolean;
  }): Promise<void>;
}

/** A verdict and the subscription whose answer it is (null: no filter answered a rejection). */
export type RecordedVerdict = FilterVerdict & { webhookId: number | null };

/** One HTTP POST to a receiver. Never throws for the receiver's failures: they come back as `error`. */
export interface WebhookPoster {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult>;
}

export type PostResult =
  | { ok: true; status: number; /** At most a few KB of the answer (an inbound filter's verdict). */ body: string }
  | {
      ok: false;
      /** Why there is no answer, fit for the delivery log (never the URL's path or query). */
      error: string;
      /** smsdesk refused to connect (not a public address, a credential in the URL): retrying cannot help. */
      refused: boolean;
    };
