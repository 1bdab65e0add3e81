import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { buildWeb } from '../../src/cli/build-web.ts';

/** Debian's chromium (apt-get install -y chromium); .ci/run installs it when missing. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

if (!CHROMIUM) console.warn('chromium is not installed: browser tests are skipped (apt-get install -y chromium runs them).');

/** The console built (when its sources changed) and a headless chromium to drive it. */
export async function launchBrowser(): Promise<Browser> {
  await buildWeb({ force: false, quiet: true });
  return chromium.launch({
    executablePath: CHROMIUM!,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}
