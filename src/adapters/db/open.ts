import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Sql } from './sql.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

/** DATABASE_URL set: the shared PostgreSQL; unset: embedded PGlite under DATA_DIR/db. */
export async function openDatabase(cfg: { databaseUrl: string | null; dataDir: string }): Promise<Sql> {
  if (cfg.databaseUrl) return openPostgres({ connectionString: cfg.databaseUrl });
  const dir = join(cfg.dataDir, 'db');
  mkdirSync(dir, { recursive: true });
  return (await openPglite({ dataDir: dir })).sql;
}
