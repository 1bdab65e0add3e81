declare module 'pg/lib/utils.js' {
  /** node-postgres: a JS value in the text form Postgres parses (arrays, dates, JSON); Buffers stay Buffers. */
  export function prepareValue(value: unknown): string | Buffer | null | undefined;
}
