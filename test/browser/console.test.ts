import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pgliteBackend } from '../helpers/databases.ts';
import { NUMBER, OTHER_NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD, signIn } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

/**
 * The agent console in Debian's chromium against the real server, the Twilio emulator and PGlite. With
 * SCREENSHOTS=1 (npm run screenshots) it also writes docs/screenshots/*.png.
 *
 * One server and one signed-in agent for the file (set up before any test, so each can run alone); each test
 * brings the rest: a fresh browser context (no draft, filter or page state from another test), its own customers,
 * texts and tickets, and it puts back any setting it changes. So any test runs alone (`-t "<name>"`) or in any
 * order, and asserts on its own data only.
 */
const SHOTS = process.env.SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : null;
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(4000, 9)]);

describe.skipIf(!CHROMIUM)('agent console in chromium', () => {
  let h: Harness;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let seq = 0;
  /** Ana's session (the console's cookie), signed in over HTTP as the form does. */
  let session: { name: string; value: string };

  beforeAll(async () => {
    h = await startHarness(pgliteBackend);
    // The second number sends texts only: the composer offers no attachments from it.
    h.emulator.setSender(OTHER_NUMBER, { mps: 500, mms: false });
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    const { cookie } = await signIn(h, 'ana@example.com');
    session = { name: cookie.slice(0, cookie.indexOf('=')), value: cookie.slice(cookie.indexOf('=') + 1) };
    await h.api('/api/v1/templates', { method: 'POST', body: { name: 'Ships today', body: 'Hi {{contact.name}}, your order ships today. {{agent.name}}' } });
    browser = await launchBrowser();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** A customer number no other test texts from. */
  const newCustomer = () => `+1415555${2000 + ++seq}`;
  const newPage = async (viewport = { width: 1280, height: 800 }) => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    return context.newPage();
  };
  /** A page in a fresh context, signed in as Ana. */
  const signedIn = async (viewport?: { width: number; height: number }): Promise<Page> => {
    const page = await newPage(viewport);
    await page.context().addCookies([{ ...session, url: h.smsdesk.url }]);
    return page;
  };
  /** A customer texts in; resolves with their newest ticket once the text is routed. */
  const textIn = async (from: string, to: string, body: string): Promise<number> => {
    expect((await h.text(from, to, body)).status).toBe(200);
    await h.idle();
    const { body: found } = await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(from)}`);
    return Math.max(...found.tickets.map((t) => t.id));
  };
  const shot = async (page: Page, name: string) => {
    if (!SHOTS) return;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };
  const openTicket = async (page: Page, ticketId: number) => {
    await page.goto(`${h.smsdesk.url}/#/tickets/${ticketId}`);
    await page.getByTestId('thread').waitFor();
  };
  const lastOutboundBadge = (page: Page) => page.getByTestId('message').and(page.locator('[data-direction="outbound"]')).last().getByTestId('delivery-badge');

  it('signs in', async () => {
    const email = `agent${++seq}@example.com`;
    await addUser(h, email, 'agent', 'Cy');
    const page = await newPage();
    await page.goto(`${h.smsdesk.url}/`);
    await page.getByTestId('signin-form').waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: /sign in/i }).click();
    await expect.poll(() => page.getByTestId('signin-error').textContent()).toMatch(/wrong email or password/i);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByTestId('inbox-list').waitFor();
  });

  it('shows a text as it arrives, without a reload', async () => {
    const page = await signedIn();
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('live-indicator').and(page.locator('[data-status="live"]')).waitFor();
    const texts: [string, string][] = [
      [OTHER_NUMBER, 'Can I change the delivery address on my order?'],
      [NUMBER, 'Thanks, the replacement arrived!'],
      [NUMBER, 'My order #1001 is late'],
    ];
    for (const [to, body] of texts) await h.text(newCustomer(), to, body);
    for (const [, body] of texts) await page.getByTestId('inbox-row').filter({ hasText: body }).waitFor({ timeout: 10_000 });
    await shot(page, 'inbox');
  });

  it('opens the thread and replies with a template until the badge reads delivered', async () => {
    const page = await signedIn();
    await textIn(newCustomer(), NUMBER, 'Is order 2002 on its way?');
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-row').filter({ hasText: 'Is order 2002 on its way?' }).click();
    await page.getByTestId('thread').waitFor();
    await expect.poll(() => page.getByTestId('message').first().textContent()).toContain('Is order 2002 on its way?');
    await page.getByTestId('template-picker').selectOption({ label: 'Ships today' });
    await expect.poll(() => page.getByTestId('composer-text').inputValue()).toMatch(/^Hi .+, your order ships today\. Ana$/);
    await expect.poll(() => page.getByTestId('composer-count').textContent()).toMatch(/GSM-7/);
    await shot(page, 'composer');
    await page.getByTestId('composer-send').click();
    await expect.poll(() => lastOutboundBadge(page).textContent(), { timeout: 15_000 }).toMatch(/delivered/i);
    await expect.poll(() => page.getByTestId('composer-text').inputValue()).toBe('');
    await shot(page, 'thread');
  });

  it('keeps a draft across a reload and counts UCS-2 characters as they are typed', async () => {
    const page = await signedIn();
    await openTicket(page, await textIn(newCustomer(), NUMBER, 'Any news?'));
    await page.getByTestId('composer-text').fill('Thanks — we’re on it');
    await page.reload();
    await page.getByTestId('thread').waitFor();
    await expect.poll(() => page.getByTestId('composer-text').inputValue()).toBe('Thanks — we’re on it');
    await expect.poll(() => page.getByTestId('composer-count').textContent()).toMatch(/UCS-2/);
    await expect.poll(() => page.getByTestId('composer-ucs2').textContent()).toMatch(/’/);
  });

  it('attaches an image from an MMS-capable number, and offers no attachment from one that is not', async () => {
    const page = await signedIn();
    const customer = newCustomer();
    await openTicket(page, await textIn(customer, NUMBER, 'I need a return label'));
    await page.getByTestId('from-select').selectOption(NUMBER);
    await page.getByTestId('attach-input').setInputFiles({ name: 'label.png', mimeType: 'image/png', buffer: png });
    await page.getByTestId('composer-text').fill('Here is your return label');
    await page.getByTestId('composer-send').click();
    const sent = await h.emulator.waitForMessage((m) => m.to === customer && m.body === 'Here is your return label', { timeoutMs: 15_000 });
    expect(sent.mediaUrls).toHaveLength(1);
    await page.getByTestId('from-select').selectOption(OTHER_NUMBER);
    await expect.poll(() => page.getByTestId('attach-input').count()).toBe(0);
    await page.getByTestId('no-mms').waitFor();
  });

  it('explains a failed send in plain words', async () => {
    const page = await signedIn();
    const customer = newCustomer();
    await openTicket(page, await textIn(customer, NUMBER, 'Send me the offer'));
    h.emulator.setDeliveryOutcome(customer, { status: 'undelivered', errorCode: 30007 });
    try {
      await page.getByTestId('from-select').selectOption(NUMBER);
      await page.getByTestId('composer-text').fill('Limited offer!!! Click now');
      await page.getByTestId('composer-send').click();
      await expect.poll(() => lastOutboundBadge(page).textContent(), { timeout: 15_000 }).toMatch(/undelivered/i);
      await expect.poll(() => page.getByTestId('delivery-problem').last().textContent()).toMatch(/30007|carrier|spam/i);
    } finally {
      h.emulator.setDeliveryOutcome(customer, null);
    }
  });

  it('disables sending to a customer who opted out, and says why', async () => {
    const page = await signedIn();
    await openTicket(page, await textIn(newCustomer(), NUMBER, 'STOP'));
    await page.getByTestId('optout-notice').waitFor();
    await expect.poll(() => page.getByTestId('optout-notice').textContent()).toMatch(/STOP/);
    await expect.poll(() => page.getByTestId('composer-send').isDisabled()).toBe(true);
  });

  it('lists every message in the SMS log with its status timeline', async () => {
    const page = await signedIn();
    const customer = newCustomer();
    const ticketId = await textIn(customer, NUMBER, 'Did my refund go through?');
    const reply = await h.api<{ message: { id: number } }>(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'Yes, it did.' } });
    const sent = await h.emulator.waitForMessage((m) => m.to === customer && m.status === 'delivered');
    // smsdesk has the whole timeline once it answered the last callback.
    await h.emulator.waitForStatusCallback((c) => c.messageSid === sent.sid && c.status === 'delivered' && c.responseStatus !== null);
    await page.goto(`${h.smsdesk.url}/#/log`);
    await page.getByTestId('sms-log').waitFor();
    const row = page.locator(`[data-testid="sms-log-row"][data-message-id="${reply.body.message.id}"]`);
    await row.waitFor();
    await expect.poll(() => page.getByTestId('sms-log-row').filter({ hasText: 'Did my refund go through?' }).count()).toBe(1);
    await row.getByTestId('sms-log-expand').click();
    await expect.poll(() => page.getByTestId('status-history').textContent()).toMatch(/delivered/i);
    await shot(page, 'sms-log');
  });

  it('changes the threading window, and the next text follows it', async () => {
    const page = await signedIn();
    const customer = newCustomer();
    await textIn(customer, NUMBER, 'First problem');
    try {
      await page.goto(`${h.smsdesk.url}/#/settings`);
      await page.getByTestId('settings-threading-window').fill('0');
      await page.getByTestId('settings-save-threading').click();
      await page.getByTestId('settings-threading-saved').waitFor();
      await h.text(customer, NUMBER, 'A brand new problem');
      await h.idle();
      await page.goto(`${h.smsdesk.url}/#/inbox`);
      await page.getByTestId('inbox-row').filter({ hasText: 'A brand new problem' }).waitFor({ timeout: 10_000 });
      const { body } = await h.api<{ tickets: unknown[] }>(`/api/v1/tickets?phone=${encodeURIComponent(customer)}`);
      expect(body.tickets).toHaveLength(2);
    } finally {
      await h.api('/api/v1/settings', { method: 'PATCH', body: { threading: { windowMinutes: 60 } } });
    }
  });

  it('works at 360 px wide', async () => {
    const page = await signedIn({ width: 360, height: 740 });
    await textIn(newCustomer(), NUMBER, 'Texting from my phone');
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-row').filter({ hasText: 'Texting from my phone' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'inbox-narrow');
  });

  it('groups conversations by the team of their Twilio number', async () => {
    const page = await signedIn();
    await textIn(newCustomer(), OTHER_NUMBER, 'A question for sales');
    await textIn(newCustomer(), NUMBER, 'A question for support');
    try {
      await page.goto(`${h.smsdesk.url}/#/settings`);
      const group = page.getByLabel(`Group for ${OTHER_NUMBER}`);
      await expect.poll(() => group.getAttribute('data-number')).toBe(OTHER_NUMBER);
      await group.fill('Sales');
      await page.getByTestId('settings-save-groups').click();
      await expect.poll(() => page.getByTestId('settings-groups-saved').textContent()).toBe('Saved');
      const { body } = await h.api<{ twilio: { numbers: { number: string; group: string | null }[] }; groups: string[] }>('/api/v1/settings');
      expect(body.groups).toEqual(['Sales']);
      expect(body.twilio.numbers.find((n) => n.number === OTHER_NUMBER)?.group).toBe('Sales');
      expect(body.twilio.numbers.find((n) => n.number === NUMBER)?.group ?? null).toBeNull();

      await page.goto(`${h.smsdesk.url}/#/inbox`);
      await page.getByTestId('inbox-group').selectOption('Sales');
      const rows = page.getByTestId('inbox-row');
      await expect.poll(() => rows.filter({ hasText: 'A question for sales' }).count()).toBe(1);
      await expect.poll(() => rows.evaluateAll((all) => [...new Set(all.map((r) => r.getAttribute('data-twilio-number')))])).toEqual([OTHER_NUMBER]);
      expect(await rows.filter({ hasText: 'A question for support' }).count()).toBe(0);
      await expect.poll(() => rows.first().getByTestId('inbox-row-group').textContent()).toMatch(/Sales$/);
    } finally {
      await h.api('/api/v1/settings', { method: 'PATCH', body: { numberGroups: { [OTHER_NUMBER]: '' } } });
    }
  });

  it('shows clear messages for bad input and never loses a draft', async () => {
    const page = await signedIn();
    await openTicket(page, await textIn(newCustomer(), NUMBER, 'Where is my parcel?'));

    const text = page.getByTestId('composer-text');
    await text.fill('x'.repeat(1601));
    await expect.poll(() => page.getByTestId('composer-too-long').textContent()).toMatch(/1,?601.*1,?600/);
    await expect.poll(() => page.getByTestId('composer-send').isDisabled()).toBe(true);
    await text.fill('');
    await expect.poll(() => page.getByTestId('composer-too-long').count()).toBe(0);

    // smsdesk refuses the send: the error is shown as it came, and the text stays, even across a reload.
    await page.route('**/api/v1/tickets/*/replies', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'database_unavailable', message: 'The database is unavailable; retry shortly.' } }),
      }),
    );
    await text.fill('Checking with the warehouse now');
    await page.getByTestId('composer-send').click();
    await expect.poll(() => page.getByTestId('send-error').textContent()).toContain('The database is unavailable; retry shortly.');
    expect(await text.inputValue()).toBe('Checking with the warehouse now');
    await page.reload();
    await page.getByTestId('thread').waitFor();
    await expect.poll(() => page.getByTestId('composer-text').inputValue()).toBe('Checking with the warehouse now');
    // The refusal came from the browser's route: nothing reached smsdesk, so nothing reached Twilio.
    expect(h.emulator.messages().some((m) => m.body === 'Checking with the warehouse now')).toBe(false);

    // A ticket-number pattern without a capture group is refused with a message that says what is missing.
    await page.goto(`${h.smsdesk.url}/#/settings`);
    await page.getByTestId('settings-threading-pattern').fill('ticket \\d+');
    await page.getByTestId('settings-save-threading').click();
    await expect.poll(() => page.getByTestId('settings-threading-error').textContent()).toMatch(/capture group/i);
    await expect.poll(() => page.getByTestId('settings-threading-saved').textContent()).toBe('');
  });

  it('shows a status change in the thread, with who made it', async () => {
    const page = await signedIn();
    await openTicket(page, await textIn(newCustomer(), NUMBER, 'All sorted, thanks'));
    await page.getByTestId('ticket-status').selectOption('resolved');
    await expect.poll(() => page.getByTestId('status-change').last().textContent(), { timeout: 10_000 }).toMatch(/Open → Resolved, by Ana/);
  });

  it('never shows a blank screen: a failed load says what went wrong and offers Retry', async () => {
    const page = await signedIn();
    await textIn(newCustomer(), NUMBER, 'Is anyone there?');
    const conversations = '**/api/v1/conversations*';
    await page.route(conversations, (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal_error', message: 'Something went wrong on our side; it has been logged.' } }) }));
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Something went wrong on our side');
    await page.unroute(conversations);
    await page.getByRole('button', { name: 'Retry' }).first().click();
    await page.getByTestId('inbox-row').filter({ hasText: 'Is anyone there?' }).waitFor();
  });
});
