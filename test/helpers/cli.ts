// smsdesk as an operator runs it: `node bin/smsdesk.js serve` and the other commands as child processes of their
// own (the bench scripts' child plumbing), on a DATA_DIR of the test's choosing. Waits on the children's output
// lines and exit, never on the clock.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, childEnv, deathNotice, startChild, stopChild, type ServerChild } from '../../bench/lib/children.ts';
import { buildWeb } from '../../src/cli/build-web.ts';

export interface ServeChild {
  child: ServerChild;
  /** The address it listens on (from its "smsdesk is up at" line). */
  url: string;
  /** Every log message it printed so far (pino's `msg`, or the raw line). */
  messages: string[];
  token: string;
  /** Sends SIGKILL and waits for the exit: a crash. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Only what the test gives: no DATABASE_URL, Twilio credentials or config file leak in from the test's environment. */
export const cliEnv = (dataDir: string, extra: Record<string, string> = {}) =>
  childEnv({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...extra });

/** The console is built before any child starts, so that `serve` never builds it (children would race on web/dist). */
export const buildConsole = () => buildWeb({ force: false, quiet: true });

const messageOf = (line: string): string => {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === 'string' ? parsed.msg : line;
  } catch {
    return line;
  }
};

/** Resolves with the first output line (as a log message) matching `pattern`, seen already or to come; fails when the child exits first or after `timeoutMs`. */
export function waitForMessage(child: ServerChild, seen: string[], pattern: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.proc.off('line', onLine);
      child.proc.off('exit', onExit);
    };
    const onLine = (line: string) => {
      const m = messageOf(line).match(pattern);
      if (m) {
        done();
        resolve(m);
      }
    };
    const onExit = () => {
      done();
      reject(deathNotice(child));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${child.name}: no line matching ${pattern} within ${timeoutMs / 1000} s; last output:\n  ${child.tail.join('\n  ')}`));
    }, timeoutMs);
    child.proc.on('line', onLine);
    child.proc.once('exit', onExit);
    for (const m of seen) if (m.match(pattern)) return onLine(m);
    if (!alive(child)) onExit();
  });
}

/** Starts `smsdesk serve` in sandbox mode on `dataDir` and resolves once it says it is up. */
export async function startServe(name: string, dataDir: string, extra: Record<string, string> = {}): Promise<ServeChild> {
  const child = startChild(name, 'bin/smsdesk.js', ['serve'], cliEnv(dataDir, extra), 0);
  const messages: string[] = [];
  child.proc.on('line', (line: string) => messages.push(messageOf(line)));
  const up = await waitForMessage(child, messages, /smsdesk is up at (http:\/\/\S+)/);
  return {
    child,
    url: up[1]!,
    messages,
    token: extra.SMSDESK_API_TOKEN ?? readFileSync(join(dataDir, 'api-token'), 'utf8').trim(),
    async kill9() {
      if (alive(child)) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
      await stopChild(child, 0);
    },
    stop: () => stopChild(child, 10_000),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `smsdesk <args>` to its end, `input` on its standard input. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/smsdesk.js', ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    child.stdin!.end(input);
  });
}
