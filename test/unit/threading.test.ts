import { describe, expect, it } from 'vitest';
import {
  compileTicketIdPattern,
  decideRouting,
  referencedTicketIds,
  type CandidateTicket,
  type RoutingDecision,
  type ThreadingInput,
  type TicketIdPattern,
} from '../../src/domain/threading.ts';
import type { TicketStatus } from '../../src/ports/helpdesk.ts';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const CONTACT = 7;
const OTHER_CONTACT = 8;
const NUMBER = '+15005550001';
const OTHER_NUMBER = '+15005550002';
/** A pattern as TICKET_ID_PATTERN or the Settings screen would give it. */
const compile = (source: string) => compileTicketIdPattern(source)!;
const PATTERN = compile('#(\\d+)');

const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

function ticket(id: number, status: TicketStatus, over: Partial<CandidateTicket> = {}): CandidateTicket {
  return { id, status, requesterId: CONTACT, twilioNumber: NUMBER, lastActivityAt: minutesAgo(4), ...over };
}

function input(over: Partial<ThreadingInput> & { windowMinutes?: number; pattern?: TicketIdPattern | null } = {}): ThreadingInput {
  const { windowMinutes = 60, pattern = PATTERN, ...rest } = over;
  return {
    body: '',
    contactId: CONTACT,
    twilioNumber: NUMBER,
    referenced: [],
    recent: null,
    settings: { windowMinutes, ticketIdPattern: pattern },
    now: NOW,
    ...rest,
  };
}

/** The decision without its prose, for table comparisons. */
function shape(d: RoutingDecision): Record<string, unknown> {
  const { reason: _reason, ...rest } = d;
  return rest;
}

describe('decideRouting: the ticket-id pattern', () => {
  const cases: { name: string; in: ThreadingInput; want: Record<string, unknown>; reason?: string }[] = [
    {
      name: 'open ticket of the contact → append, no reopen',
      in: input({ body: 'about #12', referenced: [ticket(12, 'open')] }),
      want: { action: 'append', ticketId: 12, rule: 'pattern', reopen: false },
      reason: 'appended to #12: the text names #12 (pattern #(\\d+)); it is open',
    },
    {
      name: 'pending ticket of the contact → append, no reopen',
      in: input({ body: 'about #12', referenced: [ticket(12, 'pending')] }),
      want: { action: 'append', ticketId: 12, rule: 'pattern', reopen: false },
      reason: 'appended to #12: the text names #12 (pattern #(\\d+)); it is pending',
    },
    {
      name: 'resolved ticket of the contact → append and reopen',
      in: input({ body: 'about #12', referenced: [ticket(12, 'resolved')] }),
      want: { action: 'append', ticketId: 12, rule: 'pattern', reopen: true },
      reason: 'appended to #12: the text names #12 (pattern #(\\d+)); it was resolved and is reopened',
    },
    {
      name: 'closed ticket of the contact → follow-up ticket',
      in: input({ body: 'about #12', referenced: [ticket(12, 'closed')] }),
      want: { action: 'create', rule: 'pattern-closed', followUpOf: 12 },
      reason: 'created a follow-up to #12: the text names #12 (pattern #(\\d+)), which is closed',
    },
    {
      name: 'a named ticket however old still routes (the window does not apply to the pattern)',
      in: input({ body: '#12', referenced: [ticket(12, 'open', { lastActivityAt: minutesAgo(60 * 24 * 365) })] }),
      want: { action: 'append', ticketId: 12, rule: 'pattern', reopen: false },
    },
    {
      name: 'pattern beats window: the recent ticket is a different one',
      in: input({ body: 're #12', referenced: [ticket(12, 'pending')], recent: ticket(30, 'open', { lastActivityAt: minutesAgo(1) }) }),
      want: { action: 'append', ticketId: 12, rule: 'pattern', reopen: false },
    },
    {
      name: 'closed named ticket beats an active recent ticket',
      in: input({ body: 're #12', referenced: [ticket(12, 'closed')], recent: ticket(30, 'open', { lastActivityAt: minutesAgo(1) }) }),
      want: { action: 'create', rule: 'pattern-closed', followUpOf: 12 },
    },
    {
      name: 'several ids: the first one that belongs to the contact wins',
      in: input({
        body: '#99 #12 #13',
        referenced: [ticket(99, 'open', { requesterId: OTHER_CONTACT }), ticket(12, 'resolved'), ticket(13, 'open')],
      }),
      want: { action: 'append', ticketId: 12, rule: 'pattern', reopen: true },
    },
    {
      name: 'several ids: the first of the contact wins even when it is closed',
      in: input({ body: '#12 #13', referenced: [ticket(12, 'closed'), ticket(13, 'open')] }),
      want: { action: 'create', rule: 'pattern-closed', followUpOf: 12 },
    },
  ];
  it.each(cases)('$name', (c) => {
    const d = decideRouting(c.in);
    expect(shape(d)).toEqual(c.want);
    if (c.reason) expect(d.reason).toBe(c.reason);
  });

  it('custom pattern source appears in the reason', () => {
    const d = decideRouting(input({ pattern: compile('(?i)ticket[- ](\\d+)'), body: 'Ticket 12', referenced: [ticket(12, 'open')] }));
    expect(d.reason).toBe('appended to #12: the text names #12 (pattern (?i)ticket[- ](\\d+)); it is open');
  });
});

