import pg from 'pg';
import { classifyDatabaseError, type Sql } from './sql.ts';

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

class PostgresSql implements Sql {
  readonly kind = 'postgres' as const;
  private readonly listeners = new Set<pg.PoolClient>();
  private closing = false;
  constructor(
    private readonly pool: pg.Pool,
    private readonly client?: Queryable,
  ) {}

  async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const result = await (this.client ?? this.pool).query(text, params as unknown[]);
      return result.rows as T[];
    } catch (err) {
      return classifyDatabaseError(err);
    }
  }

  async exec(text: string): Promise<void> {
    // Without parameters node-postgres uses the simple protocol, which accepts several statements.
    await (this.client ?? this.pool).query(text).catch(classifyDatabaseError);
  }

  async transaction<R>(fn: (tx: Sql) => Promise<R>): Promise<R> {
    if (this.client) return fn(this);
    const client = await this.pool.connect().catch(classifyDatabaseError);
    try {
      await client.query('BEGIN');
      const result = await fn(new PostgresSql(this.pool, client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // BEGIN or COMMIT on a connection that just died: as unavailable as a failed query.
      return classifyDatabaseError(err);
    } finally {
      client.release();
    }
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => void> {
    let current: pg.PoolClient | null = null;
    let stopped = false;
    const connect = async (): Promise<void> => {
      if (stopped || this.closing) return;
      const client = await this.pool.connect();
      current = client;
      this.listeners.add(client);
      client.on('notification', (m) => {
        if (m.channel === channel && m.payload !== undefined) onPayload(m.payload);
      });
      client.on('error', () => {
        this.listeners.delete(client);
        client.release(true);
        if (!this.closing && !stopped) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
      });
      await client.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
    };
    await connect().catch(classifyDatabaseError);
    return () => {
      stopped = true;
      if (current && this.listeners.delete(current)) current.release(true);
    };
  }

  async close(): Promise<void> {
    if (this.client) return;
    this.closing = true;
    for (const client of this.listeners) client.release(true);
    this.listeners.clear();
    await this.pool.end();
  }
}

/**
 * bigint columns (helpdesk ids) as numbers, as PGlite returns them: every id smsdesk stores is below 2^53.
 * A value that is not would lose digits, so it is refused instead.
 */
const BIGINT_AS_NUMBER = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 && format !== 'binary') {
      return (value: string) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} is beyond 2^53`);
        return n;
      };
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  connectionString: string;
  /** Schema to work in (tests isolate themselves in a fresh schema each); created when missing. */
  schema?: string;
  max?: number;
}

export async function openPostgres(opts: PostgresOptions): Promise<Sql> {
  if (opts.schema) {
    const admin = new pg.Client({ connectionString: opts.connectionString });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${opts.schema.replace(/"/g, '""')}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    types: BIGINT_AS_NUMBER,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5_000,
    options: opts.schema ? `-c search_path="${opts.schema.replace(/"/g, '""')}"` : undefined,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return new PostgresSql(pool);
}
