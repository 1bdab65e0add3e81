import { AppError } from '../../domain/errors.ts';

/**
 * The one database interface the repositories use. Two implementations: embedded PGlite (a single
 * connection inside this process) and node-postgres (a pool against a shared PostgreSQL). Plain SQL with
 * positional parameters keeps both dialects identical; the schema sticks to what both understand.
 */
export interface Sql {
  readonly kind: 'pglite' | 'postgres';
  query<T extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
  /** Runs `fn` in one transaction; rolled back when it throws. Nested calls reuse the outer transaction. */
  transaction<R>(fn: (tx: Sql) => Promise<R>): Promise<R>;
  /**
   * PostgreSQL only: calls `onPayload` for each NOTIFY on `channel`, from any instance, on a connection of its
   * own (re-opened when it drops). Resolves to a function that stops listening (close() stops all).
   */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** True for errors that mean the database cannot be reached or is shutting down: answer 503, retry later. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006'].includes(e.code)) return true;
  return /Connection terminated|connection timeout|PGlite is closed|closed database|Cannot use a pool after calling end|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '');
}

/**
 * Rethrows a database error that means "unreachable" as the core's typed error (503 at the HTTP edge, a
 * retry for a job); any other error unchanged. The adapters pass every failure through it.
 */
export function classifyDatabaseError(err: unknown): never {
  if (err instanceof AppError || !isUnavailable(err)) throw err;
  throw new AppError('unavailable', 'database_unavailable', 'The database is unavailable; retry shortly.', { cause: err });
}
