import { afterEach, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, startHarness, ticketFrom, type Harness } from '../helpers/outbound.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

/** One sample's value from Prometheus text (0 when the series is absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

describe('GET /metrics', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
  });

  it('asks for METRICS_TOKEN, and its figures move as texts come in and replies go out', async () => {
    h = await startHarness(pgliteBackend, { env: { METRICS_TOKEN: TOKEN } });
    const scrape = async (token: string | null = TOKEN) => {
      const res = await fetch(`${h!.smsdesk.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('wrong-token-0123456789abcdef')).status).toBe(401);
    const before = await scrape();
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(before.text, 'smsdesk_webhooks_total', { kind: 'twilio_message', outcome: '2xx' })).toBe(0);

    const ticketId = await ticketFrom(h);
    await h.text(CUSTOMER, NUMBER, 'and another');
    const res = await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'On it.' } });
    expect(res.status).toBe(202);
    await h.emulator.waitForStatusCallback((c) => c.params.MessageStatus === 'delivered');
    await h.idle();
    const after = (await scrape()).text;
    expect(sample(after, 'smsdesk_webhooks_total', { kind: 'twilio_message', outcome: '2xx' })).toBe(2);
    expect(sample(after, 'smsdesk_webhooks_total', { kind: 'twilio_status', outcome: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'smsdesk_twilio_send_seconds_count')).toBe(1);
    expect(after).toContain('# TYPE smsdesk_queue_jobs gauge');
    expect(after).toContain('smsdesk_process_resident_memory_bytes');

    // A refused create is counted by its code.
    h.emulator.failNextCreates(1, { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { body: 'Refused, this one.' } });
    await h.idle();
    expect(sample((await scrape()).text, 'smsdesk_twilio_errors_total', { code: '21211' })).toBe(1);
  });
});
