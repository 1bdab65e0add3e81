/**
 * Automations in plain words, for people who have not read CONTRACT.md: what an event means ("A ticket's status
 * changes"), what each condition and action does, and one-line summaries for the list. Keyed by the domain's
 * own names (type-only imports), so a trigger or action added there must be worded here.
 */
import type { Action, ActionKind, Conditions, Template, Trigger } from './types.ts';
import { ticketStatusLabel } from './components/common.tsx';

const EVENT_LABEL: Record<Trigger, string> = {
  'ticket.created': 'A ticket is created',
  'ticket.status_changed': "A ticket's status changes",
  'ticket.priority_changed': "A ticket's priority changes",
  'ticket.agent_replied': 'An agent replies on a ticket',
  'message.received': 'A text comes in',
  'message.failed': 'A text could not be delivered',
  'ticket.idle': 'A ticket has had no activity for a while',
};

/** An event ("when") in words; an event the console does not know yet is shown as its name. */
export function eventLabel(event: string): string {
  return (EVENT_LABEL as Record<string, string>)[event] ?? event;
}

const ACTION_LABEL: Record<ActionKind, string> = {
  sendSms: 'Send a text',
  note: 'Add a note to the ticket',
  setStatus: "Change the ticket's status",
  webhook: 'Call a webhook',
  call: 'Make a phone call',
  survey: 'Ask for a rating (CSAT survey)',
  ask: 'Ask a question and act on the answer',
};

export function actionLabel(kind: string): string {
  return (ACTION_LABEL as Record<string, string>)[kind] ?? kind;
}

/** The conditions an admin can add, in the order the editor shows them (idle minutes belongs to "when"). */
export const CONDITION_KEYS = ['status', 'previousStatus', 'tag', 'twilioNumber', 'group', 'keyword', 'businessHours'] as const;
export type ConditionKey = (typeof CONDITION_KEYS)[number];

export const CONDITION_LABEL: Record<ConditionKey, string> = {
  status: 'Status is',
  previousStatus: 'Previous status was',
  tag: 'Ticket has the tag',
  twilioNumber: 'Twilio number is',
  group: "Number's group is",
  keyword: 'The text is just the word',
  businessHours: 'Business hours',
};

const quote = (s: string, max = 60) => `“${s.length > max ? `${s.slice(0, max - 1)}…` : s}”`;

/** An automation's "when" in words, with the idle time of ticket.idle: "A ticket has had no activity for 120 min". */
export function whenLabel(a: { when: string; if: Conditions }): string {
  if (a.when === 'ticket.idle' && a.if.idleMinutes !== undefined) return `A ticket has had no activity for ${a.if.idleMinutes} min`;
  return eventLabel(a.when);
}

/** "status is Resolved, tagged “vip”, inside business hours"; empty when there is no condition. */
export function conditionsSummary(c: Conditions): string {
  const parts: string[] = [];
  if (c.status !== undefined) parts.push(`status is ${ticketStatusLabel(c.status)}`);
  if (c.previousStatus !== undefined) parts.push(`previous status was ${ticketStatusLabel(c.previousStatus)}`);
  if (c.tag !== undefined) parts.push(`tagged ${quote(c.tag)}`);
  if (c.twilioNumber !== undefined) parts.push(`on ${c.twilioNumber}`);
  if (c.group !== undefined) parts.push(`number in group ${quote(c.group)}`);
  if (c.keyword !== undefined) parts.push(`the text is ${quote(c.keyword)}`);
  if (c.businessHours !== undefined) parts.push(`${c.businessHours} business hours`);
  return parts.join(', ');
}

/** One action in a few words: "text the requester “Ticket #{{ticket.id}} is resolved”". */
export function actionSummary(a: Action, templates: readonly Template[] = []): string {
  if ('sendSms' in a) {
    const s = a.sendSms;
    const to = s.to ? s.to : 'the requester';
    const template = s.templateId !== undefined ? templates.find((t) => t.id === s.templateId) : undefined;
    const what = s.body !== undefined ? quote(s.body) : template ? `the template ${quote(template.name)}` : `template ${s.templateId}`;
    return `text ${to} ${what}${s.delayMinutes ? ` after ${s.delayMinutes} min` : ''}`;
  }
  if ('note' in a) return `add a ${a.note.private === false ? 'public' : 'private'} note`;
  if ('setStatus' in a) return `set the status to ${ticketStatusLabel(a.setStatus.status)}`;
  if ('webhook' in a) return `call the webhook ${a.webhook.url}`;
  if ('call' in a) return `phone ${a.call.to}`;
  if ('survey' in a) return 'send the CSAT survey';
  if ('ask' in a) return `ask ${quote(a.ask.question)} (${Object.keys(a.ask.answers).join(', ')})`;
  return 'an action';
}

/** The actions in order: "text the requester “…”, then set the status to Closed". */
export function actionsSummary(actions: readonly Action[], templates: readonly Template[] = []): string {
  return actions.map((a) => actionSummary(a, templates)).join(', then ');
}

/** "If status is Resolved: text the requester “…”", or just the actions when there is no condition. */
export function automationSummary(a: { if: Conditions; then: readonly Action[] }, templates: readonly Template[] = []): string {
  const conditions = conditionsSummary(a.if);
  const actions = actionsSummary(a.then, templates);
  return conditions ? `If ${conditions}: ${actions}` : actions.charAt(0).toUpperCase() + actions.slice(1);
}

const RUN_STATE_LABEL: Record<string, string> = {
  skipped: 'Did nothing',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  pending: 'Waiting',
};

/** A run's or an action's state in words. */
export function runStateLabel(state: string): string {
  return RUN_STATE_LABEL[state] ?? state;
}
