import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, OTHER_CUSTOMER, OTHER_NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

/**
 * The agent console in Debian's chromium against the real server, the Twilio emulator and PGlite. With
 * SCREENSHOTS=1 (npm run screenshots) it also writes docs/screenshots/*.png.
 */
const SHOTS = process.env.SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : null;
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(4000, 9)]);

describe.skipIf(!CHROMIUM)('agent console in chromium', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness(pgliteBackend);
    // The second number sends texts only: the composer offers no attachments from it.
    h.emulator.setSender(OTHER_NUMBER, { mps: 500, mms: false });
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    await h.api('/api/v1/templates', { method: 'POST', body: { name: 'Ships today', body: 'Hi {{contact.name}}, your order ships today. {{agent.name}}' } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const shot = async (name: string) => {
    if (!SHOTS) return;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };
  const openThreadOf = async (text: string) => {
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-row').filter({ hasText: text }).first().click();
    await page.getByTestId('thread').waitFor();
  };
  const lastOutboundBadge = () => page.getByTestId('message').and(page.locator('[data-direction="outbound"]')).last().getByTestId('delivery-badge');

  it('signs in', async () => {
    await page.goto(`${h.smsdesk.url}/`);
    await page.getByTestId('signin-form').waitFor();
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: /sign in/i }).click();
    await expect.poll(() => page.getByTestId('signin-error').textContent()).toMatch(/wrong email or password/i);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByTestId('inbox-list').waitFor();
  });

  it('shows a text as it arrives, without a reload', async () => {
    await page.getByTestId('live-indicator').and(page.locator('[data-status="live"]')).waitFor();
    await h.text('+14155550133', OTHER_NUMBER, 'Can I change the delivery address on my order?');
    await h.text('+14155550144', NUMBER, 'Thanks, the replacement arrived!');
    await h.text(CUSTOMER, NUMBER, 'My order #1001 is late');
    await page.getByTestId('inbox-row').filter({ hasText: 'My order #1001 is late' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('inbox-row').count()).toBe(3);
    await shot('inbox');
  });

  it('opens the thread and replies with a template until the badge reads delivered', async () => {
    await openThreadOf('My order #1001 is late');
    await expect.poll(() => page.getByTestId('message').first().textContent()).toContain('My order #1001 is late');
    await page.getByTestId('template-picker').selectOption({ label: 'Ships today' });
    await expect.poll(() => page.getByTestId('composer-text').inputValue()).toMatch(/^Hi .+, your order ships today\. Ana$/);
    await expect.poll(() => page.getByTestId('composer-count').textContent()).toMatch(/GSM-7/);
    await shot('composer');
    await page.getByTestId('composer-send').click();
    await expect.poll(() => lastOutboundBadge().textContent(), { timeout: 15_000 }).toMatch(/delivered/i);
    await expect.poll(() => page.getByTestId('composer-text').inputValue()).toBe('');
    await shot('thread');
  });

  it('keeps a draft across a reload and counts UCS-2 characters as they are typed', async () => {
    await page.getByTestId('composer-text').fill('Thanks — we’re on it');
    await page.reload();
    await page.getByTestId('thread').waitFor();
    await expect.poll(() => page.getByTestId('composer-text').inputValue()).toBe('Thanks — we’re on it');
    await expect.poll(() => page.getByTestId('composer-count').textContent()).toMatch(/UCS-2/);
    await expect.poll(() => page.getByTestId('composer-ucs2').textContent()).toMatch(/’/);
    await page.getByTestId('composer-text').fill('');
  });

  it('attaches an image from an MMS-capable number, and offers no attachment from one that is not', async () => {
    await page.getByTestId('from-select').selectOption(NUMBER);
    await page.getByTestId('attach-input').setInputFiles({ name: 'label.png', mimeType: 'image/png', buffer: png });
    await page.getByTestId('composer-text').fill('Here is your return label');
    await page.getByTestId('composer-send').click();
    await expect.poll(() => h.emulator.messages().filter((m) => m.direction === 'outbound-api' && m.body === 'Here is your return label').map((m) => m.mediaUrls.length), { timeout: 15_000 })
      .toEqual([1]);
    await page.getByTestId('from-select').selectOption(OTHER_NUMBER);
    await expect.poll(() => page.getByTestId('attach-input').count()).toBe(0);
    await page.getByTestId('no-mms').waitFor();
  });

  it('explains a failed send in plain words', async () => {
    await page.getByTestId('from-select').selectOption(NUMBER);
    h.emulator.setDeliveryOutcome(CUSTOMER, { status: 'undelivered', errorCode: 30007 });
    await page.getByTestId('composer-text').fill('Limited offer!!! Click now');
    await page.getByTestId('composer-send').click();
    await expect.poll(() => lastOutboundBadge().textContent(), { timeout: 15_000 }).toMatch(/undelivered/i);
    await expect.poll(() => page.getByTestId('delivery-problem').last().textContent()).toMatch(/30007|carrier|spam/i);
    h.emulator.setDeliveryOutcome(CUSTOMER, null);
  });

  it('disables sending to a customer who opted out, and says why', async () => {
    await h.text(OTHER_CUSTOMER, NUMBER, 'STOP');
    await h.idle();
    await openThreadOf('STOP');
    await page.getByTestId('optout-notice').waitFor();
    await expect.poll(() => page.getByTestId('optout-notice').textContent()).toMatch(/STOP/);
    await expect.poll(() => page.getByTestId('composer-send').isDisabled()).toBe(true);
  });

  it('lists every message in the SMS log with its status timeline', async () => {
    await page.goto(`${h.smsdesk.url}/#/log`);
    await page.getByTestId('sms-log').waitFor();
    await expect.poll(() => page.getByTestId('sms-log-row').count()).toBeGreaterThanOrEqual(5);
    await page.getByTestId('sms-log-expand').first().click();
    await page.getByTestId('status-history').first().waitFor();
    await shot('sms-log');
  });

  it('changes the threading window, and the next text follows it', async () => {
    await page.goto(`${h.smsdesk.url}/#/settings`);
    await page.getByTestId('settings-threading-window').fill('0');
    await page.getByTestId('settings-save-threading').click();
    await page.getByTestId('settings-threading-saved').waitFor();
    await h.text(CUSTOMER, NUMBER, 'A brand new problem');
    await h.idle();
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-row').filter({ hasText: 'A brand new problem' }).waitFor({ timeout: 10_000 });
    const { body } = await h.api<{ tickets: unknown[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`);
    expect(body.tickets).toHaveLength(2);
  });

  it('works at 360 px wide', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-list').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('inbox-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('groups conversations by the team of their Twilio number', async () => {
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
    await expect.poll(() => rows.evaluateAll((all) => all.map((r) => r.getAttribute('data-twilio-number')))).toEqual([OTHER_NUMBER]);
    await expect.poll(() => rows.filter({ hasText: 'Can I change the delivery address on my order?' }).count()).toBe(1);
    expect(await rows.filter({ hasText: 'My order #1001 is late' }).count()).toBe(0);
    await expect.poll(() => rows.first().getByTestId('inbox-row-group').textContent()).toMatch(/Sales$/);
  });

  it('shows clear messages for bad input and never loses a draft', async () => {
    // The group filter is remembered while the page is open: back to all groups.
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-group').selectOption('');
    await page.getByTestId('inbox-row').filter({ hasText: 'My order #1001 is late' }).waitFor({ timeout: 10_000 });
    await openThreadOf('My order #1001 is late');

    const text = page.getByTestId('composer-text');
    await text.fill('x'.repeat(1601));
    await expect.poll(() => page.getByTestId('composer-too-long').textContent()).toMatch(/1,?601.*1,?600/);
    await expect.poll(() => page.getByTestId('composer-send').isDisabled()).toBe(true);
    await text.fill('');
    await expect.poll(() => page.getByTestId('composer-too-long').count()).toBe(0);

    // smsdesk refuses the send: the error is shown as it came, and the text stays, even across a reload.
    const replies = '**/api/v1/tickets/*/replies';
    await page.route(replies, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'database_unavailable', message: 'The database is unavailable; retry shortly.' } }),
      }),
    );
    try {
      await text.fill('Checking with the warehouse now');
      await page.getByTestId('composer-send').click();
      await expect.poll(() => page.getByTestId('send-error').textContent()).toContain('The database is unavailable; retry shortly.');
      expect(await text.inputValue()).toBe('Checking with the warehouse now');
      await page.reload();
      await page.getByTestId('thread').waitFor();
      await expect.poll(() => page.getByTestId('composer-text').inputValue()).toBe('Checking with the warehouse now');
    } finally {
      await page.unroute(replies);
    }
    await page.getByTestId('composer-text').fill('');
    expect(h.emulator.messages().some((m) => m.body === 'Checking with the warehouse now')).toBe(false);

    // A ticket-number pattern without a capture group is refused with a message that says what is missing.
    await page.goto(`${h.smsdesk.url}/#/settings`);
    await page.getByTestId('settings-threading-pattern').fill('ticket \\d+');
    await page.getByTestId('settings-save-threading').click();
    await expect.poll(() => page.getByTestId('settings-threading-error').textContent()).toMatch(/capture group/i);
    await expect.poll(() => page.getByTestId('settings-threading-saved').textContent()).toBe('');
  });

  it("shows a status change in the thread, with who made it", async () => {
    const { body } = await h.api<{ tickets: { id: number; status: string }[] }>(`/api/v1/tickets?phone=${encodeURIComponent('+14155550144')}`);
    const ticketId = body.tickets[0]!.id;
    await page.goto(`${h.smsdesk.url}/#/tickets/${ticketId}`);
    await page.getByTestId('thread').waitFor();
    await page.getByTestId('ticket-status').selectOption('resolved');
    await expect.poll(() => page.getByTestId('status-change').last().textContent(), { timeout: 10_000 }).toMatch(/Open → Resolved, by Ana/);
  });

  it('never shows a blank screen: a failed load says what went wrong and offers Retry', async () => {
    const conversations = '**/api/v1/conversations*';
    await page.route(conversations, (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal_error', message: 'Something went wrong on our side; it has been logged.' } }) }));
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Something went wrong on our side');
    await page.unroute(conversations);
    await page.getByRole('button', { name: 'Retry' }).first().click();
    await page.getByTestId('inbox-row').first().waitFor();
  });
});
