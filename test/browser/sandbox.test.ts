import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { pgliteBackend } from '../helpers/databases.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

/** Without Twilio credentials: a newcomer texts smsdesk from the console's customer phone and sees it work. */
describe.skipIf(!CHROMIUM)('console sandbox', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness(pgliteBackend, { sandbox: true });
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    browser = await launchBrowser();
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('texts smsdesk as a customer, shows the ticket in the inbox, and the reply on the customer phone', async () => {
    await page.goto(`${h.smsdesk.url}/`);
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByTestId('inbox-list').waitFor();
    await page.getByRole('link', { name: 'Sandbox' }).click();
    await page.getByTestId('sandbox-phone').fill('+14155550177');
    await page.getByTestId('sandbox-to').fill('+14155550199');
    await page.getByTestId('sandbox-body').fill('Hello from the sandbox phone');
    await page.getByTestId('sandbox-send').click();
    await expect.poll(() => page.getByTestId('handset-message').filter({ hasText: 'Hello from the sandbox phone' }).count(), { timeout: 10_000 }).toBe(1);

    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByTestId('inbox-row').filter({ hasText: 'Hello from the sandbox phone' }).click();
    await page.getByTestId('composer-text').fill('Hi! This is the agent.');
    await page.getByTestId('composer-send').click();
    await expect.poll(() => page.getByTestId('delivery-badge').last().textContent(), { timeout: 15_000 }).toMatch(/delivered/i);

    await page.getByRole('link', { name: 'Sandbox' }).click();
    await page.getByTestId('sandbox-phone').fill('+14155550177');
    await expect.poll(() => page.getByTestId('handset-message').filter({ hasText: 'Hi! This is the agent.' }).count(), { timeout: 10_000 }).toBe(1);
  });
});
