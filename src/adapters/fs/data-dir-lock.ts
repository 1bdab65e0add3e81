import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One process at a time on a DATA_DIR: the embedded database (PGlite today, maybe an embedded PostgreSQL
 * tomorrow) must never be opened by two processes, so the lock is a file of its own, not the engine's.
 * `DATA_DIR/smsdesk.lock` holds who has it (pid, start, command, and the server's URL once it listens).
 *
 * It appears atomically with its content (written aside, then hard-linked into place, which fails when the
 * file exists), so a reader never sees half a lock. A holder that is gone (kill -9, a crash, a reboot) is
 * detected at once: its pid no longer runs, or now belongs to another process (the start time in /proc
 * differs, or the pid is this process's own, as for pid 1 in a restarted container).
 */
export interface LockHolder {
  pid: number;
  /** The command that holds it: `serve`, `migrate`, `user add`. */
  command: string;
  startedAt: string;
  /** The running server's address, once it listens (null while it starts, and for other commands). */
  url: string | null;
  /** /proc's start time of the pid (Linux), to tell a reused pid from the holder. */
  procStart: string | null;
  /** Unique per acquisition. */
  nonce: string;
}

export const LOCK_FILE = 'smsdesk.lock';
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Another live process holds DATA_DIR. The message is one line; callers add what to do. */
export class DataDirInUse extends Error {
  constructor(readonly dataDir: string, readonly holder: LockHolder, advice = 'stop it first, or start this one with another DATA_DIR') {
    super(`${describeHolder(dataDir, holder)}; ${advice}`);
    this.name = 'DataDirInUse';
  }
}

export function describeHolder(dataDir: string, h: LockHolder): string {
  return h.command === 'serve'
    ? `smsdesk is already running on DATA_DIR ${dataDir} (pid ${h.pid}, ${h.url ?? 'starting'})`
    : `smsdesk ${h.command} is using DATA_DIR ${dataDir} (pid ${h.pid})`;
}

/** Locks held by this process (by path), released on exit however the process ends short of a SIGKILL. */
const held = new Map<string, string>();
let exitHookInstalled = false;

export class DataDirLock {
  private holder: LockHolder;

  constructor(readonly dataDir: string, readonly path: string, holder: LockHolder) {
    this.holder = holder;
  }

  /** Records the server's address, where `smsdesk user add` finds it. */
  recordUrl(url: string): void {
    if (!held.has(this.path)) return;
    this.holder = { ...this.holder, url };
    // Written aside and renamed over: readers see the old or the new content, never a mix.
    const aside = `${this.path}.${this.holder.nonce}.tmp`;
    writeFileSync(aside, JSON.stringify(this.holder) + '\n', { mode: 0o600 });
    renameSync(aside, this.path);
  }

  release(): void {
    if (held.get(this.path) !== this.holder.nonce) return;
    held.delete(this.path);
    removeIfOurs(this.path, this.holder.nonce);
  }
}

/**
 * Takes DATA_DIR for this process (creating it owner-only), or throws DataDirInUse naming the live holder.
 * A stale lock is taken over; two processes starting together on a stale lock get it for one of them.
 */
export function lockDataDir(dataDir: string, command: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid, command, startedAt: new Date().toISOString(), url: null, procStart: procStartOf(process.pid),
    nonce: randomBytes(12).toString('hex'),
  };
  const ours = held.get(path);
  if (ours) throw new DataDirInUse(dataDir, { ...holder, nonce: ours }, 'this process opened it already');
  for (let attempt = 0; attempt < 200; attempt++) {
    if (create(path, holder)) {
      held.set(path, holder.nonce);
      installExitHook();
      return new DataDirLock(dataDir, path, holder);
    }
    const raw = readOrNull(path);
    if (raw === null) continue; // released meanwhile
    const current = parse(raw);
    if (current && isLive(current)) throw new DataDirInUse(dataDir, current);
    // Another starter is taking over: give it a moment (start-up is synchronous here), then look again.
    if (!takeOver(path, raw, holder)) Atomics.wait(PAUSE, 0, 0, 5);
  }
  throw new Error(`could not take ${path}: it keeps changing hands; is another smsdesk starting on this DATA_DIR?`);
}

/** Creates the lock file with its content in one step; false when one exists. */
function create(path: string, holder: LockHolder): boolean {
  const aside = `${path}.${holder.nonce}.tmp`;
  writeFileSync(aside, JSON.stringify(holder) + '\n', { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(aside);
  }
}

/**
 * Removes a stale lock (whose content was `stale`) so the caller can create its own. Only the holder of a
 * takeover guard (`smsdesk.lock.takeover`, created exclusively like the lock) may remove one, and only if the
 * lock still holds that stale content: a live lock is never removed, so of several starters on one stale lock
 * exactly one then creates the lock and the others find it live. A guard left by a process that died while
 * taking over is itself stale and removed the same way (compare, then unlink: a crash inside a takeover,
 * with other starters racing on it, is the only case this leaves to chance).
 */
function takeOver(path: string, stale: string, holder: LockHolder): boolean {
  const guard = `${path}.takeover`;
  if (!create(guard, holder)) {
    const raw = readOrNull(guard);
    const other = raw === null ? null : parse(raw);
    if (raw !== null && (!other || !isLive(other)) && readOrNull(guard) === raw) unlinkQuietly(guard);
    return false; // someone else is taking over, or was: look again
  }
  try {
    if (readOrNull(path) === stale) unlinkQuietly(path);
    return true;
  } finally {
    removeIfOurs(guard, holder.nonce);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function removeIfOurs(path: string, nonce: string): void {
  const current = parse(readOrNull(path) ?? '');
  if (current?.nonce === nonce) unlinkQuietly(path);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, nonce] of held) removeIfOurs(path, nonce);
    held.clear();
  });
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The holder in a lock file's content; null for anything unreadable (then stale: a real lock is written whole). */
function parse(raw: string): LockHolder | null {
  try {
    const h = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || !Number.isInteger(h.pid) || h.pid <= 0) return null;
    return {
      pid: h.pid, command: typeof h.command === 'string' ? h.command : 'serve', startedAt: String(h.startedAt ?? ''),
      url: typeof h.url === 'string' ? h.url : null, procStart: typeof h.procStart === 'string' ? h.procStart : null,
      nonce: String(h.nonce ?? ''),
    };
  } catch {
    return null;
  }
}

function isLive(h: LockHolder): boolean {
  // Not held by this process (checked before): our own pid in the file is an earlier life of this pid.
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: no such process
  }
  const now = procStartOf(h.pid);
  return !(h.procStart && now && now !== h.procStart);
}

/** Field 22 of /proc/<pid>/stat (start time after boot, in clock ticks); null where there is no /proc. */
function procStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
