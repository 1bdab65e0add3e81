import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { stopAll } from '../../bench/lib/children.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';
import { startServe, waitForMessage, type ServeChild } from '../helpers/cli.ts';
import { PASSWORD } from '../helpers/console.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** A newcomer's first visit: `npm start` on an empty DATA_DIR, the setup code from its log, the first admin made in the browser. */
describe.skipIf(!CHROMIUM)('first admin in the console', () => {
  let browser: Browser;
  let server: ServeChild;
  let dataDir: string;

  beforeAll(async () => {
    browser = await launchBrowser(); // builds the console first, so that `serve` has nothing to build
    dataDir = mkdtempSync(join(tmpdir(), 'smsdesk-first-admin-'));
    server = await startServe('smsdesk', dataDir);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll(10_000);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('offers "create the first admin" on a fresh server and lands signed in with the code from the log', async () => {
    const [, code] = await waitForMessage(server.child, server.messages, /enter the setup code (\S+) to create the first admin/);
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.getByTestId('setup-form').waitFor();
    expect(await page.getByTestId('signin-form').count()).toBe(0);
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: { id: string }[] }> } }).axe;
      return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => v.id);
    });
    expect(violations).toEqual([]);

    await page.getByLabel('Setup code').fill('0000-0000');
    await page.getByLabel('Name').fill('Ana');
    await page.getByLabel('Email').fill('ana@example.com');
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create admin' }).click();
    await expect.poll(() => page.getByTestId('setup-error').textContent()).toMatch(/not the setup code/i);

    await page.getByLabel('Setup code').fill(code!);
    await page.getByRole('button', { name: 'Create admin' }).click();
    await page.getByTestId('inbox-list').waitFor();
    expect(await page.getByText('Ana').count()).toBeGreaterThan(0);

    // Signed in for real: a reload keeps the session; another browser now gets the sign-in screen.
    await page.reload();
    await page.getByTestId('inbox-list').waitFor();
    const other = await browser.newPage();
    await other.goto(`${server.url}/`);
    await other.getByTestId('signin-form').waitFor();
    expect(await other.getByTestId('setup-form').count()).toBe(0);
    await context.close();
  }, 120_000);
});
