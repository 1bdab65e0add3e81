import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_SURVEY_QUESTION } from '../../src/domain/automations.ts';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, OTHER_CUSTOMER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD, signIn } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/**
 * Every screen checked with axe-core (WCAG 2 A/AA rules: labels, contrast, landmarks, names, ARIA), at desktop
 * width and at 360 px, and the main path done with the keyboard alone. Each test has a fresh browser context and
 * signs in itself, so either runs alone.
 */
describe.skipIf(!CHROMIUM)('console accessibility', () => {
  let h: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let ticketId: number;
  let automationId: number;
  let ratedTicketId: number;

  beforeAll(async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    await h.text(CUSTOMER, NUMBER, 'Where is my parcel?');
    await h.idle();
    ticketId = (await h.api<{ tickets: { id: number }[] }>('/api/v1/tickets')).body.tickets[0]!.id;
    // A text waiting for tomorrow: the thread and the Scheduled screen show it with Edit and Cancel.
    await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'Your parcel comes tomorrow.', sendAt: new Date(Date.now() + 86_400_000).toISOString() } });
    // An automation with every kind of part (conditions, a text, a note, an ask with answers and a no-answer action),
    // and its runs: one that acted (its ask fails or waits, whichever this smsdesk does), one that did not.
    const automation = await h.api<{ id: number }>('/api/v1/automations', {
      method: 'POST',
      body: {
        name: 'Pending follow-up', when: 'ticket.status_changed', if: { status: 'pending', previousStatus: 'open', twilioNumber: NUMBER },
        then: [
          { note: { bodyHtml: '<p>Waiting on {{contact.name}}</p>', private: true } },
          { sendSms: { body: 'We are waiting for you on ticket #{{ticket.id}}.' } },
          { ask: { question: 'Still need help? Reply YES or NO.', answers: { YES: [{ setStatus: { status: 'open' } }], NO: [{ setStatus: { status: 'resolved' } }] }, timeoutMinutes: 60, onTimeout: [{ note: { bodyHtml: '<p>No answer</p>' } }] } },
        ],
      },
    });
    automationId = automation.body.id;
    await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'pending' } });
    await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'open' } });
    await h.idle();
    // A CSAT rating (another customer's ticket, resolved, its survey answered): the report's chart and tables.
    await h.api('/api/v1/automations', { method: 'POST', body: { name: 'CSAT', when: 'ticket.status_changed', if: { status: 'resolved' }, then: [{ survey: {} }] } });
    await h.text(OTHER_CUSTOMER, NUMBER, 'Wrong size');
    await h.idle();
    ratedTicketId = (await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(OTHER_CUSTOMER)}`)).body.tickets[0]!.id;
    await h.api(`/api/v1/tickets/${ratedTicketId}`, { method: 'PATCH', body: { status: 'resolved' } });
    await h.emulator.waitForMessage((m) => m.to === OTHER_CUSTOMER && m.body === DEFAULT_SURVEY_QUESTION, { what: 'the CSAT survey' });
    await h.text(OTHER_CUSTOMER, NUMBER, '5 thanks');
    await h.idle();
    browser = await launchBrowser();
  }, 120_000);

  beforeEach(async () => {
    // The page's Content-Security-Policy forbids injected scripts: axe is injected past it, in this context only.
    context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });

  afterEach(async () => {
    await context?.close();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const violations = async (): Promise<string[]> => {
    await page.addScriptTag({ path: AXE });
    const found = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
      const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return result.violations;
    });
    return found.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  };

  it('has no WCAG A/AA violations on sign-in, inbox, thread, SMS log, scheduled, the CSAT report, settings and automations, wide and at 360 px', async () => {
    await page.goto(`${h.smsdesk.url}/`);
    await page.getByTestId('signin-form').waitFor();
    expect(await violations()).toEqual([]);
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByTestId('inbox-list').waitFor();
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 800 });
      for (const [route, ready] of [
        ['#/inbox', 'inbox-row'], [`#/tickets/${ticketId}`, 'composer-text'], ['#/log', 'sms-log-row'], ['#/scheduled', 'scheduled-row'], ['#/settings', 'usage-segments'],
        ['#/reports/csat', 'csat-bar'], [`#/tickets/${ratedTicketId}`, 'ticket-csat'],
        ['#/settings/automations', 'automation-row'], [`#/settings/automations/${automationId}`, 'action-ask-answer'], [`#/settings/automations/${automationId}/runs`, 'run-action'],
      ]) {
        await page.goto(`${h.smsdesk.url}/${route}`);
        await page.getByTestId(ready!).first().waitFor();
        expect(await violations(), `${route} at ${width} px`).toEqual([]);
      }
      // The composer's "Send later" fields, and a scheduled text's edit form.
      await page.goto(`${h.smsdesk.url}/#/tickets/${ticketId}`);
      await page.getByTestId('send-later').check();
      await page.getByTestId('send-later-customer').filter({ hasText: 'for the customer' }).waitFor();
      await page.getByTestId('scheduled-edit').click();
      await page.getByTestId('scheduled-edit-form').waitFor();
      expect(await violations(), `send later and edit at ${width} px`).toEqual([]);
      // The automation editor with its previews filled in for the ticket, and smsdesk's refusal shown.
      await page.goto(`${h.smsdesk.url}/#/settings/automations/${automationId}`);
      await page.getByTestId('automation-preview-ticket').fill(String(ticketId));
      await page.locator('[data-testid="action-preview"][data-state="ok"]').first().waitFor();
      await page.getByTestId('action-sms-body').first().fill('Hi {{contact.nmae}}');
      await page.getByTestId('automation-save').click();
      await page.getByTestId('automation-form-error').waitFor();
      await page.locator('[data-testid="action-preview"][data-state="error"]').first().waitFor();
      expect(await violations(), `automation editor with previews and an error at ${width} px`).toEqual([]);
      await page.reload();
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    // Twenty-six axe runs: more than the default 30 s on a busy machine.
  }, 240_000);

  it('opens a conversation and sends a reply with the keyboard alone', async () => {
    const { cookie } = await signIn(h, 'ana@example.com');
    await context.addCookies([{ name: cookie.slice(0, cookie.indexOf('=')), value: cookie.slice(cookie.indexOf('=') + 1), url: h.smsdesk.url }]);
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-row').first().waitFor();
    // Tab until the first conversation has focus, then Enter.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => Boolean(document.activeElement?.closest('[data-testid="inbox-row"]')))) break;
    }
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('[data-testid="inbox-row"]')))).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('thread').waitFor();
    for (let i = 0; i < 40; i++) {
      if (await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'composer-text')) break;
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('composer-text');
    await page.keyboard.type('Sent from the keyboard');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => h.emulator.messages().filter((m) => m.body === 'Sent from the keyboard').length, { timeout: 10_000 }).toBe(1);
  });
});
