import { invalid } from '../domain/errors.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventConsumer, RecordedEvent } from '../ports/event-outbox.ts';
import { DeferJob } from '../ports/queue.ts';
import type { AttemptResult, WebhookPoster, WebhookStore } from '../ports/webhooks.ts';
import {
  DELIVERY_TIMEOUT_MS, RETRY_DELAYS_MS, RETRY_WINDOW_MS, SIGNATURE_HEADER, envelopeBody, isSuccess, isWebhookEventType, nextAttemptAt,
} from '../domain/webhooks.ts';
import { signatureHeader } from '../domain/webhook-signature.ts';

/**
 * Outgoing webhooks' EventConsumer: each recorded event becomes one delivery (and its job) per subscription
 * to its type. Idempotent: a delivery is unique per subscription and event, so an event handed on again
 * queues nothing new.
 */
export class WebhookFanOut implements EventConsumer {
  readonly name = 'webhooks';

  constructor(
    private readonly store: WebhookStore,
    /** Deliveries were queued (wakes the delivery worker). */
    private readonly onQueued?: () => void,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    if (!isWebhookEventType(event.type)) return;
    if ((await this.store.fanOut(event)) > 0) this.onQueued?.();
  }
}

/**
 * An automation's `webhook {url}` action: the event, delivered to the outgoing webhook an admin made for that URL
 * (its secret signs it; it is retried, logged and resendable like every delivery). A URL with no webhook is
 * refused, saying how to fix it: smsdesk never posts unsigned to an address only an automation names.
 */
export class WebhookAction {
  constructor(
    private readonly store: WebhookStore,
    private readonly onQueued?: () => void,
  ) {}

  async post(url: string, event: RecordedEvent): Promise<string> {
    const sub = await this.store.byUrl(url);
    if (!sub) {
      throw invalid('webhook_not_found', `${url} is not one of the outgoing webhooks: add it in Settings → Webhooks (its secret signs what the automation posts), then this action delivers to it.`);
    }
    const queued = await this.store.fanOut(event, { subscriptionId: sub.id });
    if (queued) this.onQueued?.();
    return `event ${event.id} to webhook ${sub.id}${queued ? '' : ' (queued already)'}`;
  }
}

export interface DeliveryOptions {
  timeoutMs: number;
  /** How long after the first attempt a failing delivery is still retried. */
  windowMs: number;
  /** Waits between attempts (the last one repeats). */
  delays: readonly number[];
}

export const DEFAULT_DELIVERY: DeliveryOptions = { timeoutMs: DELIVERY_TIMEOUT_MS, windowMs: RETRY_WINDOW_MS, delays: RETRY_DELAYS_MS };

/** The headers of a signed POST to a receiver (deliveries and inbound-filter questions alike). */
export function signedHeaders(secret: string, body: string, at: Date, event: { id: string; type: string }): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'smsdesk-webhooks/1',
    [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(secret, body, at),
    'x-smsdesk-event-id': event.id,
    'x-smsdesk-event-type': event.type,
  };
}

/**
 * One attempt of one delivery (a job of queue webhook-delivery): POST the event, signed, log the attempt;
 * a 2xx delivers it; another status or no answer schedules the next attempt with backoff (DeferJob: the job
 * comes back then, without spending one of the queue's attempts, which are for crashes) until the window
 * since the first attempt is over, then fails it. A URL smsdesk refuses to call (not a public address) fails
 * at once: retrying cannot change that. Each attempt signs afresh (a new `t`); the body, and its `id`, stay.
 */
export class DeliverWebhook {
  constructor(
    private readonly store: WebhookStore,
    private readonly poster: WebhookPoster,
    private readonly clock: Clock,
    private readonly opts: DeliveryOptions = DEFAULT_DELIVERY,
  ) {}

  async run(deliveryId: number, series: number): Promise<void> {
    const work = await this.store.load(deliveryId, series);
    // Deleted, delivered, failed, or superseded by a resend: this job has nothing left to do.
    if (!work || work.delivery.status !== 'pending' || work.delivery.series !== series) return;
    const d = work.delivery;
    const now = this.clock.now();
    // An attempt recorded whose job was not put back (a crash in between): wait as that attempt said.
    if (d.attempts > 0 && d.nextAttemptAt && d.nextAttemptAt.getTime() > now.getTime() + 1000) throw new DeferJob(d.nextAttemptAt);
    if (!work.event) {
      await this.store.markFailed(d.id, series, 'the event is no longer stored');
      return;
    }
    const body = envelopeBody(work.event);
    const started = performance.now();
    const result = await this.poster.post(work.url, body, signedHeaders(work.secret, body, now, work.event), this.opts.timeoutMs);
    const durationMs = Math.round(performance.now() - started);
    let outcome: AttemptResult;
    let error: string | null = null;
    if (result.ok && isSuccess(result.status)) outcome = { status: 'delivered' };
    else if (!result.ok && result.refused) {
      outcome = { status: 'failed' };
      error = result.error;
    } else {
      if (!result.ok) error = result.error;
      else if (result.status >= 300 && result.status < 400) error = 'answered with a redirect, which smsdesk does not follow: subscribe the final URL';
      const next = nextAttemptAt({
        firstAttemptAt: d.firstAttemptAt ?? now, now: this.clock.now(), attempts: d.attempts + 1, windowMs: this.opts.windowMs, delays: this.opts.delays,
      });
      outcome = next ? { status: 'pending', nextAttemptAt: next } : { status: 'failed' };
    }
    await this.store.recordAttempt(d.id, series, { at: now, statusCode: result.ok ? result.status : null, error, durationMs }, outcome);
    if (outcome.status === 'pending') throw new DeferJob(outcome.nextAttemptAt);
  }

  /** The queue gave up on the job itself (it kept crashing): the delivery ends failed, saying so. */
  async giveUp(deliveryId: number, series: number, message: string): Promise<void> {
    await this.store.markFailed(deliveryId, series, `smsdesk could not run the delivery: ${message}`.slice(0, 1000));
  }
}
