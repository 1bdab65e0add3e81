import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, OTHER_CUSTOMER, startHarness, type Harness } from '../helpers/harness.ts';
import { addUser, signIn } from '../helpers/console.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';

interface ApiAutomation { id: number; name: string; enabled: boolean; when: string; if: Record<string, unknown>; then: Record<string, unknown>[] }

const SHOTS = process.env.SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : null;

/**
 * Settings → Automations in Debian's chromium against the real server, the Twilio emulator and PGlite: an admin
 * builds an automation in the editor, previews it for a real ticket, saves it, and reads what it did; smsdesk's
 * refusal is shown as it comes; agents read but do not edit. Each test has its own browser context and data.
 */
describe.skipIf(!CHROMIUM)('automations in the console', () => {
  let h: Harness;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sessions: Record<string, { name: string; value: string }> = {};

  beforeAll(async () => {
    h = await startHarness(pgliteBackend);
    await addUser(h, 'ana@example.com', 'admin', 'Ana');
    await addUser(h, 'ben@example.com', 'agent', 'Ben');
    for (const email of ['ana@example.com', 'ben@example.com']) {
      const { cookie } = await signIn(h, email);
      sessions[email] = { name: cookie.slice(0, cookie.indexOf('=')), value: cookie.slice(cookie.indexOf('=') + 1) };
    }
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

  /** A page in a fresh context, signed in as `email`; a step that cannot happen fails within 10 s, saying which. */
  const signedIn = async (email = 'ana@example.com'): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    await context.addCookies([{ ...sessions[email]!, url: h.smsdesk.url }]);
    return context.newPage();
  };
  const ticketOf = async (phone: string, text: string) => {
    expect((await h.text(phone, NUMBER, text)).status).toBe(200);
    await h.idle();
    const { body } = await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(phone)}`);
    return Math.max(...body.tickets.map((t) => t.id));
  };
  const automations = async () => (await h.api<{ automations: ApiAutomation[] }>('/api/v1/automations')).body.automations;
  const sentTo = (to: string, body: string) => h.emulator.messages().filter((m) => m.direction !== 'inbound' && m.to === to && m.body === body);
  /** With SCREENSHOTS=1 (npm run screenshots): docs/screenshots/<name>.png, the whole page unless `fullPage: false`. */
  const shot = async (page: Page, name: string, fullPage = true) => {
    if (!SHOTS) return;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  };

  it('builds "when a ticket is resolved, text the requester" in the editor, previews it, saves it, texts once, and shows the run', async () => {
    const ticketId = await ticketOf(CUSTOMER, 'Where is my parcel?');
    const page = await signedIn();
    await page.goto(`${h.smsdesk.url}/#/settings`);
    await page.getByTestId('settings-automations-link').click();
    await page.getByTestId('automation-new').click();
    await page.getByTestId('automation-form').waitFor();

    await page.getByLabel('Name').fill('Resolved notice');
    // "When" in words.
    await page.getByLabel('This happens').selectOption({ label: "A ticket's status changes" });
    expect(await page.getByTestId('automation-when-select').inputValue()).toBe('ticket.status_changed');
    // If: the status is resolved.
    await page.getByLabel('Condition to add').selectOption({ label: 'Status is' });
    await page.getByTestId('automation-add-condition-button').click();
    await page.getByLabel('Status is').selectOption({ label: 'Resolved' });
    // Then: text the requester, the ticket number inserted from the placeholder list where the cursor is.
    const action = page.getByTestId('automation-actions').getByTestId('action');
    expect(await action.count()).toBe(1);
    expect(await action.getByTestId('action-kind').inputValue()).toBe('sendSms');
    expect(await action.getByTestId('action-sms-to-requester').isChecked()).toBe(true);
    const body = action.getByTestId('action-sms-body');
    await body.fill('Ticket # is resolved');
    await body.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange('Ticket #'.length, 'Ticket #'.length));
    await page.getByTestId('placeholder-bar').getByText('insert into the text of action 1').waitFor();
    await page.getByRole('button', { name: 'Insert {{ticket.id}}' }).click();
    expect(await body.inputValue()).toBe('Ticket #{{ticket.id}} is resolved');

    // The preview for a real ticket: the placeholder filled in by smsdesk.
    await page.getByLabel('Preview for ticket #').fill(String(ticketId));
    const preview = action.getByTestId('action-preview');
    await action.locator('[data-testid="action-preview"][data-state="ok"]').waitFor();
    expect(await preview.getByTestId('action-preview-text').textContent()).toBe(`Ticket #${ticketId} is resolved`);
    // Edited, the preview follows.
    await body.fill('Ticket #{{ticket.id}} is resolved. Reply to reopen.');
    await action.locator('[data-testid="action-preview"][data-state="ok"]').getByText(`Ticket #${ticketId} is resolved. Reply to reopen.`, { exact: true }).waitFor();
    await shot(page, 'automation-editor');

    await page.getByTestId('automation-save').click();
    await expect.poll(() => page.getByTestId('automations-notice').textContent()).toBe('Saved the new automation “Resolved notice”.');
    const row = page.getByTestId('automation-row').filter({ hasText: 'Resolved notice' });
    expect(await row.getByTestId('automation-when').textContent()).toBe("A ticket's status changes");
    expect(await row.getByTestId('automation-summary').textContent()).toBe(
      'If status is Resolved: text the requester “Ticket #{{ticket.id}} is resolved. Reply to reopen.”',
    );
    expect(await row.getByTestId('automation-enabled').isChecked()).toBe(true);
    const [saved, ...others] = (await automations()).filter((a) => a.name === 'Resolved notice');
    expect(others).toEqual([]);
    expect(saved).toMatchObject({
      name: 'Resolved notice', enabled: true, when: 'ticket.status_changed', if: { status: 'resolved' },
      then: [{ sendSms: { body: 'Ticket #{{ticket.id}} is resolved. Reply to reopen.' } }],
    });
    await shot(page, 'automations');

    // The ticket is resolved (through the API): the requester gets the text, once.
    const text = `Ticket #${ticketId} is resolved. Reply to reopen.`;
    const since = h.emulator.cursors().messages;
    expect((await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'resolved' } })).status).toBe(200);
    const arrived = await h.emulator.waitForMessage((m) => m.body === text, { since, timeoutMs: 15_000, what: 'the resolved notice at Twilio' });
    expect(arrived).toMatchObject({ to: CUSTOMER, from: NUMBER });
    await h.idle();
    expect(sentTo(CUSTOMER, text)).toHaveLength(1);

    // Its run: fired, the text sent.
    await row.getByTestId('automation-runs').click();
    await page.getByTestId('automation-runs-screen').waitFor();
    const run = page.getByTestId('run').first();
    await expect.poll(() => run.getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
    expect(await page.getByTestId('run').count()).toBe(1);
    expect(await run.getAttribute('data-fired')).toBe('true');
    expect(await run.getByTestId('run-event').textContent()).toBe("A ticket's status changes");
    expect(await run.getByTestId('run-ticket').getAttribute('href')).toBe(`#/tickets/${ticketId}`);
    expect(await run.getByTestId('run-decision').textContent()).toMatch(/^Acted: ticket\.status_changed with status resolved$/);
    expect(await run.getByTestId('run-state').textContent()).toBe('Done');
    const actions = run.getByTestId('run-action');
    expect(await actions.count()).toBe(1);
    expect(await actions.first().getAttribute('data-kind')).toBe('sendSms');
    expect(await actions.first().getAttribute('data-state')).toBe('done');
    expect(await actions.first().textContent()).toMatch(/^Send a text: Done \(message \d+ to the requester\)$/);
    await shot(page, 'automation-runs');

    // Reopened and resolved again: a new run (shown at the top after Refresh), a second text, each once.
    await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'open' } });
    await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'resolved' } });
    await h.idle();
    await page.getByTestId('automation-runs-refresh').click();
    await expect.poll(() => page.getByTestId('run').count()).toBe(3);
    expect(await page.getByTestId('run').evaluateAll((els) => els.map((el) => el.getAttribute('data-fired')))).toEqual(['true', 'false', 'true']);
    expect(await page.getByTestId('run').nth(1).getByTestId('run-reason').textContent()).toBe('status is open, not resolved');
    expect(sentTo(CUSTOMER, text)).toHaveLength(2);
    // Each test starts from its own automations.
    await h.api(`/api/v1/automations/${saved!.id}`, { method: 'DELETE' });
  });

  it("shows smsdesk's refusal of a bad placeholder next to the form, keeps the form as typed, and saves nothing", async () => {
    const ticketId = await ticketOf(OTHER_CUSTOMER, 'Hello there');
    const page = await signedIn();
    await page.goto(`${h.smsdesk.url}/#/settings/automations/new`);
    await page.getByTestId('automation-form').waitFor();
    await page.getByLabel('Name').fill('Greeting with a typo');
    await page.getByLabel('This happens').selectOption({ label: 'A ticket is created' });
    const action = page.getByTestId('action').first();
    await action.getByTestId('action-sms-body').fill('Hi {{contact.nmae}}, thanks for writing.');
    // The preview already says what is wrong.
    await page.getByLabel('Preview for ticket #').fill(String(ticketId));
    await action.locator('[data-testid="action-preview"][data-state="error"]').waitFor();
    expect(await action.getByTestId('action-preview-text').textContent()).toMatch(/^Unknown placeholder \{\{contact\.nmae\}\}: use one of /);

    const before = await automations();
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/automations') && r.request().method() === 'POST');
    await page.getByTestId('automation-save').click();
    expect((await refused).status()).toBe(400);
    const error = page.getByTestId('automation-form-error');
    await expect.poll(() => error.textContent()).toMatch(/^then\[0\]\.sendSms\.body: unknown placeholder \{\{contact\.nmae\}\}: use one of /);
    expect(await error.getAttribute('role')).toBe('alert');
    // The action it names is marked; everything stays as typed, on the editor.
    expect(await action.getByTestId('action-error').textContent()).toContain('unknown placeholder {{contact.nmae}}');
    expect(await action.getByTestId('action-sms-body').inputValue()).toBe('Hi {{contact.nmae}}, thanks for writing.');
    expect(await page.getByLabel('Name').inputValue()).toBe('Greeting with a typo');
    expect(await page.getByTestId('automation-when-select').inputValue()).toBe('ticket.created');
    expect(await page.evaluate(() => window.location.hash)).toBe('#/settings/automations/new');
    expect(await automations()).toEqual(before);

    // Fixed, it saves.
    await action.getByTestId('action-sms-body').fill('Hi {{contact.name}}, thanks for writing.');
    await page.getByTestId('automation-save').click();
    await expect.poll(() => page.getByTestId('automations-notice').textContent()).toBe('Saved the new automation “Greeting with a typo”.');
    const added = (await automations()).filter((a) => a.name === 'Greeting with a typo');
    expect(added).toHaveLength(1);
    await h.api(`/api/v1/automations/${added[0]!.id}`, { method: 'DELETE' });
  });

  it('edits an automation (conditions, ordered actions, an ask with answers), turns it off and on, and deletes it after a confirm', async () => {
    const created = await h.api<ApiAutomation>('/api/v1/automations', {
      method: 'POST',
      body: {
        name: 'Keyword hours', when: 'message.received', if: { keyword: 'HOURS' },
        then: [{ sendSms: { body: 'We are open 9–5.' } }, { note: { bodyHtml: '<p>Asked for hours</p>', private: true } }],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const page = await signedIn();
    await page.goto(`${h.smsdesk.url}/#/settings/automations/${id}`);
    await page.getByTestId('automation-form').waitFor();
    expect(await page.getByLabel('The text is just the word').inputValue()).toBe('HOURS');
    // Reorder: the note first.
    await page.getByRole('button', { name: 'Move up Action 2' }).click();
    expect(await page.getByTestId('automation-actions').getByTestId('action-kind').evaluateAll((els) => els.map((el) => (el as HTMLSelectElement).value))).toEqual(['note', 'sendSms']);
    // Focus stays with the action moved (now first: on its Move down).
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Move down Action 1');
    // Add an ask: YES closes the ticket, NO texts back; no answer in 30 minutes adds a note.
    await page.getByTestId('automation-actions-add-kind').selectOption('ask');
    await page.getByTestId('automation-actions-add').click();
    const ask = page.getByTestId('automation-actions').getByTestId('action').nth(2);
    await ask.getByTestId('action-ask-question').fill('Did that answer it? Reply YES or NO.');
    const answers = ask.getByTestId('action-ask-answer');
    expect(await answers.getByTestId('action-ask-word').evaluateAll((els) => els.map((el) => (el as HTMLInputElement).value))).toEqual(['YES', 'NO']);
    await answers.nth(0).getByTestId('action-kind').selectOption('setStatus');
    await answers.nth(0).getByTestId('action-status').selectOption('closed');
    await answers.nth(1).getByTestId('action-sms-body').fill('Sorry! An agent will text you.');
    // Nested lists offer no ask.
    expect(await answers.nth(0).getByTestId('action-kind').locator('option[value="ask"]').count()).toBe(0);
    await ask.getByTestId('action-ask-timeout').fill('30');
    await ask.getByTestId('action-ask-timeout-actions-add-kind').selectOption('note');
    await ask.getByTestId('action-ask-timeout-actions-add').click();
    await ask.getByTestId('action-ask-timeout-actions').getByTestId('action-note').fill('<p>No answer</p>');
    await page.getByTestId('automation-save').click();
    await expect.poll(() => page.getByTestId('automations-notice').textContent()).toBe('Saved “Keyword hours”.');
    const [stored] = (await automations()).filter((a) => a.id === id);
    expect(stored!.then).toEqual([
      { note: { bodyHtml: '<p>Asked for hours</p>', private: true } },
      { sendSms: { body: 'We are open 9–5.' } },
      {
        ask: {
          question: 'Did that answer it? Reply YES or NO.',
          answers: { YES: [{ setStatus: { status: 'closed' } }], NO: [{ sendSms: { body: 'Sorry! An agent will text you.' } }] },
          timeoutMinutes: 30,
          onTimeout: [{ note: { bodyHtml: '<p>No answer</p>', private: true } }],
        },
      },
    ]);

    const row = page.locator(`[data-testid="automation-row"][data-automation-id="${id}"]`);
    // The answers in the order smsdesk keeps them (its JSON store orders an object's keys its own way).
    expect(await row.getByTestId('automation-summary').textContent()).toMatch(
      /^If the text is “HOURS”: add a private note, then text the requester “We are open 9–5\.”, then ask “Did that answer it\? Reply YES or NO\.” \((YES, NO|NO, YES)\)$/,
    );
    // Off and on again, from the list.
    await row.getByRole('checkbox', { name: 'On: Keyword hours' }).uncheck();
    await expect.poll(async () => (await automations()).find((a) => a.id === id)?.enabled).toBe(false);
    await expect.poll(() => page.getByTestId('automations-notice').textContent()).toBe('Turned off “Keyword hours”.');
    await row.getByTestId('automation-enabled').check();
    await expect.poll(async () => (await automations()).find((a) => a.id === id)?.enabled).toBe(true);
    // Delete asks first.
    await row.getByTestId('automation-delete').click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    expect((await automations()).some((a) => a.id === id)).toBe(true);
    await row.getByTestId('automation-delete').click();
    await row.getByTestId('automation-delete-confirm').click();
    await expect.poll(() => page.getByTestId('automations-notice').textContent()).toBe('Deleted “Keyword hours”.');
    expect((await automations()).some((a) => a.id === id)).toBe(false);
    expect(await row.count()).toBe(0);
  });

  it('texts a template after a ticket has been idle: the idle minutes, the template picker and its preview', async () => {
    const ticketId = await ticketOf('+14155550144', 'Any news?');
    const template = await h.api<{ template: { id: number } }>('/api/v1/templates', { method: 'POST', body: { name: 'Still there', body: 'Hi {{contact.name}}, is ticket {{ticket.id}} still open for you?' } });
    expect(template.status).toBe(201);
    const expected = (await h.api<{ text: string }>('/api/v1/automations/preview', { method: 'POST', body: { text: 'Hi {{contact.name}}, is ticket {{ticket.id}} still open for you?', ticketId } })).body.text;
    expect(expected).toContain(`is ticket ${ticketId} still open`);
    const page = await signedIn();
    await page.goto(`${h.smsdesk.url}/#/settings/automations/new`);
    await page.getByTestId('automation-form').waitFor();
    await page.getByLabel('Name').fill('Nudge when idle');
    expect(await page.getByTestId('automation-idle').count()).toBe(0);
    await page.getByLabel('This happens').selectOption({ label: 'A ticket has had no activity for a while' });
    await page.getByLabel('Minutes without activity').fill('120');
    // The keyword condition is offered for incoming texts only.
    expect(await page.getByTestId('automation-add-condition').locator('option').allTextContents()).not.toContain('The text is just the word');
    const action = page.getByTestId('action').first();
    await action.getByLabel('Use a template').check();
    await action.getByLabel('Template', { exact: true }).selectOption({ label: 'Still there' });
    await page.getByLabel('Preview for ticket #').fill(String(ticketId));
    await action.locator('[data-testid="action-preview"][data-state="ok"]').waitFor();
    expect(await action.getByTestId('action-preview-text').textContent()).toBe(expected);
    await page.getByTestId('automation-save').click();
    await expect.poll(() => page.getByTestId('automations-notice').textContent()).toBe('Saved the new automation “Nudge when idle”.');
    const [stored] = (await automations()).filter((a) => a.name === 'Nudge when idle');
    expect(stored).toMatchObject({ when: 'ticket.idle', if: { idleMinutes: 120 }, then: [{ sendSms: { templateId: template.body.template.id } }] });
    const row = page.locator(`[data-testid="automation-row"][data-automation-id="${stored!.id}"]`);
    expect(await row.getByTestId('automation-when').textContent()).toBe('A ticket has had no activity for 120 min');
    expect(await row.getByTestId('automation-summary').textContent()).toBe('Text the requester the template “Still there”');
    await h.api(`/api/v1/automations/${stored!.id}`, { method: 'DELETE' });
  });

  it('fits a 360 px screen: the list, the editor with an ask, and the runs', async () => {
    const created = await h.api<ApiAutomation>('/api/v1/automations', {
      method: 'POST',
      body: {
        name: 'A rather long automation name for a small screen', when: 'message.received', if: { keyword: 'HELP', businessHours: 'outside', twilioNumber: NUMBER },
        then: [
          { sendSms: { body: 'We are closed; we will answer in the morning. Reply URGENT for the on-call phone.', to: '+14155550123', delayMinutes: 1 } },
          { ask: { question: 'Is it urgent?', answers: { URGENT: [{ call: { to: '+14155550124', say: 'Ticket {{ticket.id}} is urgent' } }] }, timeoutMinutes: 15 } },
        ],
      },
    });
    const id = created.body.id;
    try {
      const page = await signedIn();
      await page.setViewportSize({ width: 360, height: 740 });
      for (const [route, ready, name] of [
        ['#/settings/automations', 'automation-row', 'automations-narrow'],
        [`#/settings/automations/${id}`, 'action-ask-answer', 'automation-editor-narrow'],
        [`#/settings/automations/${id}/runs`, 'automation-runs-empty', null],
      ] as const) {
        await page.goto(`${h.smsdesk.url}/${route}`);
        await page.getByTestId(ready).first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, route).toBeLessThanOrEqual(0);
        if (name) await shot(page, name, false);
      }
    } finally {
      await h.api(`/api/v1/automations/${id}`, { method: 'DELETE' });
    }
  });

  it('lets an agent read the automations and their runs, but not change them', async () => {
    const created = await h.api<ApiAutomation>('/api/v1/automations', {
      method: 'POST', body: { name: 'Welcome', when: 'ticket.created', then: [{ sendSms: { body: 'Thanks, we got your text.' } }] },
    });
    const id = created.body.id;
    try {
      const page = await signedIn('ben@example.com');
      await page.goto(`${h.smsdesk.url}/#/settings`);
      await page.getByTestId('settings-automations-link').click();
      const row = page.locator(`[data-testid="automation-row"][data-automation-id="${id}"]`);
      await row.waitFor();
      await page.getByTestId('automations-admin-only').waitFor();
      expect(await page.getByTestId('automation-new').count()).toBe(0);
      expect(await row.getByTestId('automation-enabled').count()).toBe(0);
      expect(await row.getByTestId('automation-enabled-text').textContent()).toBe('On');
      expect(await row.getByTestId('automation-delete').count()).toBe(0);
      await row.getByTestId('automation-edit').click();
      await page.getByTestId('automation-read-only').waitFor();
      expect(await page.getByTestId('action-sms-body').isDisabled()).toBe(true);
      expect(await page.getByTestId('automation-save').count()).toBe(0);
      await page.goto(`${h.smsdesk.url}/#/settings/automations/${id}/runs`);
      await page.getByTestId('automation-runs-empty').waitFor();
    } finally {
      await h.api(`/api/v1/automations/${id}`, { method: 'DELETE' });
    }
  });
});