describe("decideRouting: another contact's ticket is ignored", () => {
  const foreign = ticket(4242, 'open', { requesterId: OTHER_CONTACT });
  const cases: { name: string; in: ThreadingInput; want: Record<string, unknown> }[] = [
    {
      name: 'falls through to the window',
      in: input({ body: '#4242', referenced: [foreign], recent: ticket(12, 'open') }),
      want: { action: 'append', ticketId: 12, rule: 'window', reopen: false },
    },
    {
      name: 'falls through to a new ticket when there is no recent one',
      in: input({ body: '#4242', referenced: [foreign] }),
      want: { action: 'create', rule: 'new' },
    },
    {
      name: 'falls through to a new ticket when the recent one is outside the window',
      in: input({ body: '#4242', referenced: [foreign], recent: ticket(12, 'open', { lastActivityAt: minutesAgo(61) }) }),
      want: { action: 'create', rule: 'new' },
    },
    {
      name: 'a closed foreign ticket does not produce a follow-up',
      in: input({ body: '#4242', referenced: [{ ...foreign, status: 'closed' }] }),
      want: { action: 'create', rule: 'new' },
    },
    {
      name: 'a resolved foreign ticket is not reopened',
      in: input({ body: '#4242', referenced: [{ ...foreign, status: 'resolved' }], recent: ticket(12, 'pending') }),
      want: { action: 'append', ticketId: 12, rule: 'window', reopen: false },
    },
  ];
  it.each(cases)('$name, and the reason does not mention it', (c) => {
    const d = decideRouting(c.in);
    expect(shape(d)).toEqual(c.want);
    expect(d.reason).not.toContain('4242');
    expect('followUpOf' in d).toBe(false);
  });
});

