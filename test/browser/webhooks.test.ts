import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { pgliteBackend } from '../helpers/databases.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { SqlEventOutbox } from '../../src/adapters/db/event-outbox.ts';
import { verifySignature } from '../../src/domain/webhook-signature.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Settings → Webhooks in Debian's chromium: add one (its secret shown once), see its deliveries, resend, delete. */
describe.skipIf(!CHROMIUM)('webhooks in the console', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  let r: WebhookReceiver;

  beforeAll(async () => {
    r = await startWebhookReceiver();
    h = await startHarness(pgliteBackend, { env: { SMSDESK_FETCH_ALLOW: '127.0.0.1' }, smsdesk: { webhooks: { delays: [50] } } });
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    browser = await launchBrowser();
    // axe is injected past the page's Content-Security-Policy, in this context only.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    await page.goto(`${h.smsdesk.url}/`);
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByTestId('inbox-list').waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await r?.close();
  });

  /** WCAG 2 A/AA violations on the page as it is (as test/browser/accessibility.test.ts checks every screen). */
  const violations = async (): Promise<string[]> => {
    await page.addScriptTag({ path: AXE });
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return result.violations.map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
    });
  };

  it('adds a webhook, shows its secret once, lists its deliveries with their answers, resends and deletes', async () => {
    await page.goto(`${h.smsdesk.url}/#/settings`);
    const section = page.locator('section[aria-labelledby="settings-webhooks"]');
    await section.getByText('No webhooks yet.').waitFor();

    await page.getByRole('button', { name: 'Add webhook' }).click();
    await expect.poll(() => section.getByRole('alert').textContent()).toMatch(/The URL is required/);
    await page.getByTestId('webhook-url').fill(`${r.url}?a=<b>x</b>`);
    await expect.poll(() => page.getByTestId('webhook-decide').isDisabled()).toBe(true);
    await page.getByLabel(/A ticket is created/).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();

    const secret = await page.getByTestId('webhook-secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    const row = page.getByTestId('settings-webhooks').locator('tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    // Shown as text (escaped), masked after creation.
    expect(await row.locator('th code').textContent()).toBe(`${r.url}?a=%3Cb%3Ex%3C/b%3E`);
    expect(await row.textContent()).toContain(`…${secret.slice(-4)}`);
    expect(await row.textContent()).not.toContain(secret);
    expect(await violations()).toEqual([]);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);

    r.answer((_hook, i) => (i === 0 ? { status: 500 } : { status: 200 }));
    await new SqlEventOutbox(h.sql).record([{ type: 'ticket.created', dedupeKey: 'browser:1', helpdesk: 'builtin', ticketId: 5, data: { ticket: { id: 5, status: 'open' } } }]);
    const retried = await r.waitFor(2);
    expect(verifySignature(retried.headers['x-smsdesk-signature'] as string, retried.body, secret)).toBe(true);

    await page.getByTestId('webhook-deliveries-toggle').click();
    const delivery = page.getByTestId('webhook-delivery');
    await expect.poll(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return delivery.getAttribute('data-status');
    }).toBe('delivered');
    expect(await delivery.getByTestId('webhook-delivery-code').textContent()).toBe('HTTP 200');
    await delivery.getByText('2 attempts').click();
    await expect.poll(() => delivery.locator('ol li').allTextContents()).toEqual([expect.stringContaining('HTTP 200'), expect.stringContaining('HTTP 500')]);
    expect(await violations()).toEqual([]);

    await delivery.getByTestId('webhook-resend').click();
    const again = await r.waitFor(3);
    expect(again.json.id).toBe(retried.json.id);

    await page.getByTestId('webhook-delete').click();
    await section.getByText('No webhooks yet.').waitFor();
    expect((await h.api<{ webhooks: unknown[] }>('/api/v1/webhooks')).body.webhooks).toEqual([]);
  });
});
