import pg from 'pg';
// node-postgres's own conversion of JS values to their Postgres text form (arrays, dates, JSON).
import { prepareValue } from 'pg/lib/utils.js';

/**
 * Prepared statements for PGlite. In WASM, parsing and planning a statement costs more than running it
 * (a three-table routing read: 0.75 ms as a plain query, 0.24 ms prepared), and PGlite's protocol has no
 * named statements, so each statement is PREPAREd once per session and run with EXECUTE. EXECUTE takes no
 * bind parameters, so values are written as literals quoted by node-postgres's escapeLiteral (the same
 * quoting its client uses): never by hand.
 */
const MAX_PREPARED = 256;

export class PreparedStatements {
  /** Statement text → its prepared name, or null for "run as it is"; a pending PREPARE is shared. */
  private readonly names = new Map<string, Promise<string | null>>();

  /** The EXECUTE text for `text` with `params`, preparing it first if needed; null: run it as it is. */
  async executable(text: string, params: readonly unknown[], prepare: (sql: string) => Promise<void>): Promise<string | null> {
    if (params.length === 0) return null;
    const literals = toLiterals(params);
    if (!literals) return null;
    let pending = this.names.get(text);
    if (!pending) {
      if (this.names.size >= MAX_PREPARED) return null;
      const name = `smsdesk_s${this.names.size + 1}`;
      // Reserved before the first await, so two first uses neither race for a name nor prepare twice.
      pending = prepare(`PREPARE ${name} AS ${text}`).then(
        () => name,
        // Some statements cannot be prepared (or their parameter types not inferred): run those as they are.
        () => null,
      );
      this.names.set(text, pending);
    }
    const name = await pending;
    return name === null ? null : `EXECUTE ${name}(${literals.join(', ')})`;
  }
}

function toLiterals(params: readonly unknown[]): string[] | null {
  const out: string[] = [];
  for (const p of params) {
    const value = prepareValue(p);
    if (value === null || value === undefined) {
      out.push('NULL');
    } else if (typeof value === 'string') {
      out.push(pg.escapeLiteral(value));
    } else {
      return null; // binary data: leave it to the protocol's bind parameters
    }
  }
  return out;
}
