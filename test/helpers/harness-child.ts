// A harness (smsdesk + the Twilio emulator on PGlite, with an admin user) in a child process of its own, for a test
// that must watch smsdesk from outside: a server whose event loop is stuck would also stop the test's own timers,
// so the test could never fail, only hang. Started by startHarnessChild (harness-process.ts).
import { readFileSync } from 'node:fs';
import { openPglite } from '../../src/adapters/db/pglite.ts';
import type { Backend } from './databases.ts';
import { startHarness } from './harness.ts';
import { addUser } from './console.ts';

const template = process.env.HARNESS_PGLITE_TEMPLATE;
if (!template) throw new Error('HARNESS_PGLITE_TEMPLATE is unset');
const backend: Backend = {
  name: 'pglite',
  async open() {
    const { sql } = await openPglite({ loadDataDir: new Blob([readFileSync(template)]) });
    return { sql, cleanup: () => sql.close() };
  },
};

const h = await startHarness(backend, { env: JSON.parse(process.env.HARNESS_ENV ?? '{}') as Record<string, string> });
await addUser(h, process.env.HARNESS_ADMIN_EMAIL ?? 'ana@example.com', 'admin');
process.stdout.write(`${JSON.stringify({ url: h.smsdesk.url })}\n`);

// The parent closes stdin to stop it, and stdin ends by itself when the parent is gone.
process.stdin.resume();
process.stdin.on('end', () => {
  void h.close().finally(() => process.exit(0));
});
