import { afterEach, describe, expect, it } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';

// Values as an attacker could send them in a text, through every parameter type smsdesk binds.
const hostile = [
  "it's", "'); DROP TABLE messages; --", 'back\\slash \\\' mixed', '$1 $2 ::text', 'line\nbreak\r\ttab',
  '😀 emoji and ünïcödé', 'E\'escape\'', '"double" quotes', '', ' ', '\\x00 not a nul', "''''",
];

describe.each(backends)('statement parameters on $name', (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.cleanup());

  it('round-trips hostile text, JSON, arrays, dates, booleans and NULL exactly, twice (prepared the second time)', async () => {
    db = await backend.open();
    await db.sql.exec('CREATE TABLE roundtrip (t text, j jsonb, a text[], i int[], d timestamptz, b boolean, n int)');
    const date = new Date('2026-11-23T04:05:06.789Z');
    for (const pass of [1, 2]) {
      for (const value of hostile) {
        const rows = await db.sql.query<{ t: string; j: { v: string }; a: string[]; i: number[]; d: Date; b: boolean; n: number | null }>(
          `WITH ins AS (INSERT INTO roundtrip (t, j, a, i, d, b, n) VALUES ($1, $2::jsonb, $3, $4::int[], $5, $6, $7) RETURNING *)
           SELECT * FROM ins`,
          [value, JSON.stringify({ v: value }), [value, 'x', null], [1, 2, pass], date, pass === 1, null],
        );
        expect(rows[0]).toEqual({ t: value, j: { v: value }, a: [value, 'x', null], i: [1, 2, pass], d: date, b: pass === 1, n: null });
      }
    }
    const count = await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM roundtrip');
    expect(count[0]!.n).toBe(hostile.length * 2);
    if (backend.name === 'pglite') {
      // The embedded database ran them as prepared statements (EXECUTE with quoted literals).
      const prepared = await db.sql.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements');
      expect(prepared.some((p) => p.statement.includes('INSERT INTO roundtrip'))).toBe(true);
    }
  });
});
