import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idParam, parse } from './validation.ts';
import { invalid, notFound } from '../domain/errors.ts';
import { checkValueNames, renderTemplate, validateTemplate, type TemplateValues } from '../domain/templates.ts';
import type { Template, TemplateStore } from '../ports/template-store.ts';
import { authenticate, requireAdmin, type AuthOptions } from './auth.ts';

export interface TemplatesOptions {
  auth: AuthOptions;
  store: TemplateStore;
  /** Fills a template in for a ticket (ticket.*, contact.*, twilio.number), with `values` on top. */
  renderForTicket: (templateId: number, ticketId: number, values: TemplateValues, from?: string) => Promise<string>;
}

const name = z.string().trim().min(1).max(100);
const body = z.string().min(1).max(1600);

/** The placeholders a (valid) body uses, each once, in order of appearance; same syntax as domain/templates.ts. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;
const placeholders = (text: string) => [...new Set(Array.from(text.matchAll(PLACEHOLDER), (m) => m[1]!))];

const templateJson = (t: Template) => ({
  id: t.id, name: t.name, body: t.body, placeholders: placeholders(t.body), createdAt: t.createdAt, updatedAt: t.updatedAt,
});

/**
 * CRUD for message templates under /api/v1/templates, plus a render preview; same bearer tokens as the API.
 * Templates are an admin setting: admins write them, everyone signed in reads and uses them.
 */
export async function templates(app: FastifyInstance, opts: TemplatesOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.auth));

  const load = async (request: FastifyRequest) => {
    const id = idParam(request);
    const template = await opts.store.get(id);
    if (!template) throw notFound('template_not_found', `No template ${id}.`);
    return template;
  };

  app.get('/api/v1/templates', async () => ({ templates: (await opts.store.list()).map(templateJson) }));

  app.post('/api/v1/templates', async (request, reply) => {
    requireAdmin(request);
    const input = parse(z.object({ name, body }), request.body, 'body');
    checkBody(input.body);
    return reply.code(201).send({ template: templateJson(await opts.store.create(input)) });
  });

  app.get('/api/v1/templates/:id', async (request) => templateJson(await load(request)));

  app.patch('/api/v1/templates/:id', async (request) => {
    requireAdmin(request);
    const id = idParam(request);
    const input = parse(z.object({ name: name.optional(), body: body.optional() }), request.body, 'body');
    if (input.name === undefined && input.body === undefined) throw invalid('invalid_request', 'Send name, body or both to change.');
    if (input.body !== undefined) checkBody(input.body);
    const template = await opts.store.update(id, input);
    if (!template) throw notFound('template_not_found', `No template ${id}.`);
    return templateJson(template);
  });

  app.delete('/api/v1/templates/:id', async (request, reply) => {
    requireAdmin(request);
    const id = idParam(request);
    if (!(await opts.store.delete(id))) throw notFound('template_not_found', `No template ${id}.`);
    return reply.code(204).send();
  });

  app.post('/api/v1/templates/:id/render', async (request) => {
    const input = parse(
      z.object({
        values: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).default({}),
        ticketId: z.number().int().positive().optional(),
        from: z.string().optional(),
      }),
      request.body,
      'body',
    );
    if (input.ticketId !== undefined) return { body: await opts.renderForTicket(idParam(request), input.ticketId, input.values, input.from) };
    const template = await load(request);
    checkValueNames(input.values);
    return { body: renderTemplate(template.body, input.values) };
  });
}

/** Refuses a body with unknown or malformed placeholders, with the same errors sending it would raise. */
function checkBody(text: string): void {
  const { unknown, malformed } = validateTemplate(text);
  if (unknown.length > 0 || malformed.length > 0) renderTemplate(text, {}); // throws unknown_placeholder / malformed_placeholder
}


