import { describe, expect, it } from 'vitest';
import {
  branchActions, evaluate, isKeyword, matchAnswer, neededFacts, parseAutomation, parseRating, type Automation, type EvaluationFacts,
} from '../../src/domain/automations.ts';
import { parseBusinessHours } from '../../src/domain/hours.ts';
import type { RecordedEvent } from '../../src/domain/events.ts';
import { AppError } from '../../src/domain/errors.ts';

const problem = (input: unknown): string => {
  try {
    parseAutomation(input);
  } catch (err) {
    if (err instanceof AppError && err.code === 'invalid_automation') return err.message;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
};

const sms = [{ sendSms: { body: 'hi' } }];

describe('parseAutomation', () => {
  it('accepts the contract example and fills in the defaults', () => {
    expect(parseAutomation({
      name: 'Resolved notice', when: 'ticket.status_changed',
      if: { status: 'resolved', tag: 'sms', twilioNumber: '+1 (415) 555-0199', businessHours: 'inside' },
      then: [{ sendSms: { body: 'Ticket #{{ticket.id}} is resolved. Reply to reopen.' } }],
    })).toEqual({
      name: 'Resolved notice', enabled: true, when: 'ticket.status_changed',
      if: { status: 'resolved', tag: 'sms', twilioNumber: '+14155550199', businessHours: 'inside' },
      then: [{ sendSms: { body: 'Ticket #{{ticket.id}} is resolved. Reply to reopen.' } }],
    });
  });

  it.each([
    [{ name: 'x', when: 'ticket.exploded', then: sms }, /^when: unknown event "ticket.exploded": use one of ticket.created, /],
    [{ name: 'x', then: sms }, /^when: missing/],
    [{ name: '', when: 'ticket.created', then: sms }, /^name: must be a non-empty text/],
    [{ name: 'x', when: 'ticket.created', then: [] }, /^then: must be a list of at least one action/],
    [{ name: 'x', when: 'ticket.created', colour: 1, then: sms }, /^automation: unknown key "colour"/],
    [{ name: 'x', when: 'ticket.created', if: { colour: 'red' }, then: sms }, /^if: unknown key "colour"/],
    [{ name: 'x', when: 'ticket.created', if: { status: 'gone' }, then: sms }, /^if.status: must be one of open, pending, resolved, closed/],
    [{ name: 'x', when: 'ticket.created', if: { keyword: 'STOP' }, then: sms }, /^if.keyword: applies to message.received only/],
    [{ name: 'x', when: 'message.received', if: { keyword: 'two words' }, then: sms }, /^if.keyword: must be one word/],
    [{ name: 'x', when: 'ticket.idle', then: sms }, /^if.idleMinutes: ticket.idle needs it/],
    [{ name: 'x', when: 'ticket.created', if: { idleMinutes: 5 }, then: sms }, /^if.idleMinutes: applies to ticket.idle only/],
    [{ name: 'x', when: 'ticket.created', if: { twilioNumber: 'nope' }, then: sms }, /^if.twilioNumber: must be a phone number in E.164 form/],
    [{ name: 'x', when: 'ticket.created', then: [{ fax: {} }] }, /^then\[0\]: unknown action "fax"/],
    [{ name: 'x', when: 'ticket.created', then: [{ sendSms: {}, note: {} }] }, /^then\[0\]: must be one action/],
    [{ name: 'x', when: 'ticket.created', then: [{ sendSms: { body: 'a', templateId: 1 } }] }, /^then\[0\].sendSms: give exactly one of "body" or "templateId"/],
    [{ name: 'x', when: 'ticket.created', then: [{ sendSms: { body: 'Hi {{contact.nmae}}' } }] }, /^then\[0\].sendSms.body: unknown placeholder \{\{contact.nmae\}\}/],
    [{ name: 'x', when: 'ticket.created', then: [{ sendSms: { body: 'Hi {{contact.name}' } }] }, /^then\[0\].sendSms.body: malformed placeholder/],
    [{ name: 'x', when: 'ticket.created', then: [{ sendSms: { body: 'a', delayMinutes: 1.5 } }] }, /^then\[0\].sendSms.delayMinutes: must be a whole number from 0 to 43200/],
    [{ name: 'x', when: 'ticket.created', then: [{ webhook: { url: 'ftp://x' } }] }, /^then\[0\].webhook.url: must be an http\(s\) URL/],
    [{ name: 'x', when: 'ticket.created', then: [{ webhook: { url: 'https://u:p@x.example' } }] }, /^then\[0\].webhook.url: must not carry a user name or password/],
    [{ name: 'x', when: 'ticket.created', then: [{ call: { to: '+14155550100' } }] }, /^then\[0\].call.say: must be a non-empty text/],
    [{ name: 'x', when: 'ticket.created', then: [{ ask: { question: 'Q?', timeoutMinutes: 5, answers: {} } }] }, /^then\[0\].ask.answers: must map each expected answer/],
    [{ name: 'x', when: 'ticket.created', then: [{ ask: { question: 'Q?', timeoutMinutes: 5, answers: { YES: [{ ask: {} }] } } }] }, /^then\[0\].ask.answers.YES\[0\].ask: an ask cannot be inside another ask/],
    [{ name: 'x', when: 'ticket.created', then: [{ ask: { question: 'Q?', timeoutMinutes: 5, answers: { yes: sms, YES: sms } } }] }, /"YES" is given twice/],
  ])('refuses %j naming the part', (input, message) => {
    expect(problem(input)).toMatch(message);
  });
});

const at = new Date('2026-12-07T15:00:00Z'); // a Monday, 10:00 in New York
const event = (e: Partial<RecordedEvent> & Pick<RecordedEvent, 'type'>): RecordedEvent => ({
  id: 'evt_1', helpdesk: 'builtin', ticketId: 7, data: { ticket: { id: 7, status: 'open' } }, causedBy: [], createdAt: at, ...e,
});
const automation = (a: Partial<Automation>): Automation => ({ id: 1, name: 'a', enabled: true, when: 'ticket.status_changed', if: {}, then: sms, ...a });
const facts: EvaluationFacts = { now: at, businessHours: parseBusinessHours('Mon-Fri 09:00-17:00'), zone: 'America/New_York' };

describe('evaluate', () => {
  it.each([
    ['fires on its event', automation({}), event({ type: 'ticket.status_changed' }), facts, true, 'ticket.status_changed'],
    ['not on another event', automation({}), event({ type: 'ticket.created' }), facts, false, 'event ticket.created is not ticket.status_changed'],
    ['not when disabled', automation({ enabled: false }), event({ type: 'ticket.status_changed' }), facts, false, 'disabled'],
    ['never on its own doing', automation({ id: 3 }), event({ type: 'ticket.status_changed', causedBy: [5, 3] }), facts, false, 'the event came from this automation’s own actions'],
    ['status from the event', automation({ if: { status: 'resolved' } }), event({ type: 'ticket.status_changed' }), facts, false, 'status is open, not resolved'],
    ['status from the facts when the event does not say', automation({ if: { status: 'pending' } }), event({ type: 'ticket.status_changed', data: { ticket: { id: 7 } } }), { ...facts, status: 'pending' }, true, 'ticket.status_changed with status pending'],
    ['previous status', automation({ if: { previousStatus: 'pending' } }), event({ type: 'ticket.status_changed', data: { ticket: { id: 7, status: 'open', previousStatus: 'resolved' } } }), facts, false, 'previous status is resolved, not pending'],
    ['tag, any case', automation({ if: { tag: 'VIP' } }), event({ type: 'ticket.status_changed' }), { ...facts, tags: ['sms', 'vip'] }, true, 'ticket.status_changed with tag VIP'],
    ['group', automation({ if: { group: 'Support' } }), event({ type: 'ticket.status_changed' }), { ...facts, groups: ['Sales'] }, false, "the ticket's number is not in group Support"],
    ['inside business hours', automation({ if: { businessHours: 'inside' } }), event({ type: 'ticket.status_changed' }), facts, true, 'ticket.status_changed with businessHours inside'],
    ['outside business hours', automation({ if: { businessHours: 'outside' } }), event({ type: 'ticket.status_changed' }), facts, false, 'it is inside business hours'],
    ['business hours not set', automation({ if: { businessHours: 'outside' } }), event({ type: 'ticket.status_changed' }), { ...facts, businessHours: null }, false, 'business hours are not set (Settings → Hours)'],
    ['an idle timer is for its own automation only', automation({ id: 2, when: 'ticket.idle', if: { idleMinutes: 5 } }), event({ type: 'ticket.idle', data: { ticket: { id: 7 }, automationId: 9 } }), facts, false, 'this idle timer belongs to another automation'],
  ])('%s', (_what, a, e, f, fire, reason) => {
    expect(evaluate(a, e, f)).toEqual({ fire, reason });
  });

  it('keywords: the whole text, any case, trailing punctuation allowed; an answer to a question is not one', () => {
    const a = automation({ when: 'message.received', if: { keyword: 'urgent' } });
    const text = (body: string, answered = false) => event({ type: 'message.received', data: { message: { id: 1, direction: 'inbound', from: '+1', to: '+2', body, answered } } });
    expect(evaluate(a, text(' URGENT! '), facts).fire).toBe(true);
    expect(evaluate(a, text('urgent please'), facts).fire).toBe(false);
    expect(evaluate(a, text('URGENT', true), facts)).toEqual({ fire: false, reason: 'the text answered an automation’s question' });
    expect(isKeyword('Hours?', 'hours')).toBe(true);
  });

  it('asks for facts only when a condition needs them', () => {
    const e = event({ type: 'ticket.status_changed', data: { ticket: { id: 7 } } });
    expect(neededFacts([automation({})], e)).toEqual({ status: false, tags: false, groups: false, twilioNumber: false });
    expect(neededFacts([automation({ if: { tag: 'x', group: 'g', status: 'open' } })], e)).toEqual({ status: true, tags: true, groups: true, twilioNumber: true });
    expect(neededFacts([automation({ if: { tag: 'x' } })], event({ type: 'ticket.status_changed', data: { ticket: { id: 7, status: 'open', tags: [] } } })).tags).toBe(false);
  });
});

describe('answers', () => {
  it.each([
    ['4', { rating: 4, comment: '' }],
    ['5 - quick and friendly', { rating: 5, comment: 'quick and friendly' }],
    [' 1: slow', { rating: 1, comment: 'slow' }],
    ['3.', { rating: 3, comment: '' }],
    ['10', null],
    ['4.5', null],
    ['6', null],
    ['great, 5', null],
  ])('rating %j', (body, expected) => {
    expect(parseRating(body)).toEqual(expected);
  });

  it('matches an ask by its first word, any case', () => {
    expect(matchAnswer('yes!', ['YES', 'NO'])).toBe('YES');
    expect(matchAnswer('No thanks', ['YES', 'NO'])).toBe('NO');
    expect(matchAnswer('maybe', ['YES', 'NO'])).toBeNull();
  });

  it('finds the branch a run runs', () => {
    const a = parseAutomation({
      name: 'x', when: 'ticket.created',
      then: [{ note: { bodyHtml: '<p>n</p>' } }, { ask: { question: 'Q?', timeoutMinutes: 5, answers: { YES: sms }, onTimeout: [{ setStatus: { status: 'resolved' } }] } }],
    });
    expect(branchActions(a, null)).toBe(a.then);
    expect(branchActions(a, 'then.1.answers.YES')).toEqual(sms);
    expect(branchActions(a, 'then.1.onTimeout')).toEqual([{ setStatus: { status: 'resolved' } }]);
    expect(branchActions(a, 'then.0.onTimeout')).toBeNull();
    expect(branchActions(a, 'then.1.answers.NO')).toBeNull();
  });
});