describe('decideRouting: the recent-activity window', () => {
  it('appends to an open ticket 4 minutes old with the exact reason', () => {
    const d = decideRouting(input({ recent: ticket(12, 'open', { lastActivityAt: minutesAgo(4) }) }));
    expect(d).toEqual({
      action: 'append',
      ticketId: 12,
      rule: 'window',
      reopen: false,
      reason: 'appended to #12: open, last activity 4 min ago, window 60 min',
    });
  });

  const cases: { name: string; in: ThreadingInput; want: Record<string, unknown>; reason?: string | RegExp }[] = [
    {
      name: 'pending within the window → append',
      in: input({ recent: ticket(12, 'pending', { lastActivityAt: minutesAgo(59) }) }),
      want: { action: 'append', ticketId: 12, rule: 'window', reopen: false },
      reason: 'appended to #12: pending, last activity 59 min ago, window 60 min',
    },
    {
      name: 'activity seconds ago reads "under a minute ago"',
      in: input({ recent: ticket(12, 'open', { lastActivityAt: new Date(NOW.getTime() - 20_000) }) }),
      want: { action: 'append', ticketId: 12, rule: 'window', reopen: false },
      reason: 'appended to #12: open, last activity under a minute ago, window 60 min',
    },
    {
      name: 'exactly at the window edge (60 min 0 ms) → still inside (<=)',
      in: input({ recent: ticket(12, 'open', { lastActivityAt: minutesAgo(60) }) }),
      want: { action: 'append', ticketId: 12, rule: 'window', reopen: false },
      reason: 'appended to #12: open, last activity 60 min ago, window 60 min',
    },
    {
      name: 'one millisecond past the window edge → new ticket',
      in: input({ recent: ticket(12, 'open', { lastActivityAt: new Date(NOW.getTime() - 60 * 60_000 - 1) }) }),
      want: { action: 'create', rule: 'new' },
      reason: 'created: no ticket to continue (#12 last active 60 min ago, outside the 60 min window)',
    },
    {
      name: 'outside the window → new ticket',
      in: input({ recent: ticket(12, 'open', { lastActivityAt: minutesAgo(180) }) }),
      want: { action: 'create', rule: 'new' },
      reason: 'created: no ticket to continue (#12 last active 3 h ago, outside the 60 min window)',
    },
    {
      name: 'resolved recent ticket → new ticket (the window never reopens)',
      in: input({ recent: ticket(12, 'resolved', { lastActivityAt: minutesAgo(1) }) }),
      want: { action: 'create', rule: 'new' },
      reason: 'created: no ticket to continue (#12 is resolved)',
    },
    {
      name: 'closed recent ticket → new ticket, not a follow-up',
      in: input({ recent: ticket(12, 'closed', { lastActivityAt: minutesAgo(1) }) }),
      want: { action: 'create', rule: 'new' },
      reason: 'created: no ticket to continue (#12 is closed)',
    },
    {
      name: 'recent ticket bound to another Twilio number → new ticket',
      in: input({ recent: ticket(12, 'open', { twilioNumber: OTHER_NUMBER }) }),
      want: { action: 'create', rule: 'new' },
      reason: 'created: no ticket to continue (#12 is bound to another number)',
    },
    {
      name: 'recent ticket with an unknown number (null) → new ticket',
      in: input({ recent: ticket(12, 'open', { twilioNumber: null }) }),
      want: { action: 'create', rule: 'new' },
    },
    {
      name: 'recent ticket of another requester → new ticket',
      in: input({ recent: ticket(12, 'open', { requesterId: OTHER_CONTACT }) }),
      want: { action: 'create', rule: 'new' },
    },
    {
      name: 'no recent ticket → new ticket naming the number and window',
      in: input({}),
      want: { action: 'create', rule: 'new' },
      reason: `created: no open or pending ticket with ${NUMBER} in the last 60 min`,
    },
    {
      name: 'windowMinutes 0 → never the window, even for a ticket active this instant',
      in: input({ windowMinutes: 0, recent: ticket(12, 'open', { lastActivityAt: NOW }) }),
      want: { action: 'create', rule: 'new' },
      reason: 'created: recent-activity threading is off',
    },
    {
      name: 'custom window size is honoured (5 min, 6 min old → new)',
      in: input({ windowMinutes: 5, recent: ticket(12, 'open', { lastActivityAt: minutesAgo(6) }) }),
      want: { action: 'create', rule: 'new' },
    },
    {
      name: 'ticketIdPattern null → never the pattern, even with a matching referenced ticket',
      in: input({ pattern: null, body: '#12', referenced: [ticket(12, 'open')] }),
      want: { action: 'create', rule: 'new' },
    },
    {
      name: 'ticketIdPattern null → the window still works',
      in: input({ pattern: null, body: '#12', referenced: [ticket(12, 'open')], recent: ticket(30, 'open') }),
      want: { action: 'append', ticketId: 30, rule: 'window', reopen: false },
    },
    {
      name: 'both rules off → always a new ticket',
      in: input({ pattern: null, windowMinutes: 0, referenced: [ticket(12, 'closed')], recent: ticket(12, 'open') }),
      want: { action: 'create', rule: 'new' },
    },
  ];
  it.each(cases)('$name', (c) => {
    const d = decideRouting(c.in);
    expect(shape(d)).toEqual(c.want);
    if (c.reason) expect(d.reason).toEqual(c.reason);
  });

  it.each([
    [90, '90 min ago'],
    [119, '119 min ago'],
    [120, '2 h ago'],
    [60 * 47, '47 h ago'],
    [60 * 48, '2 days ago'],
  ])('reports an age of %i minutes as "%s"', (minutes, text) => {
    const d = decideRouting(input({ windowMinutes: 10, recent: ticket(12, 'open', { lastActivityAt: minutesAgo(minutes) }) }));
    expect(d.reason).toContain(`last active ${text}, outside the 10 min window`);
  });
});

