import type { Clock } from '../ports/clock.ts';
import { TicketClosed, type AttachmentInput, type Helpdesk, type HelpdeskContact } from '../ports/helpdesk.ts';
import type { MessageStore, InboundForRouting, Routing } from '../ports/message-store.ts';
import { closedMeanwhile, decideRouting, referencedTicketIds, type CandidateTicket, type RoutingDecision, type ThreadingSettings } from '../domain/threading.ts';
import { incomingSmsHtml, subjectFor } from '../domain/ticket-format.ts';
import { formatPhone } from '../domain/phone.ts';
import type { FetchMedia } from './fetch-media.ts';
import type { OptOutStore } from '../ports/opt-out-store.ts';
import { keywordOf } from '../domain/opt-out.ts';
import type { StatusHistory } from '../ports/status-history.ts';
import type { EventOutbox, NewEvent } from '../ports/event-outbox.ts';
import type { ExpectedAnswers } from './expected-answers.ts';
import type { InboundFilter } from '../ports/inbound-filter.ts';

/**
 * Job attempts spent on media that keeps failing transiently (Twilio's 404 while it propagates, 5xx) before
 * the text lands without it: with the queue's backoff about 40 s, during which this customer's later texts
 * wait behind this one.
 */
export const MEDIA_ATTEMPTS = 6;

/**
 * Puts one stored inbound text on the right ticket: contact → threading decision → media → helpdesk write →
 * binding. Every step is idempotent (helpdesk writes carry the message SID as their key), so a job replayed
 * after a crash anywhere finishes the work instead of doing it twice. Jobs of one customer never run
 * concurrently (the queue key), which is what keeps a burst of texts on one ticket.
 */
export class RouteInbound {
  constructor(
    private readonly store: MessageStore,
    private readonly helpdesk: Helpdesk,
    private readonly media: FetchMedia,
    private readonly settings: () => Promise<ThreadingSettings>,
    private readonly clock: Clock,
    private readonly optOuts: OptOutStore,
    private readonly history?: StatusHistory,
    private readonly events?: EventOutbox,
    private readonly answers?: ExpectedAnswers,
    private readonly filter?: InboundFilter,
  ) {}

  /** `attempt`: the job's attempt number (1 for the first run). Returns the ticket the text is on (null: nothing to do). */
  async run(messageId: number, attempt = 1): Promise<number | null> {
    const msg = await this.store.loadForRouting(messageId, this.helpdesk.name);
    if (!msg || msg.routedAt) return null;
    // Inbound filters (outgoing webhooks with "decide") are asked once, before anything else: the verdict is
    // recorded, and a threading decision already recorded means the text was let through before.
    if (!msg.pendingDecision && this.filter) {
      const verdict = await this.filter.decide(msg);
      if (verdict.action === 'reject') return this.reject(msg, verdict.reason, verdict.webhookId ?? null);
    }
    const contactId = msg.knownContactId ?? (await this.contactFor(msg.contactKey)).id;
    let decision = msg.pendingDecision;
    // An answer to a question an automation texted comes before every threading rule.
    if (!decision) {
      decision = (await this.answers?.decide(msg)) ?? null;
      if (decision) await this.store.recordDecision(msg.id, decision);
    }
    if (!decision) {
      const settings = await this.settings();
      decision = decideRouting({
        body: msg.body,
        contactId,
        twilioNumber: msg.to,
        referenced: await this.referenced(msg.body, settings),
        recent: await this.recent(msg),
        settings,
        // Measured at arrival: a text that waited in a backlog or an outage is threaded as when it was sent.
        now: msg.createdAt,
      });
      await this.store.recordDecision(msg.id, decision);
    }
    const { attachments, missing } = await this.media.forMessage(msg, attempt >= MEDIA_ATTEMPTS);
    const html = incomingSmsHtml({ body: msg.body, from: msg.from, to: msg.to, missing });
    let ticketId: number;
    try {
      ticketId = await this.write(msg, decision, contactId, html, attachments);
    } catch (err) {
      if (!(err instanceof TicketClosed) || decision.action !== 'append') throw err;
      decision = closedMeanwhile(decision.ticketId);
      await this.store.recordDecision(msg.id, decision);
      ticketId = await this.write(msg, decision, contactId, html, attachments);
    }
    if (decision.rule === 'answer') await this.answers?.accept(decision.awaitingId, msg);
    const keyword = await this.recordKeyword(msg);
    const routing: Routing = { ...decision, ticketId, decidedAt: this.clock.now().toISOString(), ...(keyword ? { keyword } : {}) };
    // Before the routing is marked finished: a replay after a crash records them again (deduplicated), never misses them.
    await this.events?.record(this.eventsOf(msg, decision, ticketId));
    await this.store.finishRouting({
      messageId: msg.id, helpdesk: this.helpdesk.name, contactKey: msg.contactKey, twilioNumber: msg.to,
      activityAt: msg.createdAt, routing,
    });
    return ticketId;
  }

  /**
   * Kept on no ticket, with the reason, and no event (nothing reacts to a rejected text); a STOP or START in it
   * still counts (an opt-out is not the filter's to drop).
   */
  private async reject(msg: InboundForRouting, reason: string, webhookId: number | null): Promise<null> {
    const keyword = await this.recordKeyword(msg);
    await this.store.recordRejection(msg.id, {
      action: 'rejected', rule: 'inbound-filter', reason, webhookId, decidedAt: this.clock.now().toISOString(), ...(keyword ? { keyword } : {}),
    });
    return null;
  }

