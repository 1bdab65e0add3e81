import { invalid } from './errors.ts';
import { isOpen, type BusinessHours } from './hours.ts';
import { toE164 } from './phone.ts';
import { TICKET_STATUSES, type TicketStatus } from './ticket-status.ts';
import { placeholderList, validateTemplate } from './templates.ts';
import type { EventType, RecordedEvent } from './events.ts';

/**
 * Automations: when (an event) → if (conditions, all must hold) → then (actions, in order), as CONTRACT.md
 * names them. This file is the whole meaning of an automation: what an admin may write (parseAutomation,
 * which refuses anything unknown and names it) and whether one fires for an event (evaluate, a pure function
 * of the automation, the event and the facts the caller looked up). Running the actions is app/automations.ts.
 */

export const TRIGGERS = [
  'ticket.created',
  'ticket.status_changed',
  'ticket.priority_changed',
  'ticket.agent_replied',
  'message.received',
  'message.failed',
  'ticket.idle',
] as const satisfies readonly EventType[];
export type Trigger = (typeof TRIGGERS)[number];

export interface Conditions {
  status?: TicketStatus;
  previousStatus?: TicketStatus;
  tag?: string;
  twilioNumber?: string;
  group?: string;
  keyword?: string;
  businessHours?: 'inside' | 'outside';
  idleMinutes?: number;
}
const CONDITION_KEYS = ['status', 'previousStatus', 'tag', 'twilioNumber', 'group', 'keyword', 'businessHours', 'idleMinutes'] as const;

export interface SendSmsAction {
  body?: string;
  templateId?: number;
  /** "requester" (default) or an E.164 number (an on-call phone). */
  to?: string;
  from?: string;
  delayMinutes?: number;
}

export type Action =
  | { sendSms: SendSmsAction }
  | { note: { bodyHtml: string; private?: boolean } }
  | { setStatus: { status: TicketStatus } }
  | { webhook: { url: string } }
  | { call: { to: string; say: string; from?: string } }
  | { survey: { question?: string } }
  | { ask: { question: string; answers: Record<string, Action[]>; timeoutMinutes: number; onTimeout?: Action[] } };

export const ACTION_KINDS = ['sendSms', 'note', 'setStatus', 'webhook', 'call', 'survey', 'ask'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export interface AutomationSpec {
  name: string;
  enabled: boolean;
  when: Trigger;
  if: Conditions;
  then: Action[];
}

export interface Automation extends AutomationSpec {
  id: number;
}

/** Longest delay of a sendSms (30 days), and of an `ask`'s wait (7 days). */
export const MAX_DELAY_MINUTES = 30 * 24 * 60;
export const MAX_ASK_MINUTES = 7 * 24 * 60;
/** The CSAT question when a survey gives none. */
export const DEFAULT_SURVEY_QUESTION = 'How did we do? Reply with a number from 1 (poor) to 5 (great), and a comment if you like.';

const MAX_ACTIONS = 20;

type Json = unknown;

/** A problem at `path` (e.g. then[1].sendSms.delayMinutes): one 400 that says where and how to fix it. */
function bad(path: string, message: string): never {
  throw invalid('invalid_automation', `${path}: ${message}`);
}

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(path: string, o: Record<string, Json>, allowed: readonly string[]): void {
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length) bad(path, `unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => `"${k}"`).join(', ')}: use ${allowed.join(', ')}`);
}

function text(path: string, v: Json, opts: { max: number; template?: boolean }): string {
  if (typeof v !== 'string' || !v.trim()) bad(path, 'must be a non-empty text');
  if (v.length > opts.max) bad(path, `is ${v.length} characters; at most ${opts.max}`);
  if (opts.template) {
    const { unknown, malformed } = validateTemplate(v);
    if (unknown.length) bad(path, `unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(', ')}: use one of ${placeholderList()}`);
    if (malformed.length) bad(path, `malformed placeholder ${malformed.map((m) => `"${m}"`).join(', ')}: write placeholders as {{name}}`);
  }
  return v;
}

function wholeNumber(path: string, v: Json, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(path, `must be a whole number from ${min} to ${max}`);
  return v;
}

function status(path: string, v: Json): TicketStatus {
  if (typeof v !== 'string' || !TICKET_STATUSES.includes(v as TicketStatus)) bad(path, `must be one of ${TICKET_STATUSES.join(', ')}`);
  return v as TicketStatus;
}

function phone(path: string, v: Json): string {
  const e164 = typeof v === 'string' ? toE164(v) : null;
  if (!e164) bad(path, 'must be a phone number in E.164 form, e.g. +14155550100');
  return e164;
}

