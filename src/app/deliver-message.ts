import { outgoingSmsHtml } from '../domain/ticket-format.ts';
import type { Helpdesk } from '../ports/helpdesk.ts';
import { DELIVERY_NOTE_QUEUE, noteDeliveryProblem } from './note-delivery-problem.ts';
import { SidTaken, type EarlyCallback, type OutboundForSending, type OutboundStore } from '../ports/outbound-store.ts';
import { SendError, type Messaging } from '../ports/messaging.ts';
import type { ApplyStatus } from './apply-status.ts';
import type { OptOutStore } from '../ports/opt-out-store.ts';
import { DeferJob, PermanentJobError } from '../ports/queue.ts';
import type { EventOutbox } from '../ports/event-outbox.ts';

/** Waits for a slot up to this long in the handler; longer waits go back to the queue. */
const MAX_SLEEP_MS = 250;

/** Twilio: "Attempt to send to unsubscribed recipient". */
const UNSUBSCRIBED = 21610;
import { segmentInfo } from '../domain/segments.ts';
import type { SendPacing } from '../ports/sender-budget.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Sends one stored outbound message through Twilio, exactly once: the attempt is recorded before the call,
 * and an attempt whose outcome was never recorded (a timeout, a crash) is first reconciled (see reconcile);
 * only if Twilio has no such message is it sent again. A throttled request (429/20429) is certainly not sent
 * and is simply retried later by the queue, with backoff. A send the queue gives up on ends failed, with a
 * note (giveUp).
 */
export class DeliverMessage {
  constructor(
    private readonly outbound: OutboundStore,
    private readonly messaging: Messaging,
    private readonly helpdesk: Helpdesk,
    /** Twilio's StatusCallback for a message: it names the message, so its callbacks say whose create they follow. */
    private readonly statusCallbackUrl: (messageId: number) => string,
    private readonly pacing: SendPacing,
    private readonly statuses: ApplyStatus,
    private readonly optOuts: OptOutStore,
    private readonly events?: EventOutbox,
  ) {}

  /** Returns the message as it was loaded (null: no such message), for whoever reports on it. */
  async run(messageId: number): Promise<OutboundForSending | null> {
    const msg = await this.outbound.loadForSending(messageId);
    if (!msg) return null;
    await this.deliver(msg);
    return msg;
  }

  private async deliver(msg: OutboundForSending): Promise<void> {
    if (msg.sendState === 'accepted' && msg.sid) return this.noteSent(msg, msg.sid);
    // Rejected before: the note about it may not have been written yet (the helpdesk was busy).
    if (msg.sendState === 'rejected') return msg.ticketId === null ? undefined : this.noteProblem(msg, 'failed', msg.errorCode, msg.errorMessage);
    if (msg.sendState === 'attempting' && msg.attemptStartedAt) {
      const sid = await this.reconcile(msg, msg.attemptStartedAt);
      if (sid) return this.accepted(msg, sid);
    }
    const slot = await this.waitForSlot(msg);
    await this.outbound.markAttempting(msg.id);
    let sid: string;
    try {
      ({ sid } = await this.messaging.send({
        accountSid: msg.accountSid, from: msg.from, to: msg.to, body: msg.body, mediaUrls: msg.mediaUrls,
        statusCallback: this.statusCallbackUrl(msg.id),
      }));
    } catch (err) {
      if (err instanceof SendError && err.kind === 'rejected') {
        await this.outbound.markRejected(msg.id, err.code, err.message);
        // Twilio knows the customer unsubscribed (STOP before smsdesk was there, or on another system).
        if (err.code === UNSUBSCRIBED) {
          await this.optOuts.record({ accountSid: msg.accountSid, sender: msg.from, customer: msg.to, optedOut: true, keyword: '21610', source: 'twilio-21610' });
        }
        return this.noteProblem(msg, 'failed', err.code, err.message);
      }
      if (err instanceof SendError && err.kind === 'throttled') {
        // Nothing was sent: come back after Twilio's Retry-After, without counting it as a failed attempt, and
        // keep the slot it booked (unused, so the budget is not spent twice): it goes as soon as it is back.
        await this.outbound.markPending(msg.id, slot);
        throw new DeferJob(new Date(Date.now() + (err.retryAfterMs ?? 1000)));
      }
      throw err;
    }
    await this.accepted(msg, sid);
  }

