import { outgoingSmsHtml } from '../domain/ticket-format.ts';
import type { Helpdesk } from '../ports/helpdesk.ts';
import { noteDeliveryProblem } from './note-delivery-problem.ts';
import type { OutboundForSending, OutboundStore } from '../ports/outbound-store.ts';
import { SendError, type Messaging } from '../ports/messaging.ts';
import type { ApplyStatus } from './apply-status.ts';
import type { OptOutStore } from '../ports/opt-out-store.ts';
import { DeferJob } from '../ports/queue.ts';

/** Waits for a slot up to this long in the handler; longer waits go back to the queue. */
const MAX_SLEEP_MS = 250;

/** Twilio: "Attempt to send to unsubscribed recipient". */
const UNSUBSCRIBED = 21610;
import { segmentInfo } from '../domain/segments.ts';
import type { SendPacing } from '../ports/sender-budget.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Sends one stored outbound message through Twilio, exactly once: the attempt is recorded before the call,
 * and an attempt whose outcome was never recorded (a timeout, a crash) is first looked up in Twilio's own
 * message list; only if Twilio has no such message is it sent again. A throttled request (429/20429) is
 * certainly not sent and is simply retried later by the queue, with backoff.
 */
export class DeliverMessage {
  constructor(
    private readonly outbound: OutboundStore,
    private readonly messaging: Messaging,
    private readonly helpdesk: Helpdesk,
    private readonly statusCallbackUrl: () => string,
    private readonly pacing: SendPacing,
    private readonly statuses: ApplyStatus,
    private readonly optOuts: OptOutStore,
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
    if (msg.sendState === 'rejected') return msg.ticketId === null ? undefined : this.noteProblem(msg, 'failed', msg.errorCode);
    if (msg.sendState === 'attempting' && msg.attemptStartedAt) {
      const found = await this.messaging.findSent({ accountSid: msg.accountSid, from: msg.from, to: msg.to, body: msg.body, since: msg.attemptStartedAt });
      if (found) return this.accepted(msg, found.sid);
    }
    const slot = await this.waitForSlot(msg);
    await this.outbound.markAttempting(msg.id);
    let sid: string;
    try {
      ({ sid } = await this.messaging.send({
        accountSid: msg.accountSid, from: msg.from, to: msg.to, body: msg.body, mediaUrls: msg.mediaUrls,
        statusCallback: this.statusCallbackUrl(),
      }));
    } catch (err) {
      if (err instanceof SendError && err.kind === 'rejected') {
        await this.outbound.markRejected(msg.id, err.code, err.message);
        // Twilio knows the customer unsubscribed (STOP before smsdesk was there, or on another system).
        if (err.code === UNSUBSCRIBED) {
          await this.optOuts.record({ accountSid: msg.accountSid, sender: msg.from, customer: msg.to, optedOut: true, keyword: '21610', source: 'twilio-21610' });
        }
        return this.noteProblem(msg, 'failed', err.code);
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

  /** Records the SID, applies status callbacks that beat it here, and notes the reply on its ticket. */
  private async accepted(msg: OutboundForSending, sid: string): Promise<void> {
    for (const early of await this.outbound.markAccepted(msg.id, sid)) await this.statuses.apply(early);
    await this.noteSent(msg, sid);
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

  private async noteProblem(msg: OutboundForSending, status: string, errorCode: number | null): Promise<void> {
    if (msg.ticketId === null) return;
    await noteDeliveryProblem(this.helpdesk, { messageId: msg.id, ticketId: msg.ticketId, to: msg.to, status, errorCode });
  }

}
