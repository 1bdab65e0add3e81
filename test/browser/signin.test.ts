import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { pgliteBackend } from '../helpers/databases.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

/** The sign-in page's lock-out: it concerns the email that was tried, not the next person at this browser. */
describe.skipIf(!CHROMIUM)('sign-in lock-out in chromium', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    await addUser(h, 'bo@example.com', 'agent', 'Bo');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("names the locked email and lets another user of the browser sign in", async () => {
    // Ten failures for Ana from this machine (the browser's address too).
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${h.smsdesk.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ana@example.com', password: `wrong ${i}` }) });
      expect(res.status).toBe(401);
    }
    await page.goto(`${h.smsdesk.url}/`);
    await page.getByTestId('signin-form').waitFor();
    const signInButton = page.getByRole('button', { name: /sign in/i });
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel('Password').fill('one more guess');
    await signInButton.click();
    await expect.poll(() => page.getByTestId('signin-error').textContent())
      .toMatch(/^Too many failed sign-ins for ana@example\.com; try again in \d+ min, or ask an admin\.$/);
    expect(await signInButton.isDisabled()).toBe(true);

    // Bo, at the same browser, is not told about Ana's lock-out, and signs in.
    await page.getByLabel('Email').fill('bo@example.com');
    await expect.poll(() => page.getByTestId('signin-error').count()).toBe(0);
    expect(await signInButton.isDisabled()).toBe(false);
    await page.getByLabel('Password').fill(PASSWORD);
    await signInButton.click();
    await page.getByTestId('inbox-list').waitFor();
  }, 180_000);
});