  /**
   * What an attempt that got no answer created at Twilio, if anything. Surest first: a status callback whose
   * URL names this message (only this message's creates give that URL). Else Twilio's list: same from, to
   * and body, created since the attempt began, and held by no message in smsdesk, so an earlier reply with
   * the same words is never taken for this one. Nothing found: Twilio created nothing, send again.
   */
  private async reconcile(msg: OutboundForSending, since: Date): Promise<string | null> {
    const [called] = await this.outbound.callbackSids(msg.id);
    if (called) return called;
    const candidates = await this.messaging.findSent({ accountSid: msg.accountSid, from: msg.from, to: msg.to, body: msg.body, since });
    const known = await this.outbound.knownSids(candidates.map((c) => c.sid));
    return candidates.find((c) => !known.has(c.sid))?.sid ?? null;
  }

  /** Records the SID, applies status callbacks that beat it here, and notes the reply on its ticket. */
  private async accepted(msg: OutboundForSending, sid: string): Promise<void> {
    let early: EarlyCallback[];
    try {
      early = await this.outbound.markAccepted(msg.id, sid);
    } catch (err) {
      // Retrying records the same SID again and fails again: park it now, visibly (giveUp).
      if (err instanceof SidTaken) throw new PermanentJobError(err.message);
      throw err;
    }
    for (const e of early) await this.statuses.apply(e);
    await this.noteSent(msg, sid);
  }

  /**
   * The queue parked this message's send job (its attempts used up, or a permanent error): it must not stay
   * `queued` in silence. Marks it failed saying why, with the private note queued in the same transaction.
   * Returns the message, or null when it had an outcome already (sent or refused: nothing to add).
   */
  async giveUp(messageId: number, failure: { message: string; permanent: boolean; attempts: number }): Promise<OutboundForSending | null> {
    const msg = await this.outbound.loadForSending(messageId);
    if (!msg) return null;
    const cause = failure.message.slice(0, 300);
    const why = failure.permanent
      ? `smsdesk could not send this reply: ${cause}.`
      : `smsdesk gave up sending this reply after ${failure.attempts} attempts; the last failed with: ${cause}.`;
    // An attempt whose outcome was unclear (no answer, a 5xx) may have reached Twilio after all.
    const unsure = msg.sendState === 'attempting' ? " Its last attempt's outcome is unclear (Twilio may have taken it): check the Twilio Console's message log before sending it again." : '';
    const note = msg.ticketId === null ? null : { queue: DELIVERY_NOTE_QUEUE, key: `message:${msg.id}`, payload: { messageId: msg.id } };
    return (await this.outbound.markGivenUp(msg.id, why + unsure, note)) ? { ...msg, status: 'failed' } : null;
  }

  /**
   * Books this attempt's slot in the sender's shared budget (its segments; an MMS counts as one message),
   * once, and remembers it. A slot more than a moment away defers the job until then (the queue brings it
   * back, still first in its conversation), so messages waiting for a slow sender never hold a handler that a
   * fast sender could use. Before markAttempting, so the attempt is recorded when the call really starts.
   */
  private async waitForSlot(msg: OutboundForSending): Promise<Date> {
    let slot = msg.sendSlotAt;
    if (!slot) {
      const segments = msg.mediaUrls.length > 0 ? 1 : segmentInfo(msg.body).segments;
      slot = await this.pacing.budget.reserve(msg.from, segments, this.pacing.rate(msg.from));
      await this.outbound.bookSlot(msg.id, slot);
    }
    const waitMs = slot.getTime() - Date.now();
    if (waitMs > MAX_SLEEP_MS) throw new DeferJob(slot);
    if (waitMs > 0) await sleep(waitMs);
    return slot;
  }

  /**
   * The reply on its ticket as an outgoing note carrying the SID (idempotent: keyed by the message). A reply
   * the agent wrote in the helpdesk (auto-SMS) is on the ticket already: its note is private, a record only.
   */
  private async noteSent(msg: OutboundForSending, sid: string): Promise<void> {
    if (msg.ticketId === null) return;
    await this.helpdesk.addNote(msg.ticketId, {
      idempotencyKey: `outbound:${msg.id}`,
      bodyHtml: outgoingSmsHtml({ body: msg.body, from: msg.from, to: msg.to, sid }),
      incoming: false,
      private: Boolean(msg.originKey),
      attachments: [],
    });
  }

  private async noteProblem(msg: OutboundForSending, status: string, errorCode: number | null, errorMessage: string | null): Promise<void> {
    if (msg.ticketId === null) return;
    await noteDeliveryProblem(this.helpdesk, {
      messageId: msg.id, ticketId: msg.ticketId, to: msg.to, status, errorCode, errorMessage, from: msg.from, body: msg.body, origin: msg.origin,
    }, this.events);
  }

}