function httpUrl(path: string, v: Json): string {
  if (typeof v !== 'string') bad(path, 'must be an http(s) URL');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    bad(path, `"${v.slice(0, 80)}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') bad(path, 'must be an http(s) URL');
  if (u.username || u.password) bad(path, 'must not carry a user name or password; the receiver verifies X-Smsdesk-Signature instead');
  return u.toString();
}

function parseConditions(v: Json, when: Trigger): Conditions {
  if (v === undefined || v === null) v = {};
  if (!isObject(v)) bad('if', 'must be an object of conditions');
  onlyKeys('if', v, CONDITION_KEYS);
  const c: Conditions = {};
  if (v.status !== undefined) c.status = status('if.status', v.status);
  if (v.previousStatus !== undefined) c.previousStatus = status('if.previousStatus', v.previousStatus);
  if (v.tag !== undefined) c.tag = text('if.tag', v.tag, { max: 100 }).trim();
  if (v.twilioNumber !== undefined) c.twilioNumber = phone('if.twilioNumber', v.twilioNumber);
  if (v.group !== undefined) c.group = text('if.group', v.group, { max: 100 }).trim();
  if (v.keyword !== undefined) {
    const k = text('if.keyword', v.keyword, { max: 40 }).trim();
    if (/\s/.test(k)) bad('if.keyword', 'must be one word (an inbound text that is just this word, any case)');
    if (when !== 'message.received') bad('if.keyword', 'applies to message.received only');
    c.keyword = k;
  }
  if (v.businessHours !== undefined) {
    if (v.businessHours !== 'inside' && v.businessHours !== 'outside') bad('if.businessHours', 'must be "inside" or "outside"');
    c.businessHours = v.businessHours;
  }
  if (v.idleMinutes !== undefined) c.idleMinutes = wholeNumber('if.idleMinutes', v.idleMinutes, 1, MAX_DELAY_MINUTES);
  if (when === 'ticket.idle' && c.idleMinutes === undefined) bad('if.idleMinutes', 'ticket.idle needs it: how many minutes without activity');
  if (when !== 'ticket.idle' && c.idleMinutes !== undefined) bad('if.idleMinutes', 'applies to ticket.idle only');
  return c;
}

function parseActions(path: string, v: Json, depth = 0): Action[] {
  if (!Array.isArray(v) || v.length === 0) bad(path, 'must be a list of at least one action, e.g. [{"sendSms": {"body": "…"}}]');
  if (v.length > MAX_ACTIONS) bad(path, `has ${v.length} actions; at most ${MAX_ACTIONS}`);
  return v.map((a, i) => parseAction(`${path}[${i}]`, a, depth));
}

function parseAction(path: string, v: Json, depth: number): Action {
  if (!isObject(v) || Object.keys(v).length !== 1) bad(path, `must be one action: an object with one of ${ACTION_KINDS.join(', ')}`);
  const [kind] = Object.keys(v) as [string];
  const body = v[kind];
  const at = `${path}.${kind}`;
  if (!(ACTION_KINDS as readonly string[]).includes(kind)) bad(path, `unknown action "${kind}": use one of ${ACTION_KINDS.join(', ')}`);
  if (!isObject(body)) bad(at, 'must be an object');
  switch (kind as ActionKind) {
    case 'sendSms': {
      onlyKeys(at, body, ['body', 'templateId', 'to', 'from', 'delayMinutes']);
      const given = [body.body, body.templateId].filter((x) => x !== undefined).length;
      if (given !== 1) bad(at, 'give exactly one of "body" or "templateId"');
      const a: SendSmsAction = {};
      if (body.body !== undefined) a.body = text(`${at}.body`, body.body, { max: 1600, template: true });
      if (body.templateId !== undefined) a.templateId = wholeNumber(`${at}.templateId`, body.templateId, 1, 2 ** 31 - 1);
      if (body.to !== undefined && body.to !== 'requester') a.to = phone(`${at}.to`, body.to);
      if (body.from !== undefined) a.from = phone(`${at}.from`, body.from);
      if (body.delayMinutes !== undefined) a.delayMinutes = wholeNumber(`${at}.delayMinutes`, body.delayMinutes, 0, MAX_DELAY_MINUTES);
      return { sendSms: a };
    }
    case 'note':
      onlyKeys(at, body, ['bodyHtml', 'private']);
      if (body.private !== undefined && typeof body.private !== 'boolean') bad(`${at}.private`, 'must be true or false');
      return { note: { bodyHtml: text(`${at}.bodyHtml`, body.bodyHtml, { max: 10_000, template: true }), private: body.private !== false } };
    case 'setStatus':
      onlyKeys(at, body, ['status']);
      return { setStatus: { status: status(`${at}.status`, body.status) } };
    case 'webhook':
      onlyKeys(at, body, ['url']);
      return { webhook: { url: httpUrl(`${at}.url`, body.url) } };
    case 'call': {
      onlyKeys(at, body, ['to', 'say', 'from']);
      const call: { to: string; say: string; from?: string } = { to: phone(`${at}.to`, body.to), say: text(`${at}.say`, body.say, { max: 1000, template: true }) };
      if (body.from !== undefined) call.from = phone(`${at}.from`, body.from);
      return { call };
    }
    case 'survey':
      onlyKeys(at, body, ['question']);
      return { survey: body.question === undefined ? {} : { question: text(`${at}.question`, body.question, { max: 320, template: true }) } };
    case 'ask': {
      onlyKeys(at, body, ['question', 'answers', 'timeoutMinutes', 'onTimeout']);
      if (depth > 0) bad(at, 'an ask cannot be inside another ask’s answer');
      if (!isObject(body.answers) || !Object.keys(body.answers).length) bad(`${at}.answers`, 'must map each expected answer to its actions, e.g. {"YES": [...], "NO": [...]}');
      const answers: Record<string, Action[]> = {};
      for (const [word, actions] of Object.entries(body.answers)) {
        const key = word.trim().toUpperCase();
        if (!key || /\s/.test(key) || key.length > 40) bad(`${at}.answers`, `"${word}" is not one word`);
        if (answers[key]) bad(`${at}.answers`, `"${word}" is given twice`);
        answers[key] = parseActions(`${at}.answers.${word}`, actions, depth + 1);
      }
      return {
        ask: {
          question: text(`${at}.question`, body.question, { max: 640, template: true }),
          answers,
          timeoutMinutes: wholeNumber(`${at}.timeoutMinutes`, body.timeoutMinutes, 1, MAX_ASK_MINUTES),
          ...(body.onTimeout === undefined ? {} : { onTimeout: parseActions(`${at}.onTimeout`, body.onTimeout, depth + 1) }),
        },
      };
    }
  }
}

/** Checks an automation as an admin wrote it; anything unknown or malformed → 400 invalid_automation naming it. */
export function parseAutomation(input: Json): AutomationSpec {
  if (!isObject(input)) bad('automation', 'must be a JSON object with name, when, if and then');
  onlyKeys('automation', input, ['name', 'enabled', 'when', 'if', 'then']);
  const name = text('name', input.name, { max: 120 }).trim();
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') bad('enabled', 'must be true or false');
  if (typeof input.when !== 'string' || !(TRIGGERS as readonly string[]).includes(input.when)) {
    bad('when', `${typeof input.when === 'string' ? `unknown event "${input.when}"` : 'missing'}: use one of ${TRIGGERS.join(', ')}`);
  }
  const when = input.when as Trigger;
  return { name, enabled: input.enabled !== false, when, if: parseConditions(input.if, when), then: parseActions('then', input.then) };
}

/** What a condition reads that the event itself may not carry: the caller looks these up (only if needed). */
export interface EvaluationFacts {
  now: Date;
  /** The ticket's status now, when the event does not say (needed only for `if.status`). */
  status?: string;
  /** The ticket's tags now (needed only for `if.tag`). */
  tags?: string[];
  /** The Twilio number the ticket's texts use. */
  twilioNumber?: string | null;
  /** The number groups that number belongs to (needed only for `if.group`). */
  groups?: string[];
  /** BUSINESS_HOURS in the team's zone; null: none set. */
  businessHours: BusinessHours | null;
  zone: string;
}

/** Which facts evaluating these automations needs, so the caller asks the helpdesk only when it must. */
export function neededFacts(automations: readonly Automation[], event: RecordedEvent): { status: boolean; tags: boolean; groups: boolean; twilioNumber: boolean } {
  return {
    twilioNumber: automations.some((a) => a.if.twilioNumber !== undefined || a.if.group !== undefined),
    status: event.data.ticket?.status === undefined && automations.some((a) => a.if.status !== undefined),
    tags: event.data.ticket?.tags === undefined && automations.some((a) => a.if.tag !== undefined),
    groups: automations.some((a) => a.if.group !== undefined),
  };
}

export type Decision = { fire: true; reason: string } | { fire: false; reason: string };

/** An inbound text that is just this word: any case, surrounding spaces and a trailing . ! or ? allowed. */
export function isKeyword(body: string, keyword: string): boolean {
  return body.trim().replace(/[.!?]+$/, '').toLowerCase() === keyword.toLowerCase();
}

/**
 * Whether `automation` fires for `event`: the trigger, then each condition in turn; the first that fails is
 * the reason it did nothing (kept in its runs). Never for an event its own actions caused, directly or
 * through other automations (no loops).
 */
export function evaluate(automation: Automation, event: RecordedEvent, facts: EvaluationFacts): Decision {
  if (!automation.enabled) return { fire: false, reason: 'disabled' };
  if (event.type !== automation.when) return { fire: false, reason: `event ${event.type} is not ${automation.when}` };
  if (event.causedBy.includes(automation.id)) return { fire: false, reason: 'the event came from this automation’s own actions' };
  const c = automation.if;
  const ticket = event.data.ticket;
  const message = event.data.message;
  if (event.type === 'ticket.idle' && event.data.automationId !== automation.id) {
    return { fire: false, reason: 'this idle timer belongs to another automation' };
  }
  const status = ticket?.status ?? facts.status;
  if (c.status !== undefined && status !== c.status) return { fire: false, reason: `status is ${status ?? 'unknown'}, not ${c.status}` };
  if (c.previousStatus !== undefined && ticket?.previousStatus !== c.previousStatus) {
    return { fire: false, reason: `previous status is ${ticket?.previousStatus ?? 'unknown'}, not ${c.previousStatus}` };
  }
  if (c.tag !== undefined) {
    const tags = facts.tags ?? ticket?.tags ?? [];
    if (!tags.some((t) => t.toLowerCase() === c.tag!.toLowerCase())) return { fire: false, reason: `ticket is not tagged ${c.tag}` };
  }
  if (c.twilioNumber !== undefined) {
    const number = facts.twilioNumber ?? ticket?.twilioNumber ?? (message ? (message.direction === 'inbound' ? message.to : message.from) : null);
    if (number !== c.twilioNumber) return { fire: false, reason: `Twilio number is ${number ?? 'none'}, not ${c.twilioNumber}` };
  }
  if (c.group !== undefined && !(facts.groups ?? []).some((g) => g.toLowerCase() === c.group!.toLowerCase())) {
    return { fire: false, reason: `the ticket's number is not in group ${c.group}` };
  }
  if (c.keyword !== undefined && !(message && message.direction === 'inbound' && isKeyword(message.body, c.keyword))) {
    return { fire: false, reason: `the text is not the keyword ${c.keyword}` };
  }
  if (c.keyword !== undefined && message?.answered) return { fire: false, reason: 'the text answered an automation’s question' };
  if (c.businessHours !== undefined) {
    if (!facts.businessHours) return { fire: false, reason: 'business hours are not set (Settings → Hours)' };
    const open = isOpen(facts.now, facts.zone, facts.businessHours);
    if (open !== (c.businessHours === 'inside')) return { fire: false, reason: `it is ${open ? 'inside' : 'outside'} business hours` };
  }
  return { fire: true, reason: describeMatch(automation) };
}

