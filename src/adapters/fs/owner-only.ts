import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** What smsdesk creates: readable and writable by its own user only (the process umask, set by the CLI). */
export const OWNER_ONLY_UMASK = 0o077;

/**
 * Makes DATA_DIR and everything under it owner-only (directories 0700, files 0600), for trees written by
 * versions that left the embedded database's files 0666. Symbolic links are neither followed nor changed.
 * Each directory is closed to others before its entries are looked at, so nobody else can swap an entry for
 * a link in between.
 */
export function makeOwnerOnly(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // DATA_DIR itself may be a link the operator made on purpose (./data → /srv/smsdesk): that one is followed.
  chmodSync(dataDir, 0o700);
  walk(dataDir);
}

function walk(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) chmod(path, want);
    if (st.isDirectory()) walk(path);
  }
}

function chmod(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    throw new Error(`cannot make ${path} owner-only: it belongs to another user; chown DATA_DIR to the user smsdesk runs as`, { cause: err });
  }
}
