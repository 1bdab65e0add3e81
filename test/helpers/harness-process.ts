import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { inject } from 'vitest';

export interface HarnessChild {
  /** smsdesk's base URL in the child. */
  url: string;
  /** What signIn (console.ts) needs of a harness. */
  smsdesk: { url: string };
  /** Stops the child: closes its stdin, and kills it if it does not exit within a few seconds (a stuck event loop). */
  stop(): Promise<void>;
}

/**
 * Starts test/helpers/harness-child.ts: smsdesk and the emulator in a process of their own, with the admin
 * `adminEmail` (password PASSWORD), on a clone of the migrated PGlite template.
 */
export async function startHarnessChild(env: Record<string, string> = {}, adminEmail = 'ana@example.com'): Promise<HarnessChild> {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'test/helpers/harness-child.ts'], {
    env: { ...process.env, HARNESS_PGLITE_TEMPLATE: inject('pgliteTemplate'), HARNESS_ENV: JSON.stringify(env), HARNESS_ADMIN_EMAIL: adminEmail },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`the harness child exited (code ${code}) before it was ready`);
    }),
  ]);
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    smsdesk: { url },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(kill);
    },
  };
}
