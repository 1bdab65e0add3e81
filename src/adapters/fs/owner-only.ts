import fs, { chmodSync, lstatSync, mkdirSync, readdirSync, type Mode, type PathLike } from 'node:fs';
import { join, resolve, sep } from 'node:path';

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

const ownerOnlyRoots = new Set<string>();

/**
 * The embedded database's file layer (Emscripten's NODEFS, under PGlite) sets every file's mode itself with
 * `fs.chmodSync`: 0666 for the files of its initial database, 0644 for later ones. The process umask never
 * reaches those calls, so for files under `root` they are made owner-only here (the engine runs as this
 * user and needs nothing more). Our own code imports `chmodSync` by name and is not affected.
 */
export function keepOwnerOnly(root: string): void {
  if (ownerOnlyRoots.size === 0) {
    const original = fs.chmodSync;
    const patched = (path: PathLike, mode: Mode) => original(path, underOwnerOnlyRoot(path) ? toMode(mode) & ~OWNER_ONLY_UMASK : mode);
    (fs as unknown as { chmodSync: typeof patched }).chmodSync = patched;
  }
  ownerOnlyRoots.add(resolve(root) + sep);
}

function underOwnerOnlyRoot(path: PathLike): boolean {
  const full = resolve(path instanceof URL ? path.pathname : String(path));
  for (const root of ownerOnlyRoots) if (full.startsWith(root)) return true;
  return false;
}

const toMode = (mode: Mode) => (typeof mode === 'string' ? parseInt(mode, 8) : mode);
