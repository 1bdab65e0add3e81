import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../helpers/databases.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, signIn, type Browser } from '../helpers/console.ts';

interface ErrorBody { error: { code: string; message: string } }

/** What each kind of caller may do: minted tokens act as their minter, templates are an admin setting. */
describe.each(backends)('roles on $name', (backend: Backend) => {
  let h: Harness;
  let ana: Browser;
  let bo: Browser;
  beforeAll(async () => {
    h = await startHarness(backend);
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    await addUser(h, 'cy@example.com', 'admin', 'Cy');
    await addUser(h, 'bo@example.com', 'agent', 'Bo');
    ana = await signIn(h, 'ana@example.com');
    bo = await signIn(h, 'bo@example.com');
  }, 180_000);
  afterAll(async () => h?.close());

  const bearer = (token: string, path: string) => h.api<ErrorBody>(path, { token });

  it("stops a deleted admin's tokens at once; the operator's token and the tokens it mints stay admin", async () => {
    const cy = await signIn(h, 'cy@example.com');
    const minted = await cy.call<{ id: number; token: string }>('/api/v1/tokens', { method: 'POST', body: { name: "Cy's script" } });
    expect(minted.status).toBe(201);
    const operatorMinted = await h.api<{ id: number; token: string }>('/api/v1/tokens', { method: 'POST', body: { name: 'ops' } });
    expect(operatorMinted.status).toBe(201);
    // Cy's token acts as Cy: an admin.
    expect((await bearer(minted.body.token, '/api/v1/users')).status).toBe(200);

    const users = await ana.call<{ users: { id: number; email: string }[] }>('/api/v1/users');
    const cyId = users.body.users.find((u) => u.email === 'cy@example.com')!.id;
    expect((await ana.call(`/api/v1/users/${cyId}`, { method: 'DELETE' })).status).toBe(204);

    const after = await bearer(minted.body.token, '/api/v1/tickets');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
    expect((await bearer(minted.body.token, '/api/v1/users')).status).toBe(401);
    const tokens = await ana.call<{ tokens: { id: number; revokedAt: string | null }[] }>('/api/v1/tokens');
    expect(tokens.body.tokens.find((t) => t.id === minted.body.id)!.revokedAt).not.toBeNull();
    // The operator's own token, and one minted with it, are the operator's: still admin.
    expect((await h.api('/api/v1/users')).status).toBe(200);
    expect((await bearer(operatorMinted.body.token, '/api/v1/users')).status).toBe(200);
  }, 120_000);

  it('lets admins write templates and everyone signed in read and use them; agents get 403', async () => {
    const made = await ana.call<{ template: { id: number } }>('/api/v1/templates', { method: 'POST', body: { name: 'roles-greeting', body: 'Hi {{contact.name}}' } });
    expect(made.status).toBe(201);
    const id = made.body.template.id;

    const refused = [
      await bo.call<ErrorBody>('/api/v1/templates', { method: 'POST', body: { name: 'roles-agent', body: 'Hello' } }),
      await bo.call<ErrorBody>(`/api/v1/templates/${id}`, { method: 'PATCH', body: { body: 'Changed by an agent' } }),
      await bo.call<ErrorBody>(`/api/v1/templates/${id}`, { method: 'DELETE' }),
    ];
    expect(refused.map((r) => [r.status, r.body.error.code])).toEqual([[403, 'admin_only'], [403, 'admin_only'], [403, 'admin_only']]);

    const list = await bo.call<{ templates: { id: number; body: string }[] }>('/api/v1/templates');
    expect(list.status).toBe(200);
    expect(list.body.templates.find((t) => t.id === id)?.body).toBe('Hi {{contact.name}}');
    expect((await bo.call(`/api/v1/templates/${id}`)).status).toBe(200);
    const rendered = await bo.call<{ body: string }>(`/api/v1/templates/${id}/render`, { method: 'POST', body: { values: { 'contact.name': 'Dee' } } });
    expect(rendered.status).toBe(200);
    expect(rendered.body.body).toBe('Hi Dee');

    expect((await ana.call(`/api/v1/templates/${id}`, { method: 'PATCH', body: { body: 'Hello {{contact.name}}' } })).status).toBe(200);
    expect((await ana.call(`/api/v1/templates/${id}`, { method: 'DELETE' })).status).toBe(204);
  }, 120_000);
});
