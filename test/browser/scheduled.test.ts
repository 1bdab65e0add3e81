import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DateTime } from 'luxon';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, OTHER_NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, PASSWORD, signIn } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

interface ApiMessage { id: number; body: string; status: string; sendAt: string | null; heldBy: string | null; createdBy: number | null; ticketId: number }
interface Schedule { quietHours: string | null; businessHours: string | null; holidays: string[]; nextOpening: string | null; monthlyLimit: number | null }
interface Usage { segments: number; warning: number | null; byNumber: { number: string; segments: number }[] }

/** The agent works in New York; the customer's number is in London. */
const AGENT_ZONE = 'America/New_York';
const LONDON = '+447700900123';
const LOCAL_INPUT = "yyyy-LL-dd'T'HH:mm";

/**
 * "Send later" in the console, in Debian's chromium against the real server, the Twilio emulator and PGlite:
 * the composer, the thread, the Scheduled screen, and Settings → Hours and usage.
 */
describe.skipIf(!CHROMIUM)('scheduled messages in the console', () => {
  let h: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    await addUser(h, 'ben@example.com', 'agent', 'Ben');
    browser = await launchBrowser();
    // en-GB writes times as 15:00; the agent's browser is in New York whatever this machine's zone.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: AGENT_ZONE, locale: 'en-GB' });
    // A step that cannot happen fails within the test's time, saying which.
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
  });

  /** A ticket from this customer (their first text). */
  const ticketOf = async (phone: string, text: string) => {
    await h.text(phone, NUMBER, text);
    await h.idle();
    const { body } = await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(phone)}`);
    return body.tickets[0]!.id;
  };
  const scheduled = async () => (await h.api<{ messages: ApiMessage[] }>('/api/v1/messages?status=scheduled')).body.messages;
  const message = async (id: number) => (await h.api<ApiMessage>(`/api/v1/messages/${id}`)).body;
  const openThread = async (ticketId: number) => {
    await page.goto(`${h.smsdesk.url}/#/tickets/${ticketId}`);
    await page.getByTestId('composer-text').waitFor();
  };
  /** Tomorrow at this hour on the agent's clock. */
  const tomorrowAt = (hour: number) => DateTime.now().setZone(AGENT_ZONE).plus({ days: 1 }).set({ hour, minute: 0, second: 0, millisecond: 0 });
  const schedule = (body: Record<string, unknown>) => h.api<Schedule>('/api/v1/settings/schedule', { method: 'PATCH', body });

  it("schedules a reply from the composer with the customer's local time beside it, and shows it in the thread", async () => {
    const ticketId = await ticketOf(LONDON, 'Can you call me tomorrow?');
    await openThread(ticketId);
    await page.getByTestId('composer-text').fill('We will call you at 3 pm your time.');
    await page.getByTestId('send-later').check();
    await expect.poll(() => page.getByTestId('composer-send').textContent()).toBe('Schedule');
    const at = tomorrowAt(10);
    await page.getByTestId('send-later-at').fill(at.toFormat(LOCAL_INPUT));
    const london = at.setZone('Europe/London').toFormat('HH:mm');
    await expect.poll(() => page.getByTestId('send-later-customer').textContent()).toBe(`${london} for the customer, Europe/London`);
    await page.getByTestId('composer-send').click();
    await expect.poll(() => page.getByTestId('sent-notice').textContent()).toMatch(/^Scheduled for .*10:00 \(your time\)/);

    const [m] = (await scheduled()).filter((x) => x.ticketId === ticketId);
    expect(m).toMatchObject({ body: 'We will call you at 3 pm your time.', status: 'scheduled' });
    expect(new Date(m!.sendAt!).toISOString()).toBe(at.toUTC().toISO());
    // The draft is gone once smsdesk took the text, and the composer is back to "Send now".
    expect(await page.getByTestId('composer-text').inputValue()).toBe('');
    expect(await page.evaluate((id) => localStorage.getItem(`smsdesk.draft.${id}`), ticketId)).toBeNull();
    expect(await page.getByTestId('send-now').isChecked()).toBe(true);

    const item = page.locator(`[data-testid="message"][data-message-id="${m!.id}"]`);
    await expect.poll(() => item.getByTestId('delivery-badge').textContent()).toBe('scheduled');
    await expect.poll(() => item.getByTestId('scheduled-time').textContent()).toContain(`${london} for the customer, Europe/London`);
    await item.getByTestId('scheduled-time').getByText(/10:00/).waitFor();
    expect(h.emulator.messages().some((x) => x.body === 'We will call you at 3 pm your time.')).toBe(false);

    // Edited in the thread: a new text (and the time kept); then canceled, and shown as canceled.
    await item.getByTestId('scheduled-edit').click();
    await item.getByTestId('scheduled-edit-body').fill('We will call you at 3 pm (London time).');
    await item.getByTestId('scheduled-edit-save').click();
    await expect.poll(async () => (await message(m!.id)).body).toBe('We will call you at 3 pm (London time).');
    expect((await message(m!.id)).sendAt).toBe(m!.sendAt);
    await expect.poll(() => item.locator('.msg-body').textContent()).toBe('We will call you at 3 pm (London time).');
    await item.getByTestId('scheduled-cancel').click();
    await item.getByTestId('scheduled-cancel-confirm').click();
    await expect.poll(() => item.getByTestId('delivery-badge').textContent()).toBe('canceled');
    await item.getByTestId('scheduled-canceled').waitFor();
    expect((await message(m!.id)).status).toBe('canceled');
  });

  it('shows why a text is held: quiet hours in the customer’s time zone', async () => {
    const ticketId = await ticketOf('+447700900124', 'Text me later please');
    // Quiet hours around London's present time, so a text due now is held until they end.
    const now = DateTime.now().setZone('Europe/London');
    await schedule({ quietHours: `${now.minus({ hours: 1 }).toFormat('HH:mm')}-${now.plus({ hours: 2 }).toFormat('HH:mm')}` });
    try {
      const res = await h.api<{ message: ApiMessage }>(`/api/v1/tickets/${ticketId}/replies`, {
        method: 'POST', body: { body: 'Held until morning', sendAt: new Date(Date.now() + 1500).toISOString() },
      });
      const id = res.body.message.id;
      await expect.poll(async () => (await message(id)).heldBy, { timeout: 20_000 }).toMatch(/quiet hours/);
      await openThread(ticketId);
      const item = page.locator(`[data-testid="message"][data-message-id="${id}"]`);
      await expect.poll(() => item.getByTestId('scheduled-held').textContent()).toMatch(/^Held by quiet hours .* in Europe\/London/);
      await expect.poll(() => item.getByTestId('delivery-badge').textContent()).toBe('scheduled');
      await h.api(`/api/v1/messages/${id}/cancel`, { method: 'POST' });
    } finally {
      await schedule({ quietHours: null });
    }
  });

  it('lists every pending text on the Scheduled screen, filters by agent, edits time and text, and cancels', async () => {
    const ticketId = await ticketOf(CUSTOMER, 'When does my order arrive?');
    // Ana (an admin) and Ben (an agent) each schedule one from their session.
    const ana = await signIn(h, 'ana@example.com');
    const anas = (await ana.call<{ message: ApiMessage }>(`/api/v1/tickets/${ticketId}/replies`, {
      method: 'POST', body: { body: 'Your order arrives tomorrow.', sendAt: tomorrowAt(9).toUTC().toISO() },
    })).body.message;
    const ben = await signIn(h, 'ben@example.com');
    const bens = (await ben.call<{ message: ApiMessage }>(`/api/v1/tickets/${ticketId}/replies`, {
      method: 'POST', body: { body: 'Ben here: any questions?', sendAt: tomorrowAt(11).toUTC().toISO() },
    })).body.message;
    expect(bens.createdBy).not.toBeNull();

    await page.goto(`${h.smsdesk.url}/#/scheduled`);
    const rows = page.getByTestId('scheduled-row');
    const bodies = () => rows.getByTestId('scheduled-body').allTextContents();
    // Soonest first; a scheduled text that appears meanwhile shows up without a reload.
    await expect.poll(bodies).toEqual(['Your order arrives tomorrow.', 'Ben here: any questions?']);
    const late = (await h.api<{ message: ApiMessage }>(`/api/v1/tickets/${ticketId}/replies`, {
      method: 'POST', body: { body: 'A late one', from: OTHER_NUMBER, sendAt: tomorrowAt(20).toUTC().toISO() },
    })).body.message;
    await expect.poll(bodies, { timeout: 10_000 }).toEqual(['Your order arrives tomorrow.', 'Ben here: any questions?', 'A late one']);
    await page.getByTestId('scheduled-number').selectOption(OTHER_NUMBER);
    await expect.poll(bodies).toEqual(['A late one']);
    await page.getByTestId('scheduled-number').selectOption(NUMBER);
    await expect.poll(bodies).toEqual(['Your order arrives tomorrow.', 'Ben here: any questions?']);
    await page.getByTestId('scheduled-number').selectOption('');
    // Canceled elsewhere: it leaves the list without a reload.
    await h.api(`/api/v1/messages/${late.id}/cancel`, { method: 'POST' });
    await expect.poll(bodies, { timeout: 10_000 }).toEqual(['Your order arrives tomorrow.', 'Ben here: any questions?']);

    const row = rows.filter({ hasText: 'Your order arrives tomorrow.' });
    expect(await row.getByTestId('scheduled-ticket').getAttribute('href')).toBe(`#/tickets/${ticketId}`);
    await expect.poll(() => row.getByTestId('scheduled-time').textContent()).toMatch(/09:00.*your time.*for the customer, America\/Los_Angeles/);

    // Admins filter by any user; Ben's own are his.
    await page.getByTestId('scheduled-agent').selectOption({ label: 'Ben' });
    await expect.poll(bodies).toEqual(['Ben here: any questions?']);
    await page.getByTestId('scheduled-agent').selectOption({ label: 'Ana (you)' });
    await expect.poll(bodies).toEqual(['Your order arrives tomorrow.']);
    await page.getByTestId('scheduled-agent').selectOption('');

    // An agent offers "Mine / Everyone".
    const benPage = await context.browser()!.newContext({ timezoneId: AGENT_ZONE, locale: 'en-GB' }).then((c) => c.newPage());
    try {
      await benPage.goto(`${h.smsdesk.url}/`);
      await benPage.getByLabel('Email').fill('ben@example.com');
      await benPage.getByLabel('Password').fill(PASSWORD);
      await benPage.getByRole('button', { name: /sign in/i }).click();
      await benPage.getByTestId('inbox-list').waitFor();
      await benPage.goto(`${h.smsdesk.url}/#/scheduled`);
      const benBodies = () => benPage.getByTestId('scheduled-body').allTextContents();
      await expect.poll(benBodies).toHaveLength(2);
      await benPage.getByTestId('scheduled-agent').selectOption({ label: 'Mine' });
      await expect.poll(benBodies).toEqual(['Ben here: any questions?']);
      // Ben keeps the ticket open while Ana changes her text: his thread follows.
      await benPage.goto(`${h.smsdesk.url}/#/tickets/${ticketId}`);
      await benPage.locator(`[data-testid="message"][data-message-id="${anas.id}"]`).getByTestId('scheduled-info').waitFor();
    } catch (err) {
      await benPage.context().close();
      throw err;
    }
    const benSees = benPage.locator(`[data-testid="message"][data-message-id="${anas.id}"]`);

    // Edit the time and the text of Ana's.
    await row.getByTestId('scheduled-edit').click();
    const newTime = tomorrowAt(14);
    await row.getByTestId('scheduled-edit-at').fill(newTime.toFormat(LOCAL_INPUT));
    await row.getByTestId('scheduled-edit-body').fill('Your order arrives tomorrow afternoon.');
    await row.getByTestId('scheduled-edit-save').click();
    await expect.poll(async () => (await message(anas.id)).body).toBe('Your order arrives tomorrow afternoon.');
    expect(new Date((await message(anas.id)).sendAt!).toISOString()).toBe(newTime.toUTC().toISO());
    // Now after Ben's: the list follows.
    await expect.poll(bodies).toEqual(['Ben here: any questions?', 'Your order arrives tomorrow afternoon.']);

    // Cancel asks first, then the text leaves the list and never goes.
    const edited = rows.filter({ hasText: 'Your order arrives tomorrow afternoon.' });
    await edited.getByTestId('scheduled-cancel').click();
    await edited.getByTestId('scheduled-cancel-confirm').click();
    await expect.poll(() => page.getByTestId('scheduled-notice').textContent()).toBe(`Canceled the text to ${CUSTOMER}.`);
    await expect.poll(bodies).toEqual(['Ben here: any questions?']);
    expect((await message(anas.id)).status).toBe('canceled');
    await expect.poll(() => benSees.getByTestId('delivery-badge').textContent(), { timeout: 10_000 }).toBe('canceled');
    expect(await benSees.locator('.msg-body').textContent()).toBe('Your order arrives tomorrow afternoon.');
    await benPage.context().close();
    await h.api(`/api/v1/messages/${bens.id}/cancel`, { method: 'POST' });
    await expect.poll(() => page.getByTestId('scheduled-count').textContent(), { timeout: 10_000 }).toBe('No texts are scheduled.');
  });

  it('fills the next business morning with one click, and offers it only with business hours', async () => {
    const ticketId = await ticketOf('+14155550177', 'Please answer during office hours');
    await schedule({ businessHours: null });
    await openThread(ticketId);
    const loaded = page.waitForResponse((r) => r.url().endsWith('/api/v1/settings/schedule') && r.ok());
    await page.getByTestId('send-later').check();
    await loaded;
    await expect.poll(() => page.getByTestId('send-later-customer').textContent()).toMatch(/for the customer/);
    expect(await page.getByTestId('next-business-morning').count()).toBe(0);

    await schedule({ businessHours: 'Mon-Fri 09:00-17:00', defaultTimezone: AGENT_ZONE });
    try {
      const next = (await h.api<Schedule>('/api/v1/settings/schedule')).body.nextOpening!;
      await page.reload();
      await page.getByTestId('composer-text').waitFor();
      await page.getByTestId('send-later').check();
      await page.getByTestId('next-business-morning').click();
      const expected = DateTime.fromISO(next).setZone(AGENT_ZONE);
      expect(expected.toFormat('HH:mm')).toBe('09:00');
      await expect.poll(() => page.getByTestId('send-later-at').inputValue()).toBe(expected.toFormat(LOCAL_INPUT));
      await page.getByTestId('composer-text').fill('Good morning! Here is the answer.');
      await page.getByTestId('composer-send').click();
      await page.getByTestId('sent-notice').waitFor();
      const [m] = (await scheduled()).filter((x) => x.ticketId === ticketId);
      expect(new Date(m!.sendAt!).toISOString()).toBe(new Date(next).toISOString());
      await h.api(`/api/v1/messages/${m!.id}/cancel`, { method: 'POST' });
    } finally {
      await schedule({ businessHours: null, defaultTimezone: 'UTC' });
    }
  });

  it('saves quiet hours, business hours and holidays in Settings, and shows usage with a warning at 80% and 100%', async () => {
    const ticketId = await ticketOf('+14155550166', 'Four answers please');
    for (let i = 1; i <= 4; i++) {
      expect((await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: `Answer ${i}` } })).status).toBe(202);
    }
    await h.idle();
    try {
      await page.goto(`${h.smsdesk.url}/#/settings`);
      await page.getByTestId('schedule-quiet-on').check();
      await page.getByTestId('schedule-quiet-start').fill('21:30');
      await page.getByTestId('schedule-quiet-end').fill('07:45');
      // A bad value is refused with smsdesk's reason, naming the setting; nothing is saved.
      await page.getByTestId('schedule-business-hours').fill('Mon-Fri 9-5');
      await page.getByTestId('schedule-save-hours').click();
      await expect.poll(() => page.getByTestId('schedule-hours-error').textContent()).toMatch(/BUSINESS_HOURS/);
      expect((await h.api<Schedule>('/api/v1/settings/schedule')).body.quietHours).toBeNull();

      await page.getByTestId('schedule-business-hours').fill('Mon-Fri 08:00-18:00; Sat 10:00-14:00');
      await page.getByTestId('schedule-holiday-date').fill('2030-12-25');
      await page.getByTestId('schedule-holiday-add').click();
      await page.getByTestId('schedule-holiday-date').fill('2030-01-01');
      await page.getByTestId('schedule-holiday-add').click();
      await expect.poll(() => page.getByTestId('schedule-holidays').locator('li > span').allTextContents()).toEqual(['2030-01-01', '2030-12-25']);
      await page.getByRole('button', { name: 'Remove the holiday 2030-01-01' }).click();
      await page.getByTestId('schedule-save-hours').click();
      await expect.poll(() => page.getByTestId('schedule-hours-saved').textContent()).toBe('Saved');
      const saved = (await h.api<Schedule>('/api/v1/settings/schedule')).body;
      expect(saved).toMatchObject({ quietHours: '21:30-07:45', businessHours: 'Mon-Fri 08:00-18:00; Sat 10:00-14:00', holidays: ['2030-12-25'] });
      await expect.poll(() => page.getByTestId('schedule-business-state').textContent()).toMatch(/^(Open|Closed) now\. Next opening: /);

      // Usage this month, by number, with the estimate from the price table.
      const usage = (await h.api<Usage>('/api/v1/usage')).body;
      expect(usage.segments).toBeGreaterThanOrEqual(4);
      await expect.poll(() => page.getByTestId('usage-segments').textContent()).toMatch(new RegExp(`^${usage.segments}\\b`));
      const bar = page.locator(`[data-testid="usage-number"][data-number="${NUMBER}"]`);
      await expect.poll(() => bar.textContent()).toContain(`${usage.byNumber.find((n) => n.number === NUMBER)!.segments} segments`);
      expect(await bar.locator('.bar-fill').evaluate((el) => (el as HTMLElement).style.width)).toBe('100%');
      await expect.poll(() => page.getByTestId('usage-cost').textContent()).toMatch(/^\d+\.\d{2,4}$/);

      // A limit the month has used 80% of: the admins' banner, here and at the top of every screen.
      await page.getByTestId('schedule-limit').fill(String(Math.floor(usage.segments / 0.8)));
      await page.getByTestId('schedule-save-limit').click();
      await expect.poll(() => page.getByTestId('schedule-limit-saved').textContent()).toBe('Saved');
      await expect.poll(() => page.getByTestId('usage-warning').first().getAttribute('data-level')).toBe('0.8');
      await page.goto(`${h.smsdesk.url}/#/inbox`);
      await expect.poll(() => page.getByTestId('usage-warning').textContent()).toMatch(/^80% of the monthly SMS limit is used/);
      await schedule({ monthlyLimit: usage.segments });
      await page.reload();
      await expect.poll(() => page.getByTestId('usage-warning').textContent()).toMatch(/^The monthly SMS limit is reached/);
    } finally {
      await schedule({ quietHours: null, businessHours: null, holidays: [], monthlyLimit: null });
    }
  });

  it('works at 360 px wide: composer with Send later, the Scheduled screen and Settings', async () => {
    const ticketId = await ticketOf('+14155550155', 'Small screen');
    await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'Scheduled for the small screen', sendAt: tomorrowAt(9).toUTC().toISO() } });
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await openThread(ticketId);
      await page.getByTestId('send-later').check();
      await page.getByTestId('send-later-at').waitFor();
      for (const [route, ready] of [[`#/tickets/${ticketId}`, 'scheduled-info'], ['#/scheduled', 'scheduled-row'], ['#/settings', 'usage']] as const) {
        if (route !== `#/tickets/${ticketId}`) await page.goto(`${h.smsdesk.url}/${route}`);
        await page.getByTestId(ready).first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, route).toBeLessThanOrEqual(0);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
