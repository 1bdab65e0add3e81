import { matchAnswer, parseRating } from '../domain/automations.ts';
import type { NewEvent } from '../domain/events.ts';
import type { RoutingDecision } from '../domain/threading.ts';
import { csatNoteHtml } from '../domain/ticket-format.ts';
import type { AwaitingReplies, AwaitingReply } from '../ports/awaiting-replies.ts';
import type { Helpdesk } from '../ports/helpdesk.ts';

/** The text routing asks about: who sent it, to which number, what it says, when it arrived. */
export interface AnsweringText {
  id: number;
  sid: string;
  from: string;
  to: string;
  contactKey: string;
  body: string;
  createdAt: Date;
}

/**
 * Answers to questions automations texted. Routing asks `decide` before any threading rule: a text that
 * answers a waiting survey (starts with 1–5) or ask (one of its words) goes onto the asking ticket without
 * reopening it. Once the text is on the ticket, `accept` marks the question answered and records what follows
 * (csat.received, ask.answered), all idempotent by the message, so a replayed routing job repeats nothing.
 */
export class ExpectedAnswers {
  constructor(
    private readonly awaiting: AwaitingReplies,
    private readonly helpdesk: Helpdesk,
  ) {}

  async decide(msg: AnsweringText): Promise<RoutingDecision | null> {
    for (const w of await this.awaiting.waitingFor(msg.contactKey, msg.to, msg.createdAt)) {
      if (!answerOf(w, msg.body)) continue;
      if (!(await this.helpdesk.getTicketSummary(w.ticketId))) continue;
      const what = w.kind === 'survey' ? 'the satisfaction survey' : 'the question';
      return { action: 'append', ticketId: w.ticketId, rule: 'answer', reopen: false, awaitingId: w.id, reason: `appended: an answer to ${what} sent on ticket #${w.ticketId}` };
    }
    return null;
  }

  /** After the text is on the ticket: the answer recorded once, its events, and for a rating a private note. */
  async accept(awaitingId: number, msg: AnsweringText): Promise<void> {
    const w = await this.awaiting.get(awaitingId);
    if (!w) return;
    const answer = answerOf(w, msg.body);
    if (!answer) return;
    const ticket = { id: w.ticketId, twilioNumber: w.twilioNumber, requesterPhone: w.customer };
    const message = { id: msg.id, sid: msg.sid, direction: 'inbound' as const, from: msg.from, to: msg.to, body: msg.body };
    const events: NewEvent[] = answer.csat
      ? [{ type: 'csat.received', dedupeKey: `csat.received:${msg.id}`, helpdesk: w.helpdesk, ticketId: w.ticketId, data: { ticket, message, rating: answer.csat.rating, comment: answer.csat.comment } }]
      : w.automationId === null ? [] : [{
          type: 'ask.answered', dedupeKey: `ask.answered:${w.id}`, helpdesk: w.helpdesk, ticketId: w.ticketId,
          data: { ticket, message, awaiting: { id: w.id, automationId: w.automationId, actionIndex: w.actionIndex, answer: answer.text } },
        }];
    if (!(await this.awaiting.answer(w.id, { messageId: msg.id, text: answer.text, csat: answer.csat }, events))) return;
    if (answer.csat) {
      await this.helpdesk.addNote(w.ticketId, {
        idempotencyKey: `csat:${msg.id}`, bodyHtml: csatNoteHtml(answer.csat), incoming: false, private: true, attachments: [],
      });
    }
  }
}

function answerOf(w: AwaitingReply, body: string): { text: string; csat?: { rating: number; comment: string } } | null {
  if (w.kind === 'survey') {
    const r = parseRating(body);
    return r ? { text: String(r.rating), csat: r } : null;
  }
  const word = matchAnswer(body, w.answers);
  return word ? { text: word } : null;
}