function describeMatch(a: Automation): string {
  const parts = Object.entries(a.if).map(([k, v]) => `${k} ${String(v)}`);
  return parts.length ? `${a.when} with ${parts.join(', ')}` : a.when;
}

/** The action's kind: the one key of its object. */
export const actionKind = (a: Action): ActionKind => Object.keys(a)[0] as ActionKind;

/** A CSAT answer: a reply that starts with 1–5 (the words after it are the comment). */
export function parseRating(body: string): { rating: number; comment: string } | null {
  const m = /^\s*([1-5])(?![0-9]|[.,][0-9])\s*[-–—:.,!)]*\s*([\s\S]*)$/.exec(body);
  return m ? { rating: Number(m[1]), comment: m[2]!.trim() } : null;
}

/** The answer an `ask` expected, if the reply is one of them (first word, any case, trailing punctuation ignored). */
export function matchAnswer(body: string, answers: readonly string[]): string | null {
  const first = body.trim().split(/\s+/)[0]?.replace(/[.!?,]+$/, '').toUpperCase() ?? '';
  return answers.find((a) => a.toUpperCase() === first) ?? null;
}

/**
 * The actions a run runs: the automation's `then` (branch null), or a branch of the ask at then[i]:
 * "then.2.answers.YES", "then.2.onTimeout". null: no such branch (the automation was edited since).
 */
export function branchActions(automation: AutomationSpec, branch: string | null): Action[] | null {
  if (branch === null) return automation.then;
  const m = /^then\.(\d+)\.(?:answers\.([^.]+)|(onTimeout))$/.exec(branch);
  if (!m) return null;
  const action = automation.then[Number(m[1])];
  if (!action || !('ask' in action)) return null;
  return (m[3] ? action.ask.onTimeout : action.ask.answers[m[2]!]) ?? null;
}
