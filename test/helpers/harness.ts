import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { startSmsdesk, type Smsdesk, type SmsdeskOptions } from '../../src/smsdesk.ts';
import { startTwilioEmulator, type EmulatorOptions, type TwilioEmulator, type InboundInput, type InboundResult } from '../../src/adapters/twilio/emulator/index.ts';
import type { Sql } from '../../src/adapters/db/sql.ts';
import type { Backend, TestDatabase } from './databases.ts';

export const ACCOUNT = { sid: 'AC' + '1'.repeat(32), authToken: 'a'.repeat(32) };
export const API_TOKEN = 'test-api-token';
export const CUSTOMER = '+14155550100';
export const OTHER_CUSTOMER = '+14155550111';
export const NUMBER = '+14155550199';
export const OTHER_NUMBER = '+14155550188';

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Reuse a database (restart tests); otherwise a fresh one from the backend. */
  db?: TestDatabase;
  smsdesk?: Partial<Omit<SmsdeskOptions, 'config' | 'sql'>>;
  /** Options for the Twilio emulator (delays, callback shuffling, …). */
  emulator?: Partial<EmulatorOptions>;
  /** Serve the sandbox endpoints (POST /sandbox/messages) backed by this harness's emulator. */
  sandbox?: boolean;
}

export interface Harness {
  smsdesk: Smsdesk;
  emulator: TwilioEmulator;
  db: TestDatabase;
  sql: Sql;
  /** Texts smsdesk through the emulator: signed exactly as Twilio signs. */
  text(from: string, to: string, body: string, extra?: Partial<InboundInput>): Promise<InboundResult>;
  api<T = Record<string, unknown>>(path: string, init?: { method?: string; body?: unknown; token?: string | null }): Promise<{ status: number; body: T }>;
  idle(): Promise<void>;
  /** Stops smsdesk (not the database); the emulator keeps running for a restart. */
  stopSmsdesk(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(backend: Backend, opts: HarnessOptions = {}): Promise<Harness> {
  const db = opts.db ?? (await backend.open());
  const dataDir = mkdtempSync(join(tmpdir(), 'smsdesk-test-'));
  const emulator = await startTwilioEmulator({ accounts: [ACCOUNT], statusDelayMs: 5, ...opts.emulator });
  for (const number of [NUMBER, OTHER_NUMBER]) emulator.setSender(number, { mps: 500 });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    TWILIO_ACCOUNT_SID: ACCOUNT.sid,
    TWILIO_AUTH_TOKEN: ACCOUNT.authToken,
    TWILIO_API_BASE_URL: emulator.apiBaseUrl,
    SMSDESK_API_TOKEN: API_TOKEN,
    // Tests are not about pacing unless they say so: the test numbers send as fast as a short code would.
    SMSDESK_SENDER_RATES: `${NUMBER}=500,${OTHER_NUMBER}=500`,
    ...opts.env,
  });
  const start = () =>
    startSmsdesk({
      config,
      sql: db.sql,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      media: { backoffMs: 5 },
      closeGraceMs: 1000,
      sandbox: opts.sandbox ? { emulatorUrl: emulator.apiBaseUrl, accountSid: ACCOUNT.sid } : undefined,
      worker: { pollMs: 50, retryBaseMs: 50, retryMaxMs: 500 },
      ...opts.smsdesk,
    });
  const smsdesk = await start();
  emulator.setWebhookUrl(`${smsdesk.publicUrl}/webhooks/twilio/messages`);
  let stopped = false;
  const stopSmsdesk = async () => {
    if (stopped) return;
    stopped = true;
    await smsdesk.close();
  };

  return {
    smsdesk,
    emulator,
    db,
    sql: db.sql,
    text: (from, to, body, extra) => emulator.sendInbound({ from, to, body, ...extra }),
    async api(path, init = {}) {
      const headers: Record<string, string> = {};
      if (init.token !== null) headers.authorization = `Bearer ${init.token ?? API_TOKEN}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(smsdesk.url + path, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: body as never };
    },
    idle: () => smsdesk.idle(),
    stopSmsdesk,
    async close() {
      await stopSmsdesk();
      await emulator.close();
      if (!opts.db) await db.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
