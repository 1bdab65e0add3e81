import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, parse } from './validation.ts';
import { invalid, notFound } from '../domain/errors.ts';
import { parseAutomation, TRIGGERS, ACTION_KINDS, DEFAULT_SURVEY_QUESTION } from '../domain/automations.ts';
import { KNOWN_PLACEHOLDERS } from '../domain/templates.ts';
import type { AutomationRun, AutomationStore } from '../ports/automation-store.ts';
import { authenticate, requireAdmin, type AuthOptions } from './auth.ts';
import type { AwaitingReplies } from '../ports/awaiting-replies.ts';

export interface AutomationsOptions {
  auth: AuthOptions;
  store: AutomationStore;
  /** A text with placeholders filled in for a real ticket (the editor's live preview). */
  previewForTicket: (text: string, ticketId: number) => Promise<string>;
  csat: Pick<AwaitingReplies, 'csatReport'>;
  helpdesk: string;
}

type StoredAutomation = NonNullable<Awaited<ReturnType<AutomationStore['get']>>>;

const automationJson = (a: StoredAutomation) => ({
  id: a.id, name: a.name, enabled: a.enabled, when: a.when, if: a.if, then: a.then, createdAt: a.createdAt, updatedAt: a.updatedAt,
});

const runJson = (r: AutomationRun) => ({
  id: r.id, automationId: r.automationId, eventId: r.eventId, event: r.eventType, ticketId: r.ticketId, fired: r.fired,
  reason: r.reason, branch: r.branch, state: r.state, actions: r.actions, createdAt: r.createdAt, finishedAt: r.finishedAt,
});

/**
 * /api/v1/automations (CONTRACT.md "Automations"): admins write, anyone signed in reads. Every write is checked
 * whole by domain/automations parseAutomation, which names the bad part (400 invalid_automation).
 */
export async function automationsApi(app: FastifyInstance, opts: AutomationsOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.auth));

  const load = async (id: number) => {
    const a = await opts.store.get(id);
    if (!a) throw notFound('automation_not_found', `No automation ${id}.`);
    return a;
  };

  app.get('/api/v1/automations', async () => ({ automations: (await opts.store.list()).map(automationJson) }));

  /** What the editor offers: events, conditions, actions and placeholders, so the console never hard-codes them. */
  app.get('/api/v1/automations/vocabulary', async () => ({
    events: TRIGGERS, actions: ACTION_KINDS, placeholders: KNOWN_PLACEHOLDERS, defaultSurveyQuestion: DEFAULT_SURVEY_QUESTION,
  }));

  app.post('/api/v1/automations', async (request, reply) => {
    requireAdmin(request);
    const spec = parseAutomation(request.body);
    const id = await opts.store.create(spec);
    return reply.code(201).send(automationJson(await load(id)));
  });

  app.get('/api/v1/automations/:id', async (request) => automationJson(await load(idParam(request))));

  app.patch('/api/v1/automations/:id', async (request) => {
    requireAdmin(request);
    const id = idParam(request);
    const current = await load(id);
    const change = request.body;
    if (typeof change !== 'object' || change === null || Array.isArray(change)) throw invalid('invalid_automation', 'automation: send an object with the parts to change');
    // The result is checked whole, as a new automation would be.
    const spec = parseAutomation({ name: current.name, enabled: current.enabled, when: current.when, if: current.if, then: current.then, ...change });
    if (!(await opts.store.update(id, spec))) throw notFound('automation_not_found', `No automation ${id}.`);
    return automationJson(await load(id));
  });

  app.delete('/api/v1/automations/:id', async (request, reply) => {
    requireAdmin(request);
    const id = idParam(request);
    if (!(await opts.store.remove(id))) throw notFound('automation_not_found', `No automation ${id}.`);
    return reply.code(204).send();
  });

  app.get('/api/v1/automations/:id/runs', async (request) => {
    const id = idParam(request);
    await load(id);
    const { limit } = parse(z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }), request.query, 'query');
    const [runs, counts] = await Promise.all([opts.store.runs(id, limit), opts.store.runCounts(id)]);
    return { runs: runs.map(runJson), counts };
  });

  /** CSAT ratings by week, agent, number and group since `days` ago (default 90): the report's chart and table. */
  app.get('/api/v1/reports/csat', async (request) => {
    const { days } = parse(z.object({ days: z.coerce.number().int().min(1).max(730).default(90) }), request.query, 'query');
    const since = new Date(Date.now() - days * 86_400_000);
    return { since, rows: await opts.csat.csatReport(opts.helpdesk, since) };
  });

  app.post('/api/v1/automations/preview', async (request) => {
    const input = parse(z.object({ text: z.string().min(1).max(10_000), ticketId: z.number().int().positive() }), request.body, 'body');
    return { text: await opts.previewForTicket(input.text, input.ticketId) };
  });
}
