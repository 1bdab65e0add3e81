import type { OutboundStore } from '../ports/outbound-store.ts';
import { applyStatus, isFailure, type Status } from '../domain/message-status.ts';
import { explainTwilioError } from '../domain/twilio-errors.ts';
import { DELIVERY_NOTE_QUEUE } from './note-delivery-problem.ts';
import type { EventOutbox } from '../ports/event-outbox.ts';

/**
 * A status callback from Twilio: statuses only move forward, so repeated and out-of-order callbacks are
 * harmless; every forward move is kept with its time and error code. A reply that ends failed or
 * undelivered gets a private note on its ticket saying what happened and what to do, written by a job
 * queued with the status (NoteDeliveryProblem), so the callback never waits on the helpdesk.
 */
export class ApplyStatus {
  constructor(
    private readonly outbound: OutboundStore,
    private readonly hooks: { noteQueued?: () => void; changed?: (sid: string, status: Status, ticketId: number | null) => void } = {},
    /**
     * Where `message.status_changed` is recorded, for which helpdesk, and whether anyone wants it now (outgoing
     * webhooks subscribed to it): every callback of every message would otherwise cost an event and its job.
     */
    private readonly events?: { outbox: EventOutbox; helpdesk: string; wanted?: () => Promise<boolean> },
  ) {}

  /** `messageId`: the smsdesk message the callback's URL names (null for a URL without one). */
  async apply(callback: { sid: string; status: Status; errorCode: number | null; at: Date; messageId?: number | null }): Promise<void> {
    const explained = explainTwilioError(callback.errorCode);
    const event = { status: callback.status, at: callback.at.toISOString(), errorCode: callback.errorCode };
    let queued = false;
    // A SID smsdesk never sent (a message sent from elsewhere on the account) is none of its business.
    const result = await this.outbound.updateStatus(callback.sid, event, (current) => applyStatus(current.history, event), explained?.title ?? null, (r) => {
      if (r.before === r.status || !isFailure(r.status) || r.ticketId === null) return null;
      queued = true;
      return { queue: DELIVERY_NOTE_QUEUE, key: `message:${r.id}`, payload: { messageId: r.id } };
    }, callback.messageId ?? null);
    if (queued) this.hooks.noteQueued?.();
    if (result && result.before !== result.status) this.hooks.changed?.(callback.sid, result.status, result.ticketId);
    // Once per message and status (the dedupe key): recorded when the callback moved the status, and again
    // (a no-op) when Twilio repeats the callback that did, so a crash between the two statements loses nothing.
    if (result && this.events && result.status === callback.status && (await (this.events.wanted?.() ?? true))) {
      await this.events.outbox.record([{
        type: 'message.status_changed',
        dedupeKey: `message.status_changed:${result.id}:${result.status}`,
        helpdesk: this.events.helpdesk,
        ticketId: result.ticketId,
        data: {
          message: {
            id: result.id, sid: callback.sid, direction: 'outbound', from: result.from, to: result.to, body: result.body,
            status: result.status, errorCode: callback.errorCode,
          },
          previousStatus: result.before,
          ticketId: result.ticketId,
        },
      }]);
    }
  }
}
