import { PGlite } from '@electric-sql/pglite';
import { classifyDatabaseError, type Sql } from './sql.ts';
import { PreparedStatements } from './pglite-statements.ts';
import { keepOwnerOnly } from '../fs/owner-only.ts';

/**
 * PGlite executes a statement synchronously on this thread and resolves its promise at once, so a chain of
 * awaited statements (a routing job) never lets the event loop read sockets: webhooks would wait for the
 * whole chain. Yielding before each top-level statement lets pending requests in between.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

class PgliteSql implements Sql {
  readonly kind = 'pglite' as const;
  constructor(
    private readonly db: PGlite,
    private readonly inTransaction: boolean,
    private readonly prepared: PreparedStatements,
    private readonly tx?: Pick<PGlite, 'query' | 'exec'>,
  ) {}

  async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    if (!this.tx) await yieldToEventLoop();
    if (this.db.closed) classifyDatabaseError(new Error('PGlite is closed'));
    const target = this.tx ?? this.db;
    // Not inside a transaction: a PREPARE that fails there would abort the caller's transaction.
    const execute = this.tx ? null : await this.prepared.executable(text, params, async (prepare) => {
      await target.exec(prepare);
    });
    try {
      const result = execute ? await target.query<T>(execute) : await target.query<T>(text, params as unknown[]);
      return result.rows;
    } catch (err) {
      return classifyDatabaseError(err);
    }
  }

  async exec(text: string): Promise<void> {
    await (this.tx ?? this.db).exec(text).catch(classifyDatabaseError);
  }

  async transaction<R>(fn: (tx: Sql) => Promise<R>): Promise<R> {
    if (this.inTransaction) return fn(this);
    await yieldToEventLoop();
    return this.db.transaction((tx) => fn(new PgliteSql(this.db, true, this.prepared, tx))).catch(classifyDatabaseError);
  }

  async close(): Promise<void> {
    if (!this.inTransaction && !this.db.closed) await this.db.close();
  }
}

export interface PgliteOptions {
  /** Directory for a persistent database; omitted: in memory. */
  dataDir?: string;
  /** A `dumpDataDir()` tarball to start from (tests clone a migrated database instead of migrating again). */
  loadDataDir?: Blob | File;
}

export async function openPglite(opts: PgliteOptions = {}): Promise<{ sql: Sql; pglite: PGlite }> {
  if (opts.dataDir) keepOwnerOnly(opts.dataDir);
  const pglite = await PGlite.create({ dataDir: opts.dataDir, loadDataDir: opts.loadDataDir });
  return { sql: new PgliteSql(pglite, false, new PreparedStatements()), pglite };
}
