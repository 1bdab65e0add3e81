import type { Config } from '../config.ts';
import { migrate } from '../adapters/db/migrations.ts';
import { openDatabase } from '../adapters/db/open.ts';

export async function migrateOnly(config: Config): Promise<void> {
  const sql = await openDatabase(config);
  const applied = await migrate(sql);
  await sql.close();
  console.log(applied ? `applied ${applied} migration(s)` : 'database is up to date');
}
