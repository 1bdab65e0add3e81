import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { Config } from '../config.ts';
import { openDatabase } from '../adapters/db/open.ts';
import { migrate } from '../adapters/db/migrations.ts';
import { SqlUserStore } from '../adapters/db/user-store.ts';
import { hashPassword, passwordProblem } from '../domain/passwords.ts';

const USAGE = `usage: smsdesk user add --email EMAIL --name NAME [--admin] [--password-stdin]
  Creates a console user (an agent; --admin for an admin). The password is asked for without echo, or read
  from standard input with --password-stdin (e.g. from a secret store).`;

/** `smsdesk user add`: the first admin (and any user) from the command line, against the configured database. */
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
  const sql = await openDatabase(config);
  try {
    await migrate(sql);
    const users = new SqlUserStore(sql);
    if (await users.byEmail(values.email)) fail(`a user with the email ${values.email} exists already`);
    const created = await users.create({ email: values.email, name: values.name, role: values.admin ? 'admin' : 'agent', passwordHash: await hashPassword(password) });
    console.log(`created ${created.role} ${created.email} (id ${created.id}); sign in at the console's address`);
  } finally {
    await sql.close();
  }
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
