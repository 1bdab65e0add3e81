import { RE2JS } from 're2js';
import type { TicketStatus } from './ticket-status.ts';

/**
 * Which ticket an inbound text lands on. A pure function of the text, the candidate tickets the caller looked
 * up, the settings and the time, so every decision is reproducible from what is stored with the message.
 */
export interface ThreadingSettings {
  /** 0 turns the recent-activity rule off. */
  windowMinutes: number;
  /** null turns the ticket-id rule off. */
  ticketIdPattern: TicketIdPattern | null;
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
  /** The answer to a question an automation texted (a survey, an ask): onto the asking ticket, never reopening it. */
  | { action: 'append'; ticketId: number; rule: 'answer'; reopen: false; reason: string; awaitingId: number }
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

/**
 * TICKET_ID_PATTERN, compiled for RE2 (the re2js port): matching takes time proportional to the text whatever
 * the pattern, so an admin's `(a+)+$` cannot hold the event loop the way a backtracking RegExp did (a
 * 31-character text took 14.7 s). The price is RE2's syntax: no backreferences, no lookaround.
 */
export interface TicketIdPattern {
  /** The pattern as configured. */
  readonly source: string;
  /** The first capture group of each match, in order (undefined when the group took no part in a match). */
  captures(body: string): Iterable<string | undefined>;
}

/** Ticket ids named in the body, first capture group of each match, at most five, without repeats. */
export function referencedTicketIds(body: string, pattern: TicketIdPattern | null): number[] {
  if (!pattern) return [];
  const ids: number[] = [];
  for (const captured of pattern.captures(body)) {
    const id = Number(captured);
    if (captured !== undefined && Number.isSafeInteger(id) && id > 0 && !ids.includes(id)) ids.push(id);
    if (ids.length === MAX_REFERENCES) break;
  }
  return ids;
}

const RE2_SYNTAX = 'RE2 syntax: github.com/google/re2/wiki/Syntax';

/**
 * Compiles TICKET_ID_PATTERN (RE2 syntax); empty turns the rule off. Throws a message fit for a start-up error
 * (and the Settings screen) when the pattern is not valid RE2, uses what RE2 cannot run in linear time
 * (backreferences, lookaround), or has no capture group.
 */
export function compileTicketIdPattern(source: string): TicketIdPattern | null {
  if (source === '') return null;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    const detail = (err as Error).message.replace(/^error parsing regexp: /, '');
    const why = 'which RE2 does not support: ticket-number patterns are matched with RE2, in time proportional to the text, so that no pattern can stall smsdesk';
    if (/invalid escape sequence: `\\(?:[1-9]|k)/.test(detail)) {
      throw new Error(`uses a backreference (${detail.replace(/^.*: /, '')}), ${why}; write it without one, e.g. #(\\d+)`);
    }
    if (/`\(\?<?[=!]/.test(detail)) {
      throw new Error(`uses lookaround ((?=…), (?!…), (?<=…) or (?<!…)), ${why}; match the surrounding text instead, e.g. #(\\d+)`);
    }
    throw new Error(`not a valid regular expression (${detail}; ${RE2_SYNTAX})`);
  }
  if (re.groupCount() < 1) {
    throw new Error('needs a capture group around the ticket id, e.g. #(\\d+)');
  }
  return {
    source,
    *captures(body) {
      for (const match of re.matchAll(body)) yield match[1];
    },
  };
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
