import type { Helpdesk } from '../ports/helpdesk.ts';
import type { OutboundStore } from '../ports/outbound-store.ts';
import { applyStatus, isFailure, type Status } from '../domain/message-status.ts';
import { explainTwilioError } from '../domain/twilio-errors.ts';
import { deliveryProblemHtml } from '../domain/ticket-format.ts';

/**
 * A status callback from Twilio: statuses only move forward, so repeated and out-of-order callbacks are
 * harmless; every forward move is kept with its time and error code. A reply that ends failed or
 * undelivered leaves a private note on its ticket saying what happened and what to do.
 */
export class ApplyStatus {
  constructor(
    private readonly outbound: OutboundStore,
    private readonly helpdesk: Helpdesk,
  ) {}

  async apply(callback: { sid: string; status: Status; errorCode: number | null; at: Date }): Promise<void> {
    const explained = explainTwilioError(callback.errorCode);
    const event = { status: callback.status, at: callback.at.toISOString(), errorCode: callback.errorCode };
    const result = await this.outbound.updateStatus(callback.sid, event, (current) => applyStatus(current.history, event), explained?.title ?? null);
    // A SID smsdesk never sent (a message sent from elsewhere on the account) is none of its business.
    if (!result || result.before === result.status || !isFailure(result.status) || result.ticketId === null) return;
    const e = explained ?? { title: 'Twilio gave no error code', explanation: 'The carrier did not say why.', fix: 'Check the message log in the Twilio Console.', moreInfo: null };

    await this.helpdesk.addNote(result.ticketId, {
      idempotencyKey: `delivery:${result.id}:${result.status}`,
      bodyHtml: deliveryProblemHtml({ to: result.to, status: result.status, errorCode: callback.errorCode, title: e.title, explanation: e.explanation, fix: e.fix, moreInfo: e.moreInfo }),
      incoming: false,
      private: true,
      attachments: [],
    });
  }
}
