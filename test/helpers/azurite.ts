import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Azurite's published development account; not a secret, identical in every Azurite install. */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 3;

/**
 * Preloaded into the child: exit as soon as our end of its stdin pipe closes. The pipe closes whenever
 * this process dies, including by SIGKILL or a crashed vitest worker, where no 'exit' handler runs, so
 * Azurite can never be orphaned.
 */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  'process.stdin.on("end", () => process.exit(0)); process.stdin.on("error", () => process.exit(0)); process.stdin.resume();',
)}`;

export interface Azurite {
  connectionString: string;
  stop(): Promise<void>;
}

/** Starts a private, in-memory Azurite blob service on a free port. Call stop() in afterAll. */
export async function startAzurite(): Promise<Azurite> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      return await startOn(port);
    } catch (err) {
      // Another process can grab the port between our probe closing and Azurite binding it.
      if (err instanceof PortTakenError && attempt < PORT_ATTEMPTS) continue;
      throw err;
    }
  }
}

class PortTakenError extends Error {}

async function startOn(port: number): Promise<Azurite> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      EXIT_WITH_PARENT,
      azuriteBlobEntry(),
      '--blobHost', HOST,
      '--blobPort', String(port),
      '--silent',
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
    ],
    // With in-memory persistence Azurite writes nothing, but its workspace defaults to the cwd; keep
    // that out of the repository in case a future version does.
    { cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] },
  );

  let output = '';
  const collect = (chunk: Buffer): void => {
    // Bounded: only needed to explain a failed start.
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    // SIGKILL rather than a graceful stop: state is in memory only, and Azurite's graceful close waits
    // for idle keep-alive sockets from the SDK.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };

  try {
    await waitUntilListening(child, port, () => output);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
      `BlobEndpoint=http://${HOST}:${port}/${DEV_ACCOUNT};`,
    stop,
  };
}

/**
 * Ready means our own child has reported binding the port and the port accepts connections. The log line
 * alone proves the listener is Azurite's and not whoever else might have taken the port; the connection
 * check makes sure the socket is actually accepting.
 */
async function waitUntilListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = `Azurite exited (${child.exitCode ?? child.signalCode}) before listening on ${HOST}:${port}`;
      if (output().includes('EADDRINUSE')) throw new PortTakenError(why);
      throw new Error(`${why}. Output:\n${output()}`);
    }
    if (output().includes('successfully listens') && (await accepts(port))) return;
    await sleep(50);
  }
  throw new Error(`Azurite did not listen on ${HOST}:${port} within ${READY_TIMEOUT_MS} ms. Output:\n${output()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

/** Runs the JS entry with our own node rather than .bin/azurite-blob, which is a shell shim on some platforms. */
function azuriteBlobEntry(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('azurite/package.json');
  const manifest: unknown = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const bin =
    typeof manifest === 'object' && manifest !== null && 'bin' in manifest && typeof manifest.bin === 'object' && manifest.bin !== null
      ? manifest.bin
      : undefined;
  const entry = bin !== undefined && 'azurite-blob' in bin ? bin['azurite-blob'] : undefined;
  if (typeof entry !== 'string') throw new Error(`no azurite-blob entry in ${manifestPath}`);
  return path.join(path.dirname(manifestPath), entry);
}