describe('referencedTicketIds', () => {
  const cases: { name: string; body: string; pattern: TicketIdPattern | null; want: number[] }[] = [
    { name: 'single id', body: 'about #12 please', pattern: PATTERN, want: [12] },
    { name: 'no match', body: 'hello there', pattern: PATTERN, want: [] },
    { name: 'null pattern → none', body: '#12 #13', pattern: null, want: [] },
    { name: 'order of appearance', body: '#30 then #4 then #1000', pattern: PATTERN, want: [30, 4, 1000] },
    { name: 'repeats removed', body: '#12 #12 #13 #12', pattern: PATTERN, want: [12, 13] },
    { name: 'leading zeros are the same id', body: '#012 #12', pattern: PATTERN, want: [12] },
    { name: 'caps at five', body: '#1 #2 #3 #4 #5 #6 #7', pattern: PATTERN, want: [1, 2, 3, 4, 5] },
    { name: 'repeats do not use up the cap', body: '#1 #1 #2 #2 #3 #4 #5 #6', pattern: PATTERN, want: [1, 2, 3, 4, 5] },
    { name: 'ignores 0', body: '#0 #00 #7', pattern: PATTERN, want: [7] },
    { name: 'ignores ids beyond a safe integer', body: '#99999999999999999999 #9007199254740993 #8', pattern: PATTERN, want: [8] },
    { name: 'largest safe integer is kept', body: '#9007199254740991', pattern: PATTERN, want: [9007199254740991] },
    { name: 'custom pattern with a dash', body: 'Re: ticket-42', pattern: compile('ticket[- ](\\d+)'), want: [42] },
    { name: 'custom pattern with a space', body: 'ticket 43 and ticket-44', pattern: compile('ticket[- ](\\d+)'), want: [43, 44] },
    { name: 'custom pattern without i is case-sensitive', body: 'Ticket 42', pattern: compile('ticket[- ](\\d+)'), want: [] },
    { name: 'case-insensitive with (?i)', body: 'TICKET 42, Ticket-43', pattern: compile('(?i)ticket[- ](\\d+)'), want: [42, 43] },
    { name: 'optional group that did not take part is ignored', body: 'x y #3', pattern: compile('(?:#(\\d+)|x)'), want: [3] },
    { name: 'named group (RE2 and JS spelling)', body: 'ref 12 and 345', pattern: compile('(?P<id>\\d{3,})'), want: [345] },
    { name: 'ids after emoji are found (RE2 reads code points)', body: '😀#5 🇫🇷 #6', pattern: PATTERN, want: [5, 6] },
  ];
  it.each(cases)('$name', ({ body, pattern, want }) => {
    expect(referencedTicketIds(body, pattern)).toEqual(want);
  });
});

describe('compileTicketIdPattern', () => {
  it('empty source turns the rule off', () => {
    expect(compileTicketIdPattern('')).toBeNull();
  });

  it.each([
    ['#(\\d+)', 'see #12', [12]],
    ['ticket[- ](\\d+)', 'ticket-9', [9]],
    ['(?<id>\\d{3,})', 'ref 12 and 345', [345]],
    ['\\[#(\\d+)\\]', 'Re: [#77] printer', [77]],
  ])('%s compiles and finds ids', (source, body, ids) => {
    const re = compileTicketIdPattern(source);
    expect(re!.source).toBe(source);
    expect(referencedTicketIds(body, re)).toEqual(ids);
  });

  it.each([
    ['(', /^not a valid regular expression \(.+\)$/],
    ['#(\\d+', /^not a valid regular expression/],
    ['[', /^not a valid regular expression/],
    ['#\\d+', /needs a capture group around the ticket id, e\.g\. #\(\\d\+\)/],
    ['#(?:\\d+)', /needs a capture group/],
    ['\\u0023(\\d+)', /^not a valid regular expression \(invalid escape sequence: `\\u`; RE2 syntax: github\.com\/google\/re2\/wiki\/Syntax\)$/],
  ])('%s throws a helpful message', (source, message) => {
    expect(() => compileTicketIdPattern(source)).toThrow(message);
  });

  // Patterns are matched by RE2, in time proportional to the text: what it cannot run that way is refused
  // with the reason, rather than accepted and run by a backtracking engine that can stall the server.
  it.each([
    ['(\\d)\\1', /^uses a backreference \(`\\1`\), which RE2 does not support: ticket-number patterns are matched with RE2, in time proportional to the text/],
    ['(?<n>#)\\k<n>(\\d+)', /^uses a backreference \(`\\k`\)/],
    ['(?=#)#(\\d+)', /^uses lookaround \(\(\?=…\), \(\?!…\), \(\?<=…\) or \(\?<!…\)\), which RE2 does not support/],
    ['#(?!0)(\\d+)', /^uses lookaround/],
    ['(?<=#)(\\d+)', /^uses lookaround/],
    ['(?<!\\d)(\\d+)', /^uses lookaround/],
  ])('%s is refused: RE2 cannot match it in linear time', (source, message) => {
    expect(() => compileTicketIdPattern(source)).toThrow(message);
  });

  it.each([
    ['(a+)+$', 'aaaa', []],
    ['(?:a|aa)+#(\\d+)', 'aaaa#12', [12]],
    ['(?:x+x+)+y(\\d+)', 'xxxxy3', [3]],
  ])('nested quantifiers such as %s are accepted: RE2 has no backtracking to blow up', (source, body, ids) => {
    expect(referencedTicketIds(body, compileTicketIdPattern(source))).toEqual(ids);
  });
});
