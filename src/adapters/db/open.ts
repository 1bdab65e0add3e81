import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Sql } from './sql.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import { lockDataDir, type DataDirLock } from '../fs/data-dir-lock.ts';

/**
 * DATABASE_URL set: the shared PostgreSQL; unset: embedded PGlite under DATA_DIR/db, which only the holder
 * of DATA_DIR's lock may open. `lock`: the caller's (held for longer than the database, e.g. by `serve`);
 * without it one is taken here (throwing DataDirInUse when another process has DATA_DIR) and released on close.
 */
export async function openDatabase(
  cfg: { databaseUrl: string | null; dataDir: string },
  opts: { lock?: DataDirLock; command?: string } = {},
): Promise<Sql> {
  if (cfg.databaseUrl) return openPostgres({ connectionString: cfg.databaseUrl });
  const lock = opts.lock ?? lockDataDir(cfg.dataDir, opts.command ?? 'serve');
  try {
    const dir = join(cfg.dataDir, 'db');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const sql = (await openPglite({ dataDir: dir })).sql;
    if (opts.lock) return sql;
    const close = sql.close.bind(sql);
    return Object.assign(sql, {
      async close() {
        try {
          await close();
        } finally {
          lock.release();
        }
      },
    });
  } catch (err) {
    if (!opts.lock) lock.release();
    throw err;
  }
}
