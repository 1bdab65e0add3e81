import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUse, LOCK_FILE, lockDataDir } from '../../src/adapters/fs/data-dir-lock.ts';

/** The lock on DATA_DIR, independent of the database engine: who holds it, what is stale, what is released. */
describe('DATA_DIR lock', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'smsdesk-lockfile-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const lockFile = (dir: string) => join(dir, LOCK_FILE);
  const stale = (dir: string, holder: Record<string, unknown>) =>
    writeFileSync(lockFile(dir), JSON.stringify({ command: 'serve', startedAt: '2026-01-01T00:00:00Z', url: 'http://127.0.0.1:1', nonce: 'old', ...holder }));

  it('records who holds it and the server URL, refuses a second opener in the same process, and is gone once released', () => {
    const dir = tmp();
    const lock = lockDataDir(dir, 'serve');
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, command: 'serve', url: null });
    lock.recordUrl('http://127.0.0.1:3000');
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:3000' });
    expect(() => lockDataDir(dir, 'migrate')).toThrow(DataDirInUse);
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    lockDataDir(dir, 'migrate').release();
  });

  it('takes over a lock whose process is gone, whose pid now runs something else, or that is garbage', () => {
    for (const holder of [
      { pid: 2 ** 22 + 7 }, // no such process
      { pid: process.ppid, procStart: '1' }, // the pid runs, but started at another time: reused
      { pid: process.pid }, // this very pid in an earlier life (pid 1 in a restarted container)
    ]) {
      const dir = tmp();
      stale(dir, holder);
      const lock = lockDataDir(dir, 'serve');
      expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid);
      lock.release();
    }
    const dir = tmp();
    writeFileSync(lockFile(dir), '{"pid": ');
    lockDataDir(dir, 'serve').release();
  });

  it('does not release a lock that is not its own any more', () => {
    const dir = tmp();
    const lock = lockDataDir(dir, 'serve');
    stale(dir, { pid: 2 ** 22 + 7, nonce: 'someone else' });
    lock.release();
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).nonce).toBe('someone else');
  });

  it('gives a stale lock to exactly one of several processes starting at once; the others are told who has it', async () => {
    const dir = tmp();
    stale(dir, { pid: 2 ** 22 + 7 });
    const children = Array.from({ length: 5 }, () => {
      const proc = spawn(process.execPath, ['bin/run-ts.js', 'test/helpers/lock-holder.ts', dir], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: proc.stdout! });
      const next = () => new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        proc.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
      });
      return { proc, next };
    });
    try {
      await Promise.all(children.map((c) => c.next().then((l) => expect(l).toBe('ready'))));
      const answers = await Promise.all(children.map((c) => {
        const answer = c.next();
        c.proc.stdin!.write('go\n');
        return answer;
      }));
      expect([...answers].sort()).toEqual(['busy', 'busy', 'busy', 'busy', 'got']);
      const winner = children[answers.indexOf('got')]!;
      expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(winner.proc.pid);
    } finally {
      for (const c of children) c.proc.stdin!.end();
      await Promise.all(children.map((c) => (c.proc.exitCode === null ? new Promise((r) => c.proc.once('exit', r)) : null)));
    }
    // The winner released it on exit.
    expect(existsSync(lockFile(dir))).toBe(false);
  }, 60_000);
});
