import type { Clock } from '../ports/clock.ts';
import type { AgentMessage, RecordedRemoteHelpdesk, TicketEventView } from '../ports/helpdesk.ts';
import type { HelpdeskRecords } from '../ports/helpdesk-records.ts';
import { hasWriteMarker } from '../domain/write-marker.ts';
import { AppError } from '../domain/errors.ts';
import { autoSmsRefusedHtml } from '../domain/ticket-format.ts';
import type { SendMessage } from './send-message.ts';
import type { EventOutbox, NewEvent } from '../ports/event-outbox.ts';

export const HELPDESK_EVENT_QUEUE = 'helpdesk-event';

/**
 * On a ticket auto-SMS has never handled (one smsdesk did not create), agent messages older than this are
 * the ticket's history, not replies to send now.
 */
export const FIRST_SIGHT_WINDOW_MS = 10 * 60_000;

/**
 * Auto-SMS: what a helpdesk webhook (an agent's reply or public note, a ticket update) leads to. The webhook
 * only says which ticket; this reads the ticket and its public agent messages from the helpdesk, which is
 * the truth however many events arrive, in whatever order, and however the automation words its payload.
 * Each new agent message on a ticket carrying the SMS tag is sent to the requester from the ticket's number
 * (HTML turned into text); delivery then records the SID, or the failure, as a private note. Never echoed:
 * messages smsdesk wrote itself (known by id, or by the marker in their body) are skipped, and each message
 * is handled once (a per-ticket mark, and one outbound message per helpdesk message).
 */
export class HelpdeskEvents {
  constructor(
    private readonly helpdesk: RecordedRemoteHelpdesk,
    private readonly records: HelpdeskRecords,
    private readonly send: SendMessage,
    private readonly opts: { tag: () => string; clock: Clock; events?: EventOutbox },
  ) {}

  async run(ticketId: number): Promise<void> {
    const view = await this.helpdesk.ticketForEvent(ticketId);
    if (!view) return;
    const name = this.helpdesk.name;
    const handled = await this.records.handledThrough(name, ticketId);
    const now = this.opts.clock.now().getTime();
    const fresh = view.agentMessages
      .filter((m) => (handled === null ? now - m.createdAt.getTime() < FIRST_SIGHT_WINDOW_MS : m.id > handled))
      .sort((a, b) => a.id - b.id);
    if (!fresh.length) return;
    const tag = this.opts.tag().toLowerCase();
    const tagged = view.tags.some((t) => t.toLowerCase() === tag);
    const own = await this.helpdesk.ownNotes(fresh.map((m) => m.id));
    for (const m of fresh) {
      const ours = own.has(m.id) || hasWriteMarker(m.bodyHtml);
      // An agent's reply in the helpdesk is an event whether or not auto-SMS sends it (recorded before the mark moves).
      if (!ours) await this.opts.events?.record([agentReplied(name, view, m)]);
      if (tagged && !ours) await this.sendOne(view, m);
      await this.records.markHandled(name, ticketId, m.id);
    }
  }

  /**
   * Queues the SMS. A reply smsdesk cannot send (opted-out customer, no mobile number, nothing but an image)
   * is explained in a private note instead; a passing problem (database, helpdesk) retries the job.
   */
  private async sendOne(view: TicketEventView, m: AgentMessage): Promise<void> {
    const ticketId = view.summary.id;
    try {
      await this.send.reply(ticketId, { bodyHtml: m.bodyHtml, originKey: `${this.helpdesk.name}:message:${m.id}` });
    } catch (err) {
      if (!(err instanceof AppError) || err.kind === 'unavailable') throw err;
      await this.helpdesk.addNote(ticketId, {
        idempotencyKey: `auto-sms:${m.id}:refused`,
        bodyHtml: autoSmsRefusedHtml({ to: view.summary.requesterPhone, reason: err.message }),
        incoming: false,
        private: true,
        attachments: [],
      });
    }
  }
}

function agentReplied(helpdesk: string, view: TicketEventView, m: AgentMessage): NewEvent {
  const s = view.summary;
  return {
    type: 'ticket.agent_replied', dedupeKey: `ticket.agent_replied:${helpdesk}:${s.id}:${m.id}`, helpdesk, ticketId: s.id,
    data: {
      ticket: { id: s.id, status: s.status, tags: view.tags, requesterPhone: s.requesterPhone, ...(s.priority ? { priority: s.priority } : {}) },
      agentMessage: { id: m.id, bodyHtml: m.bodyHtml, createdAt: m.createdAt.toISOString() },
    },
  };
}
