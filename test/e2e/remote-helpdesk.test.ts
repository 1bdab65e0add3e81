import { afterEach, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { FakeFreshdesk } from '../fakes/freshdesk.ts';

/** A remote helpdesk that refuses or throttles smsdesk: nothing is lost, and the API says what is wrong. */
describe('a remote helpdesk in trouble', () => {
  let h: Harness | undefined;
  let fake: FakeFreshdesk;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
  });

  const start = async (apiKey: string) => {
    fake = await new FakeFreshdesk('the-right-key').start();
    h = await startHarness(pgliteBackend, {
      env: { HELPDESK: 'freshdesk', FRESHDESK_URL: fake.url, FRESHDESK_API_KEY: apiKey },
      smsdesk: { helpdesk: { maxWaitMs: 1_000 } },
    });
    return h;
  };

  it('keeps texts while Freshdesk refuses the API key, and says so in its words', async () => {
    const h = await start('a-wrong-key');
    expect((await h.text(CUSTOMER, NUMBER, 'hello?')).status).toBe(200);
    const jobs = () => h.sql.query<{ state: string; last_error: string | null }>(`SELECT state, last_error FROM jobs WHERE queue = 'route-inbound'`);
    await expect.poll(async () => (await jobs()).map((j) => j.last_error), { timeout: 10_000 }).toEqual([expect.stringMatching(/answered 401: You have to be logged in/)]);
    const res = await h.api<{ error: { code: string; message: string } }>(`/api/v1/tickets?phone=${encodeURIComponent(CUSTOMER)}`);
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ code: 'helpdesk_error' });
    expect(res.body.error.message).toMatch(/^Freshdesk: GET \/api\/v2\/contacts answered 401/);
    expect(res.body.error.message).not.toContain('a-wrong-key');
    const [stored] = await h.sql.query<{ body: string }>(`SELECT body FROM messages WHERE direction = 'inbound'`);
    expect(stored!.body).toBe('hello?');
  });

  it('answers 503 with Retry-After while Freshdesk rate-limits smsdesk for longer than a request may wait', async () => {
    const h = await start('the-right-key');
    await h.text(CUSTOMER, NUMBER, 'hi');
    await h.idle();
    const [ticket] = [...fake.tickets.values()];
    fake.storm(1, 60);
    const res = await fetch(`${h.smsdesk.url}/api/v1/tickets/${ticket!.id}`, { headers: { authorization: 'Bearer test-api-token' } });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('helpdesk_busy');
  });
});
