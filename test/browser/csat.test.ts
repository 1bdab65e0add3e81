import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_SURVEY_QUESTION } from '../../src/domain/automations.ts';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, signIn, type Browser as Session } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

const SHOTS = process.env.SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : null;
// A group name that would be markup if anything put it into the page as HTML.
const GROUP = 'Support <EU> & co';

/**
 * Reports → CSAT in Debian's chromium against the real server, the Twilio emulator and PGlite: an automation
 * texts a survey when a ticket is resolved, the customer answers "4 great", and the report (open meanwhile,
 * following live) shows that one rating in its chart and its tables; the thread shows it too.
 */
describe.skipIf(!CHROMIUM)('the CSAT report in the console', () => {
  let h: Harness;
  let browser: Browser;
  let ana: Session;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    ana = await signIn(h, 'ana@example.com');
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

  /** A page in a fresh context, signed in as Ana; a step that cannot happen fails within 10 s, saying which. */
  const signedIn = async (viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    const cookie = ana.cookie;
    await context.addCookies([{ name: cookie.slice(0, cookie.indexOf('=')), value: cookie.slice(cookie.indexOf('=') + 1), url: h.smsdesk.url }]);
    return context.newPage();
  };
  /** With SCREENSHOTS=1 (npm run screenshots): docs/screenshots/<name>.png. */
  const shot = async (page: Page, name: string, fullPage = true) => {
    if (!SHOTS) return;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  };
  /** A table's rows as [name, ratings, average]. */
  const rowsOf = (page: Page, testId: string) =>
    page.getByTestId(testId).getByTestId('csat-row').evaluateAll((rows) =>
      rows.map((row) => ['csat-row-name', 'csat-row-ratings', 'csat-row-average'].map((id) => row.querySelector(`[data-testid="${id}"]`)?.textContent ?? null)),
    );

  it('shows a customer\'s "4 great" to a survey in the chart, the tables and the thread', async () => {
    // The number's group (the by-group table), an automation that texts the survey when a ticket is resolved.
    expect((await h.api('/api/v1/settings', { method: 'PATCH', body: { numberGroups: { [NUMBER]: GROUP } } })).status).toBe(200);
    const automation = await h.api<{ id: number }>('/api/v1/automations', {
      method: 'POST', body: { name: 'CSAT', when: 'ticket.status_changed', if: { status: 'resolved' }, then: [{ survey: {} }] },
    });
    expect(automation.status).toBe(201);

    // A customer texts in; Ana answers (the rating counts for the agent who last replied).
    expect((await h.text(CUSTOMER, NUMBER, 'My parcel never came')).status).toBe(200);
    await h.idle();
    const ticketId = Math.max(...(await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`)).body.tickets.map((t) => t.id));
    expect(Number.isInteger(ticketId)).toBe(true);
    expect((await ana.call(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'Sorry! A new one is on its way.' } })).status).toBe(202);
    await h.idle();

    // Before any rating: the report says how to get some.
    const page = await signedIn();
    await page.goto(`${h.smsdesk.url}/#/inbox`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
    const empty = page.getByTestId('csat-empty');
    await empty.waitFor();
    expect(await page.evaluate(() => window.location.hash)).toBe('#/reports/csat');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('CSAT report');
    expect(await empty.textContent()).toContain('add a survey action to an automation in Settings → Automations');
    expect(await empty.getByRole('link', { name: 'Settings → Automations' }).getAttribute('href')).toBe('#/settings/automations');
    expect(await page.getByTestId('csat-period').inputValue()).toBe('90');
    // Live, so the rating appears without a reload.
    await page.getByTestId('live-indicator').and(page.locator('[data-status="live"]')).waitFor();

    // Resolved through the API: the survey goes out; the customer answers.
    expect((await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'resolved' } })).status).toBe(200);
    const survey = await h.emulator.waitForMessage((m) => m.to === CUSTOMER && m.body === DEFAULT_SURVEY_QUESTION, { what: 'the CSAT survey at Twilio' });
    expect(survey.from).toBe(NUMBER);
    expect((await h.text(CUSTOMER, NUMBER, '4 great')).status).toBe(200);

    // The report follows: one rating, averaging 4, in the chart…
    const bar = page.getByTestId('csat-chart').getByTestId('csat-bar');
    await bar.waitFor();
    expect(await bar.count()).toBe(1);
    expect(await bar.getAttribute('data-ratings')).toBe('1');
    expect(await bar.getAttribute('data-average')).toBe('4.0');
    expect(await bar.getByTestId('csat-bar-value').textContent()).toBe('4.0');
    const week = await bar.getAttribute('data-week');
    expect(week).toMatch(/^\d{4}-W\d{2}$/);
    // …which is one image named by its <title>, described by its <desc> (the figures, and where the table is).
    const chart = page.getByRole('img', { name: 'Average CSAT rating per week' });
    await chart.waitFor();
    expect(await chart.evaluate((svg) => svg.tagName.toLowerCase())).toBe('svg');
    const desc = await chart.evaluate((svg) => document.getElementById(svg.getAttribute('aria-labelledby')!.split(' ')[1]!)?.textContent);
    expect(desc).toContain(`1 rating in 1 week: ${week} 4.0 from 1 rating.`);
    expect(desc).toContain('The table “Ratings by week” below has the same figures.');
    expect(await page.getByTestId('csat-empty').count()).toBe(0);
    expect(await page.getByTestId('csat-total').textContent()).toBe('1');
    expect(await page.getByTestId('csat-average').textContent()).toBe('4.0');

    // …and in the tables: by week (the chart's figures), by agent, by Twilio number and by group, the group's
    // name shown as the text it is.
    const byWeek = await rowsOf(page, 'csat-by-week');
    expect(byWeek).toHaveLength(1);
    expect(byWeek[0]![0]).toMatch(new RegExp(`^${week} \\(from .+\\)$`));
    expect(byWeek[0]!.slice(1)).toEqual(['1', '4.0']);
    expect(await rowsOf(page, 'csat-by-agent')).toEqual([['Ana', '1', '4.0']]);
    expect(await rowsOf(page, 'csat-by-number')).toEqual([[NUMBER, '1', '4.0']]);
    expect(await rowsOf(page, 'csat-by-group')).toEqual([[GROUP, '1', '4.0']]);
    expect(await page.getByTestId('csat-by-group').locator('eu').count()).toBe(0);
    expect(await page.getByRole('table', { name: /^Ratings by the agent who last replied/ }).count()).toBe(1);

    // Another period asks smsdesk again; the rating is in it too.
    const asked = page.waitForResponse((r) => r.url().endsWith('/api/v1/reports/csat?days=30'));
    await page.getByLabel('Period', { exact: true }).selectOption({ label: 'Last 30 days' });
    expect((await asked).status()).toBe(200);
    await expect.poll(() => page.getByTestId('csat-total').textContent(), { timeout: 10_000 }).toBe('1');
    expect(await rowsOf(page, 'csat-by-agent')).toEqual([['Ana', '1', '4.0']]);
    await shot(page, 'csat-report');

    // The thread shows the ticket's rating, as the API has it.
    const ticket = (await h.api<{ csat: { rating: number; comment: string } | null }>(`/api/v1/tickets/${ticketId}`)).body;
    expect(ticket.csat).toMatchObject({ rating: 4, comment: 'great' });
    await page.goto(`${h.smsdesk.url}/#/tickets/${ticketId}`);
    expect(await page.getByTestId('ticket-csat-text').textContent()).toBe('Rated 4/5 — great');

    // At 360 px the report fits the screen (the chart drawn at the width it has).
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${h.smsdesk.url}/#/reports/csat`);
    await page.getByTestId('csat-bar').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    const svgWidth = await page.getByTestId('csat-chart').locator('svg').evaluate((svg) => svg.getBoundingClientRect().width);
    expect(svgWidth).toBeLessThanOrEqual(360);
  });
});
