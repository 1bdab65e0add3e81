/**
 * The automation editor's state, as typed: every field a string (an input's value), every list item with a key
 * of its own. `toSpec` turns it into the JSON smsdesk checks (it refuses anything wrong, naming it, and the
 * editor shows that answer); `fromSpec` reads a stored automation back. A field of another kind is kept while
 * the admin switches an action's kind, so nothing typed is lost by a wrong click.
 */
import type { Action, ActionKind, AutomationSpec, Conditions, Trigger, TicketStatus } from './types.ts';
import { CONDITION_KEYS, type ConditionKey } from './automation-words.ts';

let keys = 0;
export const nextKey = () => ++keys;

export interface AnswerDraft {
  key: number;
  word: string;
  actions: ActionDraft[];
}

export interface ActionDraft {
  key: number;
  kind: ActionKind;
  // sendSms
  source: 'text' | 'template';
  body: string;
  templateId: string;
  toRequester: boolean;
  to: string;
  from: string;
  delayMinutes: string;
  // note
  bodyHtml: string;
  private: boolean;
  // setStatus
  status: TicketStatus;
  // webhook
  url: string;
  // call
  callTo: string;
  say: string;
  callFrom: string;
  // survey and ask
  question: string;
  // ask
  answers: AnswerDraft[];
  timeoutMinutes: string;
  onTimeout: ActionDraft[];
}

export interface AutomationDraft {
  name: string;
  enabled: boolean;
  when: Trigger;
  idleMinutes: string;
  /** The conditions added, each as typed; absent: not a condition. */
  conditions: Partial<Record<ConditionKey, string>>;
  then: ActionDraft[];
}

export function newAction(kind: ActionKind = 'sendSms'): ActionDraft {
  return {
    key: nextKey(),
    kind,
    source: 'text',
    body: '',
    templateId: '',
    toRequester: true,
    to: '',
    from: '',
    delayMinutes: '',
    bodyHtml: '',
    private: true,
    status: 'resolved',
    url: '',
    callTo: '',
    say: '',
    callFrom: '',
    question: '',
    answers: kind === 'ask' ? [newAnswer('YES'), newAnswer('NO')] : [],
    timeoutMinutes: kind === 'ask' ? '60' : '',
    onTimeout: [],
  };
}

export function newAnswer(word = ''): AnswerDraft {
  return { key: nextKey(), word, actions: [newAction('sendSms')] };
}

export function newDraft(when: Trigger = 'ticket.status_changed'): AutomationDraft {
  return { name: '', enabled: true, when, idleMinutes: '', conditions: {}, then: [newAction('sendSms')] };
}

/** The value a condition starts with when added. */
export function conditionDefault(key: ConditionKey): string {
  if (key === 'status' || key === 'previousStatus') return 'resolved';
  if (key === 'businessHours') return 'outside';
  return '';
}

/** A number field: a number when something is typed (smsdesk says when it is not a whole number in range). */
const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s.trim()));
/** An optional text field: absent when empty. */
const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function actionOf(d: ActionDraft): Action {
  switch (d.kind) {
    case 'sendSms':
      return {
        sendSms: defined({
          body: d.source === 'text' ? d.body : undefined,
          templateId: d.source === 'template' ? (num(d.templateId) as number) : undefined,
          to: d.toRequester ? undefined : d.to.trim(),
          from: opt(d.from),
          delayMinutes: num(d.delayMinutes),
        }),
      };
    case 'note':
      return { note: { bodyHtml: d.bodyHtml, private: d.private } };
    case 'setStatus':
      return { setStatus: { status: d.status } };
    case 'webhook':
      return { webhook: { url: d.url.trim() } };
    case 'call':
      return { call: defined({ to: d.callTo.trim(), say: d.say, from: opt(d.callFrom) }) };
    case 'survey':
      return { survey: defined({ question: d.question.trim() === '' ? undefined : d.question }) };
    case 'ask':
      return {
        ask: defined({
          question: d.question,
          answers: Object.fromEntries(d.answers.map((a) => [a.word.trim(), a.actions.map(actionOf)])),
          timeoutMinutes: num(d.timeoutMinutes) as number,
          onTimeout: d.onTimeout.length ? d.onTimeout.map(actionOf) : undefined,
        }),
      };
  }
}

/**
 * What the editor can say better than smsdesk's path-naming answer: two answers with one word (they would
 * collapse into one JSON key), and a text with no template chosen. Everything else is smsdesk's to check.
 */
