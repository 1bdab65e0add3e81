import type { Helpdesk } from '../ports/helpdesk.ts';
import type { OutboundStore } from '../ports/outbound-store.ts';
import { isFailure } from '../domain/message-status.ts';
import { explainTwilioError } from '../domain/twilio-errors.ts';
import { deliveryProblemHtml } from '../domain/ticket-format.ts';
import { automationOf } from '../domain/events.ts';
import type { EventOutbox } from '../ports/event-outbox.ts';

export const DELIVERY_NOTE_QUEUE = 'delivery-note';

export interface DeliveryProblem {
  messageId: number;
  ticketId: number;
  to: string;
  status: string;
  errorCode: number | null;
  /** What Twilio or smsdesk said, used when the code has no explanation of its own. */
  errorMessage?: string | null;
  /** For its message.failed event: the text, its sender, and who made it (an automation's own text carries its id). */
  from: string;
  body: string;
  origin: string | null;
}

/**
 * The private note for a reply that ended failed or undelivered (or that Twilio refused outright): what
 * happened and what to do. Keyed by message and status, so writing it again writes nothing.
 */
export async function noteDeliveryProblem(helpdesk: Helpdesk, p: DeliveryProblem, events?: EventOutbox): Promise<void> {
  // The event first: a retry (busy helpdesk) records it again, deduplicated by the message.
  const by = automationOf(p.origin);
  await events?.record([{
    type: 'message.failed', dedupeKey: `message.failed:${p.messageId}`, helpdesk: helpdesk.name, ticketId: p.ticketId,
    data: {
      ticket: { id: p.ticketId },
      message: { id: p.messageId, direction: 'outbound', from: p.from, to: p.to, body: p.body, status: p.status, errorCode: p.errorCode },
    },
    causedBy: by === null ? [] : [by],
  }]);
  const e = explainTwilioError(p.errorCode) ?? (p.errorMessage
    ? {
        title: 'Could not be sent', explanation: p.errorMessage, moreInfo: null,
        fix: 'Check the message log in the Twilio Console to see whether it went out; if not, send it again once the cause is fixed.',
      }
    : { title: 'Twilio gave no error code', explanation: 'The carrier did not say why.', fix: 'Check the message log in the Twilio Console.', moreInfo: null });
  await helpdesk.addNote(p.ticketId, {
    idempotencyKey: `delivery:${p.messageId}:${p.status}`,
    bodyHtml: deliveryProblemHtml({ to: p.to, status: p.status, errorCode: p.errorCode, title: e.title, explanation: e.explanation, fix: e.fix, moreInfo: e.moreInfo }),
    incoming: false,
    private: true,
    attachments: [],
  });
}

/**
 * The job behind a failure status callback: the callback is answered as soon as the status is stored (with
 * this job, in the same transaction), and the note is written here, where a slow or rate-limited helpdesk
 * delays nothing but the note.
 */
export class NoteDeliveryProblem {
  constructor(
    private readonly outbound: OutboundStore,
    private readonly helpdesk: Helpdesk,
    private readonly events?: EventOutbox,
  ) {}

  async run(messageId: number): Promise<void> {
    const m = await this.outbound.loadForSending(messageId);
    if (!m || m.ticketId === null || !isFailure(m.status)) return;
    await noteDeliveryProblem(this.helpdesk, {
      messageId: m.id, ticketId: m.ticketId, to: m.to, status: m.status, errorCode: m.errorCode, errorMessage: m.errorMessage,
      from: m.from, body: m.body, origin: m.origin,
    }, this.events);
  }
}
