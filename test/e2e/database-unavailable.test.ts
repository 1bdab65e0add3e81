import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/db/migrations.ts';
import { openPostgres } from '../../src/adapters/db/postgres.ts';
import type { Sql } from '../../src/adapters/db/sql.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { CUSTOMER, NUMBER, startHarness, type Harness } from '../helpers/harness.ts';
import { newSid } from '../helpers/webhook.ts';

const url = process.env.TEST_DATABASE_URL;

/** Runs `text` on the server's maintenance connection (the test database), outside the database under test. */
async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own (not a schema of the shared test database): refusing connections to it must not
 * disturb any other test.
 */
async function ownDatabase(): Promise<TestDatabase & { name: string }> {
  const name = `smsdesk_unavail_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const target = new URL(url!);
  target.pathname = `/${name}`;
  let sql: Sql | null = null;
  try {
    sql = await openPostgres({ connectionString: target.toString() });
    await migrate(sql);
  } catch (err) {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw err;
  }
  const opened = sql;
  return {
    name,
    sql: opened,
    async cleanup() {
      await opened.close().catch(() => undefined);
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

describe.runIf(url)('PostgreSQL not accepting connections (SQLSTATE 55000)', () => {
  let h: Harness | undefined;
  let db: (TestDatabase & { name: string }) | undefined;
  afterEach(async () => {
    await h?.close();
    if (db) await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await db?.cleanup();
  });

  it('answers Twilio 503 so it retries, and the retry is stored once the database is back', async () => {
    db = await ownDatabase();
    h = await startHarness({ name: 'postgres', open: async () => db! }, { db });
    // No new connections, and the open ones cut: every query needs a connection the server refuses.
    await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`);

    const sid = newSid();
    const refused = await h.text(CUSTOMER, NUMBER, 'while the database refuses connections', { messageSid: sid });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'database_unavailable' } });
    expect((await fetch(`${h.smsdesk.url}/healthz`)).status).toBe(503);

    await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    const retried = await h.text(CUSTOMER, NUMBER, 'while the database refuses connections', { messageSid: sid });
    expect(retried.status).toBe(200);
    await h.idle();
    const { body } = await h.api<{ messages: { sid: string }[] }>(`/api/v1/messages?phone=${encodeURIComponent(CUSTOMER)}`);
    expect(body.messages.map((m) => m.sid)).toEqual([sid]);
  });
});
