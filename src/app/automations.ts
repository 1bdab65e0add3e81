import { AppError } from '../domain/errors.ts';
import {
  actionKind, branchActions, DEFAULT_SURVEY_QUESTION, evaluate, neededFacts, type Action, type Automation, type Decision,
  type EvaluationFacts, type Trigger,
} from '../domain/automations.ts';
import { automationOrigin, type RecordedEvent } from '../domain/events.ts';
import type { CompiledSchedule } from '../domain/hours.ts';
import type { ActionOutcome, AutomationRun, AutomationStore } from '../ports/automation-store.ts';
import type { Clock } from '../ports/clock.ts';
import { ACTIVITY_TYPES, type EventConsumer, type EventOutbox } from '../ports/event-outbox.ts';
import type { Timers } from '../ports/queue.ts';
import type { Helpdesk } from '../ports/helpdesk.ts';
import type { StatusHistory } from '../ports/status-history.ts';
import type { TicketFacts } from '../ports/ticket-facts.ts';
import type { AwaitingReplies, AwaitingReply } from '../ports/awaiting-replies.ts';

/** Timers of automations (an ask's wait; ticket.idle): jobs due when the wait is over. */
export const AUTOMATION_TIMER_QUEUE = 'automation-timer';
export type TimerPayload =
  | { awaitingId: number }
  | { idle: { automationId: number; helpdesk: string; ticketId: number; since: string; minutes: number } };
/** How long a CSAT survey waits for its rating. */
export const SURVEY_WAIT_MS = 24 * 60 * 60_000;
import type { SendMessage } from './send-message.ts';
import type { VoiceAlert } from './voice-alerts.ts';

