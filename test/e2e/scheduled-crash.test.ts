import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../../bench/lib/children.ts';
import { buildConsole, startServe, type ServeChild } from '../helpers/cli.ts';

const CUSTOMER = '+14155550100';
const NUMBER = '+14155550199';

/** A scheduled text survives its server being killed: `serve` as a real process, kill -9, restart, sent once. */
describe('a scheduled message across a kill -9', () => {
  const dirs: string[] = [];
  beforeAll(buildConsole, 120_000);
  afterEach(async () => {
    await stopAll(10_000);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(server: ServeChild, path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${server.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  it('is sent once after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'smsdesk-scheduled-'));
    dirs.push(dataDir);
    const server = await startServe('smsdesk', dataDir);
    const body = 'Your appointment is at 10 tomorrow';
    const scheduled = await api<{ message: { id: number; status: string } }>(server, '/api/v1/messages', {
      method: 'POST', body: { to: CUSTOMER, from: NUMBER, body, sendAt: new Date(Date.now() + 4_000).toISOString() },
    });
    expect(scheduled.status).toBe(202);
    expect(scheduled.body.message.status).toBe('scheduled');
    await server.kill9();

    const again = await startServe('smsdesk again', dataDir);
    const id = scheduled.body.message.id;
    await expect.poll(async () => (await api<{ status: string }>(again, `/api/v1/messages/${id}`)).body.status, { timeout: 60_000, interval: 200 })
      .toBe('delivered');
    const message = (await api<{ sid: string; statusHistory: { status: string }[] }>(again, `/api/v1/messages/${id}`)).body;
    expect(message.sid).toMatch(/^SM/);
    expect(message.statusHistory.filter((s) => s.status === 'queued')).toHaveLength(1);
    // The customer's handset (the restarted server's emulator) got it once.
    const handset = await api<{ messages: { body: string; direction: string }[] }>(again, `/sandbox/messages?phone=${encodeURIComponent(CUSTOMER)}`);
    expect(handset.body.messages.filter((m) => m.body === body)).toHaveLength(1);
  }, 180_000);
});