  /** message.received, and ticket.created when the text opened its ticket. */
  private eventsOf(msg: InboundForRouting, decision: RoutingDecision, ticketId: number): NewEvent[] {
    const helpdesk = this.helpdesk.name;
    const opened = decision.action !== 'append';
    const ticket = { id: ticketId, ...(opened || decision.reopen ? { status: 'open' } : {}), twilioNumber: msg.to, requesterPhone: msg.contactKey };
    const message = {
      id: msg.id, sid: msg.sid, direction: 'inbound' as const, from: msg.from, to: msg.to, body: msg.body,
      ...(decision.rule === 'answer' ? { answered: true } : {}),
    };
    return [
      ...(opened ? [{ type: 'ticket.created' as const, dedupeKey: `ticket.created:${helpdesk}:${ticketId}`, helpdesk, ticketId, data: { ticket, message } }] : []),
      { type: 'message.received', dedupeKey: `message.received:${msg.sid}`, helpdesk, ticketId, data: { ticket, message } },
    ];
  }

  /** The helpdesk write the decision calls for; keyed by the message SID, so a replay writes nothing twice. */
  private async write(msg: InboundForRouting, decision: RoutingDecision, contactId: number, html: string, attachments: AttachmentInput[]): Promise<number> {
    const idempotencyKey = `inbound:${msg.sid}`;
    if (decision.action === 'append') {
      if (decision.reopen) {
        await this.helpdesk.setStatus(decision.ticketId, 'open');
        await this.history?.record(this.helpdesk.name, decision.ticketId, { status: 'open', previous: 'resolved', changedBy: 'a text from the customer' });
      }
      await this.helpdesk.addNote(decision.ticketId, { idempotencyKey, bodyHtml: html, incoming: true, authorId: contactId, private: false, attachments });
      return decision.ticketId;
    }
    const followUp = decision.followUpOf ? `<p>Follow-up to closed ticket #${decision.followUpOf}.</p>` : '';
    const { id } = await this.helpdesk.createTicket({
      // A follow-up to a ticket that closed meanwhile gets a key of its own: the note's key was spent on the attempt.
      idempotencyKey: decision.rule === 'closed-meanwhile' ? `${idempotencyKey}:follow-up` : idempotencyKey,
      requesterId: contactId,
      requesterPhone: msg.contactKey,
      subject: subjectFor(msg.body, msg.from, msg.media.length),
      descriptionHtml: followUp + html,
      attachments,
      followUpOf: decision.followUpOf,
    });
    return id;
  }

  /**
   * STOP and its kin opt the customer out of the number texted (and of its Messaging Service), START and its
   * kin opt back in; HELP is only noted. The text itself lands on the ticket like any other. Recording is an
   * upsert, so a replayed job records the same thing again.
   */
  private async recordKeyword(msg: InboundForRouting): Promise<string | null> {
    const found = keywordOf(msg.body);
    if (!found) return null;
    const { keyword, kind } = found;
    if (kind !== 'help') {
      for (const sender of [msg.to, msg.messagingServiceSid].filter((s): s is string => Boolean(s))) {
        await this.optOuts.record({
          accountSid: msg.accountSid, sender, customer: msg.contactKey, optedOut: kind === 'opt-out', keyword, source: 'keyword',
        });
      }
    }
    return `${keyword} (${kind})`;
  }

  /** A sender without a cached contact id: the helpdesk's contact by phone, else a new one; then cached. */
  private async contactFor(contactKey: string): Promise<HelpdeskContact> {
    const contact =
      (await this.helpdesk.findContactByPhone(contactKey)) ??
      (await this.helpdesk.createContact({ phone: contactKey, name: formatPhone(contactKey) }));
    await this.store.rememberContact(this.helpdesk.name, contactKey, contact.id);
    return contact;
  }

  private async referenced(body: string, settings: ThreadingSettings): Promise<CandidateTicket[]> {
    const ids = referencedTicketIds(body, settings.ticketIdPattern);
    if (!ids.length) return [];
    const links = new Map((await this.store.links(this.helpdesk.name, ids)).map((l) => [l.ticketId, l]));
    const found: CandidateTicket[] = [];
    for (const id of ids) {
      const summary = await this.helpdesk.getTicketSummary(id);
      if (!summary) continue;
      const link = links.get(id);
      found.push({
        id, status: summary.status, requesterId: summary.requesterId, twilioNumber: link?.twilioNumber ?? null,
        lastActivityAt: latest(summary.updatedAt, link?.lastActivityAt),
      });
    }
    return found;
  }

  private async recent(msg: InboundForRouting): Promise<CandidateTicket | null> {
    const link = msg.recentLink;
    if (!link) return null;
    const summary = await this.helpdesk.getTicketSummary(link.ticketId);
    if (!summary) return null;
    return {
      id: link.ticketId, status: summary.status, requesterId: summary.requesterId, twilioNumber: link.twilioNumber,
      lastActivityAt: latest(summary.updatedAt, link.lastActivityAt),
    };
  }
}

function latest(a: Date, b: Date | undefined): Date {
  return b && b.getTime() > a.getTime() ? b : a;
}
