import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = join(ROOT, 'web');
const DIST_INDEX = join(WEB, 'dist', 'index.html');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Whether web/dist is missing or older than the console's sources (web/src, web/index.html, src/domain). */
export function webIsStale(): boolean {
  let built: number;
  try {
    built = statSync(DIST_INDEX).mtimeMs;
  } catch {
    return true;
  }
  const sources = Math.max(newest(join(WEB, 'src')), statSync(join(WEB, 'index.html')).mtimeMs, newest(join(ROOT, 'src', 'domain')));
  return sources > built;
}

/** Builds the console with Vite (web/vite.config.ts) into web/dist; `force: false` only when stale. */
export async function buildWeb(opts: { force: boolean; quiet?: boolean }): Promise<boolean> {
  if (!opts.force && !webIsStale()) return false;
  const { build } = await import('vite');
  await build({ configFile: join(WEB, 'vite.config.ts'), logLevel: opts.quiet ? 'warn' : 'info' });
  return true;
}
