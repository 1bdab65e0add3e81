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

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True for errors that mean the database cannot be reached or is not taking work right now: answer 503 (Twilio
 * retries), retry the job later. PostgreSQL's SQLSTATEs: class 08 (connection exception), 57P01–57P03
 * (admin or crash shutdown, cannot connect now: starting up, shutting down, in recovery), 53300 (too many
 * connections), and 55000 when it says the database "is not currently accepting connections" (ALTER DATABASE …
 * ALLOW_CONNECTIONS false, a database being dropped or restored); 55000 otherwise is a real error.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (NETWORK_CODES.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (code === '55000' && /not currently accepting connections/i.test(message)) return true;
  return /Connection terminated|connection timeout|PGlite is closed|closed database|Cannot use a pool after calling end|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}

/**
 * Rethrows a database error that means "unreachable" as the core's typed error (503 at the HTTP edge, a
 * retry for a job); any other error unchanged. The adapters pass every failure through it.
 */
export function classifyDatabaseError(err: unknown): never {
  if (err instanceof AppError || !isUnavailable(err)) throw err;
  throw new AppError('unavailable', 'database_unavailable', 'The database is unavailable; retry shortly.', { cause: err });
}
