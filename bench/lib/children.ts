// Child-process plumbing shared by the bench scripts: servers started as child processes, their output collected,
// stopped on the way out, and a synchronous last resort so that no server or data dir outlives the script
// (on exit, SIGINT, SIGTERM and SIGHUP). Also the scripts' number-flag parsing and main() wrapper.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: children run there. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServerChild {
  name: string;
  proc: ChildProcess;
  pid: number;
  port: number;
  /** Last lines the child printed (stdout and stderr), for diagnosing a crash. */
  tail: string[];
  /** Log lines at warn or above (pino JSON level ≥ 40) or anything on stderr. */
  warnings: string[];
  exited: Promise<void>;
}

const children = new Set<ServerChild>();
/** Data dirs and files to remove on the way out, however the script ends; delete an entry once removed. */
export const tempDirs = new Set<string>();

/** Synchronous last resort, for 'exit' and signals: no orphaned servers, no leftover data dirs. */
export function cleanupSync(): void {
  for (const child of children) if (alive(child)) child.proc.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Call once, at the top of a script: `script` (e.g. "bench:ingest") names it in the signal notice. */
export function installCleanup(script: string): void {
  process.on('exit', cleanupSync);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      console.error(`\n${script}: ${signal}, stopping the servers`);
      cleanupSync();
      process.exit(code);
    });
  }
}

/** Runs a script's main(): a failure is printed as "<script> failed: …" with exit code 1; every child is stopped after. */
export async function runMain(script: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    console.error(`${script} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await stopAll(5_000);
    cleanupSync();
  }
}

/** A number flag: exits 2 with "<script>: --name must be …" unless it is a (whole, by default) number ≥ min. */
export function numberFlag(script: string, name: string, raw: string | undefined, min: number, integer = true): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    console.error(`${script}: --${name} must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Just what the server needs: nothing inherited can point it at another database (PostgreSQL), a config file or a helpdesk. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  return { ...env, ...extra };
}

/**
 * Starts `node [nodeFlags] script args` in the repository root, collecting its output (tail, warnings); each line is
 * also emitted as a 'line' event on `child.proc`. The child is stopped by stopAll / cleanupSync if not before.
 */
export function startChild(name: string, script: string, args: string[], env: NodeJS.ProcessEnv, port: number, nodeFlags: string[] = []): ServerChild {
  const proc = spawn(process.execPath, [...nodeFlags, script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const child: ServerChild = {
    name, proc, pid: proc.pid, port, tail: [], warnings: [],
    exited: new Promise((done) => proc.once('exit', () => done())),
  };
  const collect = (stream: NodeJS.ReadableStream | null, isStderr: boolean) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        child.tail.push(line);
        if (child.tail.length > 40) child.tail.shift();
        if (isStderr || pinoLevel(line) >= 40) child.warnings.push(line);
        proc.emit('line', line);
      }
    });
  };
  collect(proc.stdout, false);
  collect(proc.stderr, true);
  children.add(child);
  return child;
}

/** The level of a pino JSON log line, 0 for anything else. */
function pinoLevel(line: string): number {
  if (!line.startsWith('{')) return 0;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && 'level' in parsed && typeof parsed.level === 'number') return parsed.level;
  } catch {
    // not a log line
  }
  return 0;
}

export function alive(child: ServerChild): boolean {
  return child.proc.exitCode === null && child.proc.signalCode === null;
}

export function deathNotice(child: ServerChild): Error {
  return new Error(
    `${child.name} exited (code ${child.proc.exitCode}, signal ${child.proc.signalCode}); its last output:\n  ` +
      (child.tail.join('\n  ') || '(none)'),
  );
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ServerChild, graceMs: number): Promise<void> {
  if (alive(child)) {
    child.proc.kill('SIGTERM');
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
    await child.exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

/** Stops every child still running, one after the other. */
export async function stopAll(graceMs: number): Promise<void> {
  for (const child of [...children]) await stopChild(child, graceMs);
}

/**
 * Polls `check` every 100 ms until it answers true (a rejection counts as false); throws the death notice if the
 * child exits first, and `timeoutMessage` (by default "<name>: <what> did not happen within N s") after `timeoutMs`.
 */
export async function waitFor(
  child: ServerChild,
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  timeoutMessage = `${child.name}: ${what} did not happen within ${timeoutMs / 1000} s`,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive(child)) throw deathNotice(child);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(timeoutMessage);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
