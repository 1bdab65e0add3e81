import { AppError } from '../domain/errors.ts';
import { escapeHtml } from '../domain/html.ts';
import {
  actionKind, evaluate, neededFacts, type Action, type Automation, type Decision, type EvaluationFacts, type Trigger,
} from '../domain/automations.ts';
import { automationOrigin, type RecordedEvent } from '../domain/events.ts';
import type { CompiledSchedule } from '../domain/hours.ts';
import { renderTemplate, ticketValues, type TemplateValues } from '../domain/templates.ts';
import type { AutomationRun, AutomationStore } from '../ports/automation-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventConsumer } from '../ports/event-outbox.ts';
import type { Helpdesk } from '../ports/helpdesk.ts';
import type { StatusHistory } from '../ports/status-history.ts';
import type { TicketFacts } from '../ports/ticket-facts.ts';
import type { SendMessage } from './send-message.ts';

/** Actions that other parts provide (voice calls, webhooks, surveys, questions): absent → the action fails saying so. */
export interface ExtraActions {
  call?(input: { to: string; from: string | null; say: string; key: string }): Promise<string>;
  webhook?(input: { url: string; event: RecordedEvent; automation: Automation; key: string }): Promise<string>;
  survey?(input: { ticketId: number; question: string; run: AutomationRun; index: number; origin: string; causedBy: number[] }): Promise<string>;
  ask?(input: { ticketId: number; action: Extract<Action, { ask: unknown }>['ask']; run: AutomationRun; index: number; origin: string; causedBy: number[] }): Promise<string>;
}

/**
 * Automations as an event consumer: for each enabled automation of the event's type, the decision (domain
 * evaluate) is stored as a run before any action runs, then each action in order, its outcome stored as it
 * settles. A replayed event finds its runs and resumes them: an action already settled is never repeated,
 * and an action interrupted mid-way is made idempotent by its key (`automation:<run>:<index>`: one message,
 * one note, one call per key).
 */
export class Automations implements EventConsumer {
  readonly name = 'automations';

  constructor(
    private readonly store: AutomationStore,
    private readonly helpdesk: Helpdesk,
    private readonly send: SendMessage,
    private readonly facts: TicketFacts,
    private readonly schedule: () => Promise<CompiledSchedule>,
    private readonly clock: Clock,
    private readonly history: StatusHistory,
    private readonly extra: ExtraActions = {},
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const automations = await this.store.enabledFor(event.type as Trigger);
    if (!automations.length) return;
    const facts = await this.factsFor(event, automations);
    for (const automation of automations) {
      const decision: Decision = evaluate(automation, event, facts);
      const run = await this.store.startRun({
        automationId: automation.id, eventId: event.id, eventType: event.type, ticketId: event.ticketId,
        fired: decision.fire, reason: decision.reason, actions: automation.then.map(actionKind),
      });
      if (run.state === 'running') await this.resume(automation, event, run);
    }
  }

  private async factsFor(event: RecordedEvent, automations: Automation[]): Promise<EvaluationFacts> {
    const schedule = await this.schedule();
    const need = neededFacts(automations, event);
    const ticketId = event.ticketId;
    const twilioNumber = event.data.ticket?.twilioNumber ?? (ticketId === null ? null : await this.facts.twilioNumber(ticketId));
    return {
      now: this.clock.now(),
      businessHours: schedule.hours,
      zone: schedule.defaultTimezone,
      twilioNumber,
      status: need.status && ticketId !== null ? (await this.helpdesk.getTicketSummary(ticketId))?.status : undefined,
      tags: need.tags && ticketId !== null ? await this.facts.tags(ticketId) : undefined,
      groups: need.groups && twilioNumber ? await this.facts.groupsOf(twilioNumber) : undefined,
    };
  }

  /** Runs the actions still pending, in order; an action that fails for good stops the ones after it. */
  private async resume(automation: Automation, event: RecordedEvent, run: AutomationRun): Promise<void> {
    let failed = false;
    for (const outcome of run.actions) {
      if (outcome.state !== 'pending') {
        if (outcome.state === 'failed') failed = true;
        continue;
      }
      if (failed) {
        await this.store.settleAction(run.id, outcome.index, 'skipped', 'an earlier action failed');
        continue;
      }
      const action = automation.then[outcome.index];
      if (!action) {
        await this.store.settleAction(run.id, outcome.index, 'skipped', 'the automation was edited since this run began');
        continue;
      }
      try {
        const detail = await this.act(automation, event, run, outcome.index, action);
        await this.store.settleAction(run.id, outcome.index, 'done', detail);
      } catch (err) {
        // A refusal (opted out, no mobile, a bad template value) is the outcome; anything else is retried by the queue.
        if (!(err instanceof AppError) || err.kind === 'unavailable') throw err;
        const skipped = err.kind === 'conflict';
        await this.store.settleAction(run.id, outcome.index, skipped ? 'skipped' : 'failed', `${err.code}: ${err.message}`);
        if (!skipped) failed = true;
      }
    }
    await this.store.finishRun(run.id, failed ? 'failed' : 'done');
  }

