import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { Sql } from '../../src/adapters/db/sql.ts';
import { openPglite } from '../../src/adapters/db/pglite.ts';
import { openPostgres } from '../../src/adapters/db/postgres.ts';
import { migrate } from '../../src/adapters/db/migrations.ts';

export interface TestDatabase {
  sql: Sql;
  /** Another connection to the same database, as a second instance would open (PostgreSQL only). */
  connectAgain?: () => Promise<Sql>;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<TestDatabase>;
}

export const pgliteBackend: Backend = {
  name: 'pglite',
  async open() {
    const template = readFileSync(inject('pgliteTemplate'));
    const { sql } = await openPglite({ loadDataDir: new Blob([template]) });
    return { sql, cleanup: () => sql.close() };
  },
};

const url = process.env.TEST_DATABASE_URL;

/** Each test gets a schema of its own in the test database, dropped afterwards. */
export const postgresBackend: Backend = {
  name: 'postgres',
  async open() {
    if (!url) throw new Error('TEST_DATABASE_URL is unset');
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const opened: Sql[] = [];
    const connect = async () => {
      const sql = await openPostgres({ connectionString: url, schema });
      opened.push(sql);
      return sql;
    };
    const sql = await connect();
    await migrate(sql);
    return {
      sql,
      connectAgain: connect,
      async cleanup() {
        await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      },
    };
  },
};

/** The backends this run can use: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const backends: Backend[] = url ? [pgliteBackend, postgresBackend] : [pgliteBackend];
