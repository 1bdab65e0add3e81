// Runs once per `npm test`: says plainly which suites are skipped for lack of PostgreSQL.
export default function setup(): void {
  if (!process.env.TEST_DATABASE_URL) {
    console.warn('TEST_DATABASE_URL is unset: PostgreSQL suites are skipped (PGlite suites still run). ' +
      'Set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to run them.');
  }
}
