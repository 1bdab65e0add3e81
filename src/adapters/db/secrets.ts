import { randomBytes } from 'node:crypto';
import type { Sql } from './sql.ts';

/**
 * A random key made once and shared by every instance (the first to start makes it; the rest read it), so
 * links it signs keep working across restarts and instances without anyone configuring a key.
 */
export async function sharedKey(sql: Sql, name: string): Promise<Buffer> {
  await sql.query('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, randomBytes(32).toString('base64')]);
  const [row] = await sql.query<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [name]);
  return Buffer.from(row!.value, 'base64');
}
