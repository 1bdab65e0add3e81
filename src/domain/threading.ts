import type { TicketStatus } from './ticket-status.ts';

/**
 * Which ticket an inbound text lands on. A pure function of the text, the candidate tickets the caller looked
 * up, the settings and the time, so every decision is reproducible from what is stored with the message.
 */
export interface ThreadingSettings {
  /** 0 turns the recent-activity rule off. */
  windowMinutes: number;
  /** null turns the ticket-id rule off. */
  ticketIdPattern: RegExp | null;
}

export interface CandidateTicket {
  id: number;
  status: TicketStatus;
  requesterId: number;
  /** The Twilio number the ticket is bound to (null when unknown). */
  twilioNumber: string | null;
  lastActivityAt: Date;
}

export interface ThreadingInput {
  body: string;
  contactId: number;
  twilioNumber: string;
  /** Tickets the body names, in the order named; ids that do not exist are simply absent. */
  referenced: CandidateTicket[];
  /** The contact's most recently active ticket bound to this Twilio number, if any. */
  recent: CandidateTicket | null;
  settings: ThreadingSettings;
  now: Date;
}

export type RoutingDecision =
  | { action: 'append'; ticketId: number; rule: 'pattern' | 'window'; reopen: boolean; reason: string }
  | { action: 'create'; rule: 'new' | 'pattern-closed' | 'closed-meanwhile'; followUpOf?: number; reason: string };

/**
 * The ticket was closed in the helpdesk after threading chose it and before the text reached it (Zendesk
 * refuses updates to closed tickets): the text opens a follow-up ticket instead.
 */
export function closedMeanwhile(ticketId: number): RoutingDecision {
  return {
    action: 'create', rule: 'closed-meanwhile', followUpOf: ticketId,
    reason: `ticket #${ticketId} was closed in the helpdesk before this text reached it, so a follow-up ticket was opened`,
  };
}

const MAX_REFERENCES = 5;

/** Ticket ids named in the body, first capture group of each match, at most five, without repeats. */
export function referencedTicketIds(body: string, pattern: RegExp | null): number[] {
  if (!pattern) return [];
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
  const ids: number[] = [];
  for (const match of body.matchAll(global)) {
    const id = Number(match[1]);
    if (Number.isSafeInteger(id) && id > 0 && !ids.includes(id)) ids.push(id);
    if (ids.length === MAX_REFERENCES) break;
  }
  return ids;
}

/**
 * Compiles TICKET_ID_PATTERN; empty turns the rule off. Throws a message fit for a start-up error when the
 * pattern is not a valid regular expression or has no capture group.
 */
export function compileTicketIdPattern(source: string): RegExp | null {
  if (source === '') return null;
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new Error(`not a valid regular expression (${(err as Error).message})`);
  }
  if (new RegExp(`${source}|`).exec('')!.length < 2) {
    throw new Error('needs a capture group around the ticket id, e.g. #(\\d+)');
  }
  return re;
}

export function decideRouting(input: ThreadingInput): RoutingDecision {
  const { settings, now } = input;
  if (settings.ticketIdPattern) {
    for (const ticket of input.referenced) {
      // Someone else's ticket is treated as if the text named nothing: it neither routes nor is mentioned.
      if (ticket.requesterId !== input.contactId) continue;
      const named = `the text names #${ticket.id} (pattern ${settings.ticketIdPattern.source})`;
      if (ticket.status === 'closed') {
        return {
          action: 'create',
          rule: 'pattern-closed',
          followUpOf: ticket.id,
          reason: `created a follow-up to #${ticket.id}: ${named}, which is closed`,
        };
      }
      const reopen = ticket.status === 'resolved';
      return {
        action: 'append',
        ticketId: ticket.id,
        rule: 'pattern',
        reopen,
        reason: `appended to #${ticket.id}: ${named}; ${reopen ? 'it was resolved and is reopened' : `it is ${ticket.status}`}`,
      };
    }
  }
  const recent = input.recent;
  if (settings.windowMinutes > 0 && recent) {
    const ageMs = now.getTime() - recent.lastActivityAt.getTime();
    const within = ageMs <= settings.windowMinutes * 60_000;
    const active = recent.status === 'open' || recent.status === 'pending';
    const sameNumber = recent.twilioNumber === input.twilioNumber;
    if (within && active && sameNumber && recent.requesterId === input.contactId) {
      return {
        action: 'append',
        ticketId: recent.id,
        rule: 'window',
        reopen: false,
        reason: `appended to #${recent.id}: ${recent.status}, last activity ${ago(ageMs)}, window ${settings.windowMinutes} min`,
      };
    }
    const why = !active
      ? `#${recent.id} is ${recent.status}`
      : !within
        ? `#${recent.id} last active ${ago(ageMs)}, outside the ${settings.windowMinutes} min window`
        : `#${recent.id} is bound to another number`;
    return { action: 'create', rule: 'new', reason: `created: no ticket to continue (${why})` };
  }
  const why =
    settings.windowMinutes > 0
      ? `no open or pending ticket with ${input.twilioNumber} in the last ${settings.windowMinutes} min`
      : 'recent-activity threading is off';
  return { action: 'create', rule: 'new', reason: `created: ${why}` };
}

function ago(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return 'under a minute ago';
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}
