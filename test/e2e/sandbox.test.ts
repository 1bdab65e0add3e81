import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { API_TOKEN, CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';

const run = promisify(execFile);

describe('sandbox mode', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('texts smsdesk through the emulator, only for holders of the API token', async () => {
    h = await startHarness(pgliteBackend, { sandbox: true });
    const post = (token: string | null) =>
      fetch(`${h.smsdesk.url}/sandbox/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ from: CUSTOMER, to: NUMBER, body: 'hello from the sandbox' }),
      });
    expect((await post(null)).status).toBe(401);
    const ok = await post(API_TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ messageSid: expect.stringMatching(/^SM/), webhookStatus: 200 });
    await h.idle();
    const { body } = await h.api<{ tickets: { subject: string }[] }>('/api/v1/tickets');
    expect(body.tickets.map((t) => t.subject)).toEqual(['hello from the sandbox']);
  });

  it("shows the customer's handset: what the phone sent and the replies it received", async () => {
    h = await startHarness(pgliteBackend, { sandbox: true });
    await h.text(CUSTOMER, NUMBER, 'Is my order late?');
    await h.text('+14155550177', NUMBER, 'someone else');
    await h.idle();
    const { body } = await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`);
    const sent = await h.api(`/api/v1/tickets/${body.tickets[0]!.id}/replies`, { method: 'POST', body: { body: 'It ships today' } });
    expect(sent.status).toBe(202);
    await h.idle();
    const handset = async () => (await h.api<{ phone: string; messages: { direction: string; body: string; from: string; status: string }[] }>(
      `/sandbox/messages?phone=${encodeURIComponent('+1 415 555 0100')}`)).body;
    // The handset shows what the emulator holds.
    await h.emulator.waitForMessage((m) => m.to === CUSTOMER && m.status === 'delivered', { what: 'the reply delivered to the handset' });
    const view = await handset();
    expect(view.phone).toBe(CUSTOMER);
    expect(view.messages.map((m) => [m.direction, m.body, m.from, m.status])).toEqual([
      ['sent', 'Is my order late?', CUSTOMER, 'received'],
      ['received', 'It ships today', NUMBER, 'delivered'],
    ]);
    expect((await h.api('/sandbox/messages?phone=%2B14155550100', { token: null })).status).toBe(401);
    const bad = await h.api<{ error: { code: string } }>('/sandbox/messages?phone=nope');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_phone']);
  });

  it('`smsdesk simulate` sends a text with media, as documented', async () => {
    h = await startHarness(pgliteBackend, { sandbox: true });
    const { stdout } = await run(
      process.execPath,
      ['bin/smsdesk.js', 'simulate', '--url', h.smsdesk.url, '--from', CUSTOMER, '--to', NUMBER, '--media', 'package.json', 'My order is late'],
      { env: { ...process.env, SMSDESK_API_TOKEN: API_TOKEN } },
    );
    expect(stdout).toMatch(/^sent SM[0-9a-f]{32} from \+14155550100 to \+14155550199: webhook answered 200/);
    await h.idle();
    const { body } = await h.api<{ tickets: { subject: string; attachments: { contentType: string }[] }[] }>('/api/v1/tickets');
    expect(body.tickets[0]).toMatchObject({ subject: 'My order is late', attachments: [{ contentType: 'application/octet-stream' }] });
  });
});
