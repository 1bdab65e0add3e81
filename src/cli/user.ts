import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { Config } from '../config.ts';
import { openDatabase } from '../adapters/db/open.ts';
import { migrate } from '../adapters/db/migrations.ts';
import { SqlUserStore } from '../adapters/db/user-store.ts';
import { hashPassword, passwordProblem } from '../domain/passwords.ts';
import { DataDirInUse, describeHolder, lockDataDir, type DataDirLock } from '../adapters/fs/data-dir-lock.ts';
import type { User } from '../ports/user-store.ts';
import { readGeneratedApiToken } from './sandbox-credentials.ts';

const USAGE = `usage: smsdesk user add --email EMAIL --name NAME [--admin] [--password-stdin]
  Creates a console user (an agent; --admin for an admin). The password is asked for without echo, or read
  from standard input with --password-stdin (e.g. from a secret store).`;

/**
 * `smsdesk user add`: the first admin (and any user) from the command line. With the embedded database and a
 * server running on it, through that server (`POST /api/v1/users`); otherwise straight in the database.
 */
export async function user(config: Config, argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, name: { type: 'string' }, admin: { type: 'boolean', default: false }, 'password-stdin': { type: 'boolean', default: false } },
    strict: true,
  });
  if (sub !== 'add' || !values.email || !values.name) {
    console.error(USAGE);
    process.exit(2);
  }
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email)) fail(`"${values.email}" is not an email address`);
  const password = values['password-stdin'] ? (await readStdin()).replace(/\r?\n$/, '') : await ask('Password: ');
  const problem = passwordProblem(password);
  if (problem) fail(`the password ${problem}`);
  const input = { email: values.email, name: values.name, role: values.admin ? 'admin' as const : 'agent' as const, password };
  // Shared PostgreSQL: any number of processes may write to it. Embedded: only DATA_DIR's holder may open it.
  const lock = config.databaseUrl ? undefined : await lockOrRunningServer(config.dataDir);
  if (typeof lock === 'string') return addThroughServer(lock, config, input);
  const sql = await openDatabase(config, { lock, command: 'user add' });
  try {
    await migrate(sql);
    const users = new SqlUserStore(sql);
    if (await users.byEmail(input.email)) fail(`a user with the email ${input.email} exists already`);
    const created = await users.create({ email: input.email, name: input.name, role: input.role, passwordHash: await hashPassword(password) });
    console.log(`created ${created.role} ${created.email} (id ${created.id}); sign in at the console's address`);
  } finally {
    await sql.close();
    lock?.release();
  }
}

/** Waiting for a holder that has no URL yet: a server still starting, or another command about to finish. */
const WAIT_FOR_HOLDER_MS = 120_000;

/** DATA_DIR's lock for this command, or the URL of the smsdesk server that holds it. */
async function lockOrRunningServer(dataDir: string): Promise<DataDirLock | string> {
  const deadline = Date.now() + WAIT_FOR_HOLDER_MS;
  let told = false;
  for (;;) {
    try {
      return lockDataDir(dataDir, 'user add');
    } catch (err) {
      if (!(err instanceof DataDirInUse)) throw err;
      if (err.holder.command === 'serve' && err.holder.url) return err.holder.url;
      if (Date.now() > deadline) fail(`${describeHolder(dataDir, err.holder)} and did not finish within ${WAIT_FOR_HOLDER_MS / 1000} s; try again later`);
      if (!told) console.error(`${describeHolder(dataDir, err.holder)}: waiting for it`);
      told = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The running server owns the embedded database: the user is made through its admin API, with the API token. */
async function addThroughServer(url: string, config: Config, input: { email: string; name: string; role: 'admin' | 'agent'; password: string }): Promise<void> {
  const token = config.apiToken ?? readGeneratedApiToken(config.dataDir);
  if (!token) fail(`smsdesk is running at ${url}, but its API token is not known here: run user add with the server's SMSDESK_API_TOKEN`);
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
  } catch (err) {
    fail(`smsdesk holds DATA_DIR ${config.dataDir} but does not answer at ${url} (${(err as Error).message}); try again once it is up`);
  }
  const answer = (await res.json().catch(() => ({}))) as { user?: User; error?: { code: string; message: string } };
  if (res.status === 201 && answer.user) {
    console.log(`created ${answer.user.role} ${answer.user.email} (id ${answer.user.id}) through the running smsdesk at ${url}; sign in at the console's address`);
    return;
  }
  if (res.status === 401) fail(`the running smsdesk at ${url} refused the API token: run user add with the server's SMSDESK_API_TOKEN (or its DATA_DIR)`);
  if (answer.error?.code === 'user_exists') fail(`a user with the email ${input.email} exists already`);
  fail(`the running smsdesk at ${url} refused the user: ${answer.error?.message ?? `HTTP ${res.status}`}`);
}

function fail(message: string): never {
  console.error(`smsdesk user: ${message}`);
  process.exit(2);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A line from the terminal, not echoed. */
function ask(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) fail('no terminal to ask the password on: pass --password-stdin and pipe it in');
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stdout.write(prompt);
    out._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}