export function draftProblem(d: AutomationDraft): string | null {
  if (!d.name.trim()) return 'Give the automation a name, e.g. “Resolved notice”.';
  if (!d.then.length) return 'Add at least one action under “Then”.';
  return actionsProblem(d.then, 'Action');
}

function actionsProblem(actions: readonly ActionDraft[], where: string): string | null {
  for (const [i, a] of actions.entries()) {
    const name = `${where} ${i + 1}`;
    if (a.kind === 'sendSms' && a.source === 'template' && !a.templateId) return `${name}: choose the template to send.`;
    if (a.kind !== 'ask') continue;
    const words = a.answers.map((x) => x.word.trim().toUpperCase());
    const twice = words.find((w, j) => w && words.indexOf(w) !== j);
    if (twice) return `${name} expects the answer “${twice}” twice: give each answer once.`;
    for (const answer of a.answers) {
      const inner = actionsProblem(answer.actions, `${name}, answer “${answer.word.trim()}”, action`);
      if (inner) return inner;
    }
    const inner = actionsProblem(a.onTimeout, `${name}, no answer, action`);
    if (inner) return inner;
  }
  return null;
}

export function specOf(d: AutomationDraft): AutomationSpec {
  const conditions: Record<string, unknown> = {};
  for (const key of CONDITION_KEYS) {
    const value = d.conditions[key];
    if (value === undefined) continue;
    conditions[key] = key === 'twilioNumber' || key === 'tag' || key === 'group' || key === 'keyword' ? value.trim() : value;
  }
  if (d.when === 'ticket.idle') {
    const minutes = num(d.idleMinutes);
    if (minutes !== undefined) conditions.idleMinutes = minutes;
  }
  return { name: d.name.trim(), enabled: d.enabled, when: d.when, if: conditions as Conditions, then: d.then.map(actionOf) };
}

function draftOf(a: Action): ActionDraft {
  if ('sendSms' in a) {
    const s = a.sendSms;
    return {
      ...newAction('sendSms'),
      source: s.templateId !== undefined ? 'template' : 'text',
      body: s.body ?? '',
      templateId: s.templateId !== undefined ? String(s.templateId) : '',
      toRequester: !s.to || s.to === 'requester',
      to: s.to && s.to !== 'requester' ? s.to : '',
      from: s.from ?? '',
      delayMinutes: s.delayMinutes !== undefined ? String(s.delayMinutes) : '',
    };
  }
  if ('note' in a) return { ...newAction('note'), bodyHtml: a.note.bodyHtml, private: a.note.private !== false };
  if ('setStatus' in a) return { ...newAction('setStatus'), status: a.setStatus.status };
  if ('webhook' in a) return { ...newAction('webhook'), url: a.webhook.url };
  if ('call' in a) return { ...newAction('call'), callTo: a.call.to, say: a.call.say, callFrom: a.call.from ?? '' };
  if ('survey' in a) return { ...newAction('survey'), question: a.survey.question ?? '' };
  const ask = a.ask;
  return {
    ...newAction('ask'),
    question: ask.question,
    answers: Object.entries(ask.answers).map(([word, actions]) => ({ key: nextKey(), word, actions: actions.map(draftOf) })),
    timeoutMinutes: String(ask.timeoutMinutes),
    onTimeout: (ask.onTimeout ?? []).map(draftOf),
  };
}

export function draftFromSpec(spec: AutomationSpec): AutomationDraft {
  const conditions: Partial<Record<ConditionKey, string>> = {};
  for (const key of CONDITION_KEYS) {
    const value = spec.if[key];
    if (value !== undefined) conditions[key] = String(value);
  }
  return {
    name: spec.name,
    enabled: spec.enabled,
    when: spec.when,
    idleMinutes: spec.if.idleMinutes !== undefined ? String(spec.if.idleMinutes) : '',
    conditions,
    then: spec.then.map(draftOf),
  };
}

/** The texts of an action that placeholders fill in (and the preview shows), by field. */
export function textOf(d: ActionDraft, templates: readonly { id: number; body: string }[], defaultSurveyQuestion: string): string {
  switch (d.kind) {
    case 'sendSms':
      return d.source === 'template' ? (templates.find((t) => String(t.id) === d.templateId)?.body ?? '') : d.body;
    case 'note':
      return d.bodyHtml;
    case 'call':
      return d.say;
    case 'survey':
      return d.question.trim() ? d.question : defaultSurveyQuestion;
    case 'ask':
      return d.question;
    default:
      return '';
  }
}
