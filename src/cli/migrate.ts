import type { Config } from '../config.ts';
import { migrate } from '../adapters/db/migrations.ts';
import { openDatabase } from '../adapters/db/open.ts';
import { DataDirInUse } from '../adapters/fs/data-dir-lock.ts';

export async function migrateOnly(config: Config): Promise<void> {
  let sql;
  try {
    sql = await openDatabase(config, { command: 'migrate' });
  } catch (err) {
    // The running server has the embedded database, and it migrated it when it started.
    if (err instanceof DataDirInUse) {
      throw new DataDirInUse(err.dataDir, err.holder, err.holder.command === 'serve'
        ? 'it applies migrations itself when it starts, so there is nothing to do'
        : 'run migrate again once it has finished');
    }
    throw err;
  }
  const applied = await migrate(sql);
  await sql.close();
  console.log(applied ? `applied ${applied} migration(s)` : 'database is up to date');
}