  private async act(automation: Automation, event: RecordedEvent, run: AutomationRun, index: number, action: Action): Promise<string> {
    const key = `automation:${run.id}:${index}`;
    const origin = automationOrigin(automation.id);
    const causedBy = [...event.causedBy, automation.id];
    const ticketId = event.ticketId;
    const values = async () => ({ ...(await this.facts.values(ticketId)) });
    if ('sendSms' in action) {
      const a = action.sendSms;
      const sendAt = new Date(this.clock.now().getTime() + (a.delayMinutes ?? 0) * 60_000);
      const sending = { sendAt, origin, createdBy: null, originKey: key } as const;
      if (a.to) {
        const body = a.body !== undefined ? renderTemplate(a.body, { ...(await this.ticketValues(ticketId)), ...(await values()) }) : undefined;
        const id = await this.send.notify({ to: a.to, from: a.from ?? (ticketId === null ? undefined : (await this.facts.twilioNumber(ticketId)) ?? undefined), body, templateId: a.templateId, ticketId, ...sending });
        return `message ${id} to ${a.to}${a.delayMinutes ? ` in ${a.delayMinutes} min` : ''}`;
      }
      if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket, so there is no requester to text: give "to".');
      const id = await this.send.reply(ticketId, {
        ...(a.body !== undefined ? { template: a.body } : { templateId: a.templateId }), values: await values(), from: a.from, ...sending,
      });
      return `message ${id} to the requester${a.delayMinutes ? ` in ${a.delayMinutes} min` : ''}`;
    }
    if ('note' in action) {
      if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket to note on.');
      const v = { ...(await this.ticketValues(ticketId)), ...(await values()) };
      // Values land in HTML: escaped, the template's own markup kept.
      const escaped = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null || x === undefined ? x : escapeHtml(String(x))]));
      const note = await this.helpdesk.addNote(ticketId, {
        idempotencyKey: key, bodyHtml: renderTemplate(action.note.bodyHtml, escaped), incoming: false, private: action.note.private !== false, attachments: [],
      });
      return `note ${note.id}`;
    }
    if ('setStatus' in action) {
      if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket to change.');
      const before = await this.helpdesk.getTicketSummary(ticketId);
      if (!before) throw new AppError('conflict', 'ticket_not_found', `Ticket ${ticketId} no longer exists.`);
      if (before.status === action.setStatus.status) return `already ${before.status}`;
      await this.helpdesk.setStatus(ticketId, action.setStatus.status);
      await this.history.record(this.helpdesk.name, ticketId, {
        status: action.setStatus.status, previous: before.status, changedBy: `automation “${automation.name}”`, causedBy,
      });
      return `${before.status} → ${action.setStatus.status}`;
    }
    if ('call' in action) {
      if (!this.extra.call) throw new AppError('invalid', 'calls_unavailable', 'Voice calls are not available in this smsdesk.');
      const say = renderTemplate(action.call.say, { ...(await this.ticketValues(ticketId)), ...(await values()) });
      const from = action.call.from ?? (ticketId === null ? null : await this.facts.twilioNumber(ticketId));
      return this.extra.call({ to: action.call.to, from, say, key });
    }
    if ('webhook' in action) {
      if (!this.extra.webhook) throw new AppError('invalid', 'webhooks_unavailable', 'Outgoing webhooks are not available in this smsdesk.');
      return this.extra.webhook({ url: action.webhook.url, event, automation, key });
    }
    if ('survey' in action) {
      if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket to survey.');
      if (!this.extra.survey) throw new AppError('invalid', 'surveys_unavailable', 'Surveys are not available in this smsdesk.');
      return this.extra.survey({ ticketId, question: action.survey.question ?? '', run, index, origin, causedBy });
    }
    if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket whose requester could answer.');
    if (!this.extra.ask) throw new AppError('invalid', 'ask_unavailable', 'Questions are not available in this smsdesk.');
    return this.extra.ask({ ticketId, action: action.ask, run, index, origin, causedBy });
  }

  /** The ticket's own placeholders ({{ticket.id}}, {{contact.name}}…), for texts not sent as a reply on it. */
  private async ticketValues(ticketId: number | null): Promise<TemplateValues> {
    if (ticketId === null) return {};
    const ticket = await this.helpdesk.getTicket(ticketId);
    return ticket ? ticketValues(ticket, await this.facts.twilioNumber(ticketId)) : {};
  }
}
