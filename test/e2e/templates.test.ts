import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/databases.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

interface Template { id: number; name: string; body: string; placeholders: string[]; createdAt: string; updatedAt: string }
interface ErrorBody { error: { code: string; message: string } }

describe.each(backends)('templates API on $name', (backend) => {
  // One smsdesk per backend: each test uses names of its own, so they do not see each other's templates.
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => h?.close());

  const create = (name: string, body: string) =>
    h.api<{ template: Template } & ErrorBody>('/api/v1/templates', { method: 'POST', body: { name, body } });

  it('creates, lists by name, reads, updates, renders and deletes a template', async () => {
    const b = await create('  crud-b  ', 'Hi {{contact.name}}, ticket #{{ticket.id}} is {{ticket.status}}. {{contact.name}}!');
    expect(b.status).toBe(201);
    expect(b.body.template).toMatchObject({ name: 'crud-b', placeholders: ['contact.name', 'ticket.id', 'ticket.status'] });
    expect(Date.parse(b.body.template.createdAt)).not.toBeNaN();
    const a = await create('crud-a', 'Plain text, no placeholders.');
    expect(a.status).toBe(201);
    expect(a.body.template.placeholders).toEqual([]);

    const list = await h.api<{ templates: Template[] }>('/api/v1/templates');
    expect(list.status).toBe(200);
    expect(list.body.templates.map((t) => t.name).filter((n) => n.startsWith('crud-'))).toEqual(['crud-a', 'crud-b']);

    const id = b.body.template.id;
    const got = await h.api<Template>(`/api/v1/templates/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(b.body.template);

    const patched = await h.api<Template>(`/api/v1/templates/${id}`, { method: 'PATCH', body: { body: 'Thanks {{ contact.name }}, from {{agent.name}}' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id, name: 'crud-b', placeholders: ['contact.name', 'agent.name'] });
    expect(Date.parse(patched.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(b.body.template.updatedAt));
    const renamed = await h.api<Template>(`/api/v1/templates/${id}`, { method: 'PATCH', body: { name: 'crud-c' } });
    expect(renamed.body).toMatchObject({ name: 'crud-c', body: 'Thanks {{ contact.name }}, from {{agent.name}}' });

    const rendered = await h.api<{ body: string }>(`/api/v1/templates/${id}/render`, {
      method: 'POST',
      body: { values: { 'contact.name': 'Ana', 'ticket.id': 12 } },
    });
    expect(rendered).toEqual({ status: 200, body: { body: 'Thanks Ana, from ' } });

    const deleted = await h.api(`/api/v1/templates/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    for (const [method, path] of [['GET', ''], ['DELETE', ''], ['PATCH', ''], ['POST', '/render']] as const) {
      const res = await h.api<ErrorBody>(`/api/v1/templates/${id}${path}`, { method, body: method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' } });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('template_not_found');
    }
  });

  it('refuses requests without a valid bearer token', async () => {
    for (const token of [null, 'wrong-token']) {
      const list = await h.api<ErrorBody>('/api/v1/templates', { token });
      expect(list.status).toBe(401);
      expect(list.body.error.code).toBe('unauthorized');
      const post = await h.api<ErrorBody>('/api/v1/templates', { method: 'POST', body: { name: 'auth', body: 'x' }, token });
      expect(post.status).toBe(401);
    }
  });

  it('refuses unknown and malformed placeholders, naming them, on create and update', async () => {
    const unknown = await create('bad-unknown', 'Hi {{contact.nmae}} and {{foo}}, {{contact.name}}');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('unknown_placeholder');
    expect(unknown.body.error.message).toContain('{{contact.nmae}}, {{foo}}');
    expect(unknown.body.error.message).toContain('use one of {{ticket.id}}');

    const malformed = await create('bad-malformed', 'Hi {{contact.name}');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_placeholder');
    expect(malformed.body.error.message).toContain('"{{contact.name}"');

    const ok = await create('bad-ok', 'Hi {{contact.name}}');
    const patch = await h.api<ErrorBody>(`/api/v1/templates/${ok.body.template.id}`, { method: 'PATCH', body: { body: 'Hi {{foo}}' } });
    expect(patch.status).toBe(400);
    expect(patch.body.error).toMatchObject({ code: 'unknown_placeholder', message: expect.stringContaining('Unknown placeholder {{foo}}: use one of') });

    const names = (await h.api<{ templates: Template[] }>('/api/v1/templates')).body.templates.map((t) => t.name);
    expect(names).not.toContain('bad-unknown');
    expect(names).not.toContain('bad-malformed');
  });

  it('validates name and body lengths', async () => {
    for (const [name, body] of [['   ', 'x'], ['n'.repeat(101), 'x'], ['len', ''], ['len', 'x'.repeat(1601)]]) {
      const res = await create(name!, body!);
      expect(res.status, `${name!.length}/${body!.length}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await create('n'.repeat(100), 'x'.repeat(1600))).status).toBe(201);
    expect((await h.api<ErrorBody>('/api/v1/templates/abc')).body.error.code).toBe('invalid_id');
  });

  it('refuses a duplicate name with 409, also when two creates race and on rename', async () => {
    expect((await create('dup', 'one')).status).toBe(201);
    const again = await create('  dup ', 'two');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('template_name_taken');

    const raced = await Promise.all([create('race', 'first'), create('race', 'second')]);
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(raced.find((r) => r.status === 409)!.body.error.code).toBe('template_name_taken');

    const other = await create('dup-other', 'three');
    const rename = await h.api<ErrorBody>(`/api/v1/templates/${other.body.template.id}`, { method: 'PATCH', body: { name: 'dup' } });
    expect(rename.status).toBe(409);
    expect(rename.body.error.code).toBe('template_name_taken');
  });

  it('renders a preview, refusing values for unknown placeholders', async () => {
    const t = await create('preview', 'Hi {{contact.name}}, re #{{ticket.id}} ({{contact.phone}})');
    const url = `/api/v1/templates/${t.body.template.id}/render`;
    const ok = await h.api<{ body: string }>(url, { method: 'POST', body: { values: { 'ticket.id': 12, 'contact.name': 'Ana', 'contact.phone': null } } });
    expect(ok).toEqual({ status: 200, body: { body: 'Hi Ana, re #12 ()' } });
    expect((await h.api<{ body: string }>(url, { method: 'POST', body: {} })).body).toEqual({ body: 'Hi , re # ()' });

    const bad = await h.api<ErrorBody>(url, { method: 'POST', body: { values: { 'contact.name': 'Ana', 'contact.nmae': 'x', foo: 1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('unknown_placeholder');
    expect(bad.body.error.message).toContain('"contact.nmae", "foo"');
  });
});
