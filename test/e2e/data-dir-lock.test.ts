import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../../bench/lib/children.ts';
import { buildConsole, cliEnv, runCli, startServe, type ServeChild } from '../helpers/cli.ts';
import { PASSWORD } from '../helpers/console.ts';

/**
 * One process owns an embedded database: `serve` locks DATA_DIR for its whole life, a second opener stops at
 * once with one line, and the CLI's writes go through the running server.
 */
describe('DATA_DIR is used by one process at a time', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'smsdesk-lock-'));
    dirs.push(dir);
    return dir;
  };
  beforeAll(buildConsole, 120_000);
  afterEach(async () => {
    await stopAll(10_000);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const userAdd = (dataDir: string, email: string, extra: string[] = []) =>
    runCli(['user', 'add', '--email', email, '--name', 'Bo', '--password-stdin', ...extra], cliEnv(dataDir), `${PASSWORD}\n`);
  const signIn = (server: ServeChild, email: string) =>
    fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });

  it('keeps every acked text and the new user when `user add` runs during a webhook burst, across a kill -9', async () => {
    const dataDir = tmp();
    const server = await startServe('smsdesk', dataDir);
    const customers = Array.from({ length: 8 }, (_, i) => `+1415555021${i}`);
    const acked: string[] = [];
    let added: Promise<Awaited<ReturnType<typeof userAdd>>> | null = null;
    let addDone = false;
    let sent = 0;
    // 8 texts in flight until `user add` (started after 40 acks) has finished, then 40 more.
    let after = 0;
    const sender = async () => {
      while (!addDone || after < 40) {
        const n = sent++;
        const res = await fetch(`${server.url}/sandbox/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
          body: JSON.stringify({ from: customers[n % customers.length], to: '+14155550199', body: `burst text ${n}` }),
        });
        const answer = (await res.json()) as { messageSid: string; webhookStatus: number };
        if (res.status === 200 && answer.webhookStatus === 200) acked.push(answer.messageSid);
        if (addDone) after++;
        if (acked.length >= 40 && !added) {
          added = userAdd(dataDir, 'bo@example.com', ['--admin']).then((r) => {
            addDone = true;
            return r;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    const result = await added!;
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/created admin bo@example\.com .*through the running smsdesk/);
    expect(result.code).toBe(0);
    expect(acked.length).toBeGreaterThanOrEqual(80);
    // The running server knows the user at once.
    expect((await signIn(server, 'bo@example.com')).status).toBe(200);

    await server.kill9();
    const again = await startServe('smsdesk again', dataDir);
    const stored = new Set<string>();
    for (const phone of customers) {
      const res = await fetch(`${again.url}/api/v1/messages?phone=${encodeURIComponent(phone)}`, { headers: { authorization: `Bearer ${again.token}` } });
      for (const m of ((await res.json()) as { messages: { sid: string }[] }).messages) stored.add(m.sid);
    }
    expect(acked.filter((sid) => !stored.has(sid))).toEqual([]);
    expect((await signIn(again, 'bo@example.com')).status).toBe(200);
  }, 300_000);

  it('stops a second `serve` on the same DATA_DIR at once with one line, and `migrate` refuses while it runs', async () => {
    const dataDir = tmp();
    const server = await startServe('smsdesk', dataDir);
    const second = await runCli(['serve'], cliEnv(dataDir));
    expect(second.code).not.toBe(0);
    expect(second.stdout).toBe('');
    const line = `smsdesk is already running on DATA_DIR ${dataDir} (pid ${server.child.pid}, ${server.url}); stop it first, or start this one with another DATA_DIR\n`;
    expect(second.stderr).toBe(line);

    const migrate = await runCli(['migrate'], cliEnv(dataDir));
    expect(migrate.code).not.toBe(0);
    expect(migrate.stderr).toMatch(new RegExp(`^smsdesk is already running on DATA_DIR ${dataDir} \\(pid ${server.child.pid}, .*\\); it applies migrations itself when it starts, so there is nothing to do\\n$`));
    // The server was not disturbed.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 300_000);

  it('runs `user add` and `migrate` on their own when no server runs, and takes over the lock a killed server left', async () => {
    const dataDir = tmp();
    const made = await userAdd(dataDir, 'ana@example.com', ['--admin']);
    expect(made.stdout).toMatch(/created admin ana@example\.com/);
    expect(made.code).toBe(0);
    expect((await runCli(['migrate'], cliEnv(dataDir))).stdout).toMatch(/database is up to date/);

    const server = await startServe('smsdesk', dataDir);
    expect((await signIn(server, 'ana@example.com')).status).toBe(200);
    await server.kill9();
    // The lock file of the dead server is still there: taken over, as is one from a pid that never ran smsdesk.
    const restarted = await startServe('smsdesk again', dataDir);
    expect((await signIn(restarted, 'ana@example.com')).status).toBe(200);
    await restarted.kill9();
    writeFileSync(join(dataDir, 'smsdesk.lock'), JSON.stringify({ pid: 2 ** 22 + 1, startedAt: new Date().toISOString(), url: 'http://127.0.0.1:1', command: 'serve', nonce: 'x' }));
    const bo = await userAdd(dataDir, 'bo@example.com');
    expect(bo.stdout).toMatch(/created agent bo@example\.com/);
    expect(bo.code).toBe(0);
  }, 300_000);
});