/** Actions that other parts provide (voice calls, webhooks, surveys, questions): absent → the action fails saying so. */
export interface ExtraActions {
  call?(input: VoiceAlert): Promise<string>;
  webhook?(input: { url: string; event: RecordedEvent; automation: Automation; key: string }): Promise<string>;
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
    private readonly awaiting: AwaitingReplies,
    private readonly timers: Timers,
    private readonly outbox: EventOutbox,
    private readonly extra: ExtraActions = {},
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    if (event.type === 'ask.answered' || event.type === 'ask.timed_out') return this.branch(event);
    if ((ACTIVITY_TYPES as readonly string[]).includes(event.type)) await this.armIdleTimers(event);
    const automations = await this.store.enabledFor(event.type as Trigger);
    if (!automations.length) return;
    const facts = await this.factsFor(event, automations);
    // Every decision first, in one statement; then the actions of those that fired, automation by automation.
    const decisions = automations.map((automation) => ({ automation, decision: evaluate(automation, event, facts) as Decision }));
    const runs = await this.store.startRuns(decisions.map(({ automation, decision }) => ({
      automationId: automation.id, eventId: event.id, eventType: event.type, ticketId: event.ticketId,
      fired: decision.fire, reason: decision.reason, branch: null, actions: automation.then.map(actionKind),
    })));
    for (const [i, run] of runs.entries()) {
      if (run.state === 'running') await this.resume(decisions[i]!.automation, event, run);
    }
  }

  /** An ask answered (its answer's actions) or its wait over (onTimeout): a run of that branch of the automation. */
  private async branch(event: RecordedEvent): Promise<void> {
    const a = event.data.awaiting as { id: number; automationId: number; actionIndex: number; answer?: string } | undefined;
    if (!a) return;
    const automation = await this.store.get(a.automationId);
    if (!automation) return;
    const branch = event.type === 'ask.answered' ? `then.${a.actionIndex}.answers.${a.answer}` : `then.${a.actionIndex}.onTimeout`;
    const actions = branchActions(automation, branch);
    const reason = event.type === 'ask.answered' ? `answered ${a.answer}` : 'no answer in time';
    const run = await this.store.startRun({
      automationId: automation.id, eventId: event.id, eventType: event.type, ticketId: event.ticketId, branch,
      fired: actions !== null && actions.length > 0, reason: actions ? reason : `${reason}, but the automation no longer has that branch`,
      actions: (actions ?? []).map(actionKind),
    });
    if (run.state === 'running') await this.resume(automation, event, run);
  }

  /**
   * Activity on a ticket (re)arms each ticket.idle automation's timer for it: idleMinutes after this event.
   * Not for an automation's own doing, or it would keep itself waking.
   */
  private async armIdleTimers(event: RecordedEvent): Promise<void> {
    if (event.ticketId === null) return;
    for (const a of await this.store.enabledFor('ticket.idle')) {
      if (event.causedBy.includes(a.id) || !a.if.idleMinutes) continue;
      const at = new Date(event.createdAt.getTime() + a.if.idleMinutes * 60_000);
      await this.timers.arm(AUTOMATION_TIMER_QUEUE, `idle:${a.id}:${event.helpdesk}:${event.ticketId}`, {
        idle: { automationId: a.id, helpdesk: event.helpdesk, ticketId: event.ticketId, since: event.createdAt.toISOString(), minutes: a.if.idleMinutes },
      }, at);
    }
  }

  /**
   * A timer came due. An ask nobody answered ends its wait (its onTimeout runs from the event); an idle timer
   * whose ticket saw no activity since it was armed is a ticket.idle event for its automation.
   */
  async timer(payload: TimerPayload): Promise<void> {
    if ('idle' in payload) {
      const { automationId, helpdesk, ticketId, since, minutes } = payload.idle;
      const last = await this.outbox.lastActivity(helpdesk, ticketId, automationId);
      if (last && last.getTime() > Date.parse(since)) return;
      await this.outbox.record([{
        type: 'ticket.idle', dedupeKey: `ticket.idle:${automationId}:${helpdesk}:${ticketId}:${since}`, helpdesk, ticketId,
        data: { ticket: { id: ticketId }, automationId, idleMinutes: minutes, idleSince: since },
      }]);
      return;
    }
    await this.awaiting.expire(payload.awaitingId, (a) => (a.kind === 'ask' && a.automationId !== null ? [{
      type: 'ask.timed_out', dedupeKey: `ask.timed_out:${a.id}`, helpdesk: a.helpdesk, ticketId: a.ticketId,
      data: { ticket: { id: a.ticketId }, awaiting: { id: a.id, automationId: a.automationId, actionIndex: a.actionIndex } },
    }] : []));
  }

  private async factsFor(event: RecordedEvent, automations: Automation[]): Promise<EvaluationFacts> {
    const schedule = await this.schedule();
    const need = neededFacts(automations, event);
    const ticketId = event.ticketId;
    const twilioNumber = event.data.ticket?.twilioNumber ?? (need.twilioNumber && ticketId !== null ? await this.facts.twilioNumber(ticketId) : null);
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
      const action = branchActions(automation, run.branch)?.[outcome.index];
      if (!action) {
        await this.store.settleAction(run.id, outcome.index, 'skipped', 'the automation was edited since this run began');
        continue;
      }
      try {
        const detail = await this.act(automation, event, run, outcome, action);
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

  private async act(automation: Automation, event: RecordedEvent, run: AutomationRun, outcome: ActionOutcome, action: Action): Promise<string> {
    const index = outcome.index;
    const key = `automation:${run.id}:${index}`;
    const origin = automationOrigin(automation.id);
    const causedBy = [...event.causedBy, automation.id];
    const ticketId = event.ticketId;
    if ('sendSms' in action) {
      const a = action.sendSms;
      const sendAt = new Date(this.clock.now().getTime() + (a.delayMinutes ?? 0) * 60_000);
      const sending = { sendAt, origin, createdBy: null, originKey: key } as const;
      if (a.to) {
        const body = a.body !== undefined ? await this.send.fillIn(a.body, ticketId) : undefined;
        const id = await this.send.notify({ to: a.to, from: a.from ?? (ticketId === null ? undefined : (await this.facts.twilioNumber(ticketId)) ?? undefined), body, templateId: a.templateId, ticketId, ...sending });
        return `message ${id} to ${a.to}${a.delayMinutes ? ` in ${a.delayMinutes} min` : ''}`;
      }
      if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket, so there is no requester to text: give "to".');
      const id = await this.send.reply(ticketId, {
        ...(a.body !== undefined ? { template: a.body } : { templateId: a.templateId }), from: a.from, ...sending,
      });
      return `message ${id} to the requester${a.delayMinutes ? ` in ${a.delayMinutes} min` : ''}`;
    }
    if ('note' in action) {
      if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket to note on.');
      const bodyHtml = await this.send.fillIn(action.note.bodyHtml, ticketId, { html: true });
      const note = await this.helpdesk.addNote(ticketId, { idempotencyKey: key, bodyHtml, incoming: false, private: action.note.private !== false, attachments: [] });
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
      const say = await this.send.fillIn(action.call.say, ticketId);
      const from = action.call.from ?? (ticketId === null ? null : await this.facts.twilioNumber(ticketId));
      const attempted = /^calling since (\S+)$/.exec(outcome.detail ?? '');
      return this.extra.call({
        to: action.call.to, from, say, attemptedSince: attempted ? new Date(attempted[1]!) : null,
        markAttempt: () => this.store.noteAction(run.id, index, `calling since ${this.clock.now().toISOString()}`),
      });
    }
    if ('webhook' in action) {
      if (!this.extra.webhook) throw new AppError('invalid', 'webhooks_unavailable', 'Outgoing webhooks are not available in this smsdesk.');
      return this.extra.webhook({ url: action.webhook.url, event, automation, key });
    }
    if ('survey' in action || 'ask' in action) {
      if (ticketId === null) throw new AppError('invalid', 'no_ticket', 'This event has no ticket whose requester could answer.');
      return this.question(automation, run, index, ticketId, action, { origin, key });
    }
    throw new Error(`unknown action ${actionKind(action)}`);
  }

  /**
   * A survey or an ask: the question texted to the requester (through the scheduled path, so quiet hours hold
   * it), and the wait for the answer recorded (with its timer for an ask's onTimeout). Routing finds the wait
   * before any threading rule, so the answer lands on this ticket (app/expected-answers.ts).
   */
  private async question(
    automation: Automation, run: AutomationRun, index: number, ticketId: number,
    action: Extract<Action, { survey: unknown }> | Extract<Action, { ask: unknown }>, sending: { origin: `automation:${number}`; key: string },
  ): Promise<string> {
    const survey = 'survey' in action;
    const question = survey ? action.survey.question ?? DEFAULT_SURVEY_QUESTION : action.ask.question;
    const sent = await this.send.replyTo(ticketId, {
      template: question, values: { 'survey.question': question }, sendAt: this.clock.now(), origin: sending.origin, createdBy: null, originKey: sending.key,
    });
    const waitMs = survey ? SURVEY_WAIT_MS : action.ask.timeoutMinutes * 60_000;
    const waiting: AwaitingReply = await this.awaiting.expect({
      kind: survey ? 'survey' : 'ask', automationId: automation.id, runId: run.id, actionIndex: index, helpdesk: this.helpdesk.name,
      ticketId, customer: sent.to, twilioNumber: sent.from, answers: survey ? [] : Object.keys(action.ask.answers),
      expiresAt: new Date(this.clock.now().getTime() + waitMs),
    }, survey ? null : { queue: AUTOMATION_TIMER_QUEUE });
    return `message ${sent.id} asks ${sent.to}; waiting until ${waiting.expiresAt.toISOString()}`;
  }
}
