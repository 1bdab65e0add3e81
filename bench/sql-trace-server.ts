// Diagnostic stand-in for `smsdesk serve` (credentials configured, embedded PGlite), used by
// `npm run bench:ingest -- --trace-sql`: the same startSmsdesk() with the same config, but the PGlite instance is
// instrumented so every statement's execution time inside PGlite is accounted to its SQL text.
//
// PGlite runs one statement at a time, synchronously, on the event loop, so the time spent in execProtocolStream
// (parse/bind/execute of the wasm Postgres) and syncToFs is exactly the time the event loop was not serving HTTP.
// SIGUSR2 writes the counters gathered since the last SIGUSR2 as one JSON line to SQL_TRACE_OUT and resets them,
// so the benchmark can split them by phase; SIGTERM/SIGINT write the last phase, close and exit.
//
// SQL_TRACE_EXPERIMENT changes one thing from outside src/, to test an explanation (never for real figures):
//   yield      before each statement, yield to the event loop (setImmediate), as a networked database would;
//   no-worker  start smsdesk without its routing worker (ack path alone; texts are stored, never routed);
//   analyze    run ANALYZE jobs every second (PGlite has no autovacuum, so the planner never learns the queue's size).
// Several may be combined with commas: yield,analyze.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import { createLogger, startSmsdesk } from '../src/smsdesk.ts';
import { openPglite } from '../src/adapters/db/pglite.ts';

const out = process.env.SQL_TRACE_OUT;
if (!out) {
  console.error('sql-trace-server: SQL_TRACE_OUT is required');
  process.exit(2);
}
const config = loadConfig();
if (config.twilio.sandbox || config.databaseUrl) {
  console.error('sql-trace-server: needs TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN and no DATABASE_URL');
  process.exit(2);
}
const logger = createLogger(config.logLevel);
const dir = join(config.dataDir, 'db');
mkdirSync(dir, { recursive: true });
const { sql, pglite } = await openPglite({ dataDir: dir });
const experiments = new Set((process.env.SQL_TRACE_EXPERIMENT ?? '').split(',').filter(Boolean));
for (const e of experiments) {
  if (!['yield', 'no-worker', 'analyze'].includes(e)) {
    console.error(`sql-trace-server: unknown SQL_TRACE_EXPERIMENT "${e}"`);
    process.exit(2);
  }
}

interface Entry {
  calls: number;
  ms: number;
  maxMs: number;
  syncMs: number;
}
let entries = new Map<string, Entry>();
let phaseStart = performance.now();
let elu = performance.eventLoopUtilization();
let current = '(none)';
let currentStart = 0;
let currentMs = 0;

/** The statement text of a Parse ('P') or simple Query ('Q') frontend message, normalized to one line. */
function statementOf(msg: Uint8Array): string | null {
  const type = msg[0];
  if (type !== 0x50 && type !== 0x51) return null;
  let start = 5;
  if (type === 0x50) {
    while (start < msg.length && msg[start] !== 0) start++; // statement name
    start++;
  }
  let end = start;
  while (end < msg.length && msg[end] !== 0) end++;
  return Buffer.from(msg.subarray(start, end)).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 160);
}

function entry(text: string): Entry {
  let e = entries.get(text);
  if (!e) {
    e = { calls: 0, ms: 0, maxMs: 0, syncMs: 0 };
    entries.set(text, e);
  }
  return e;
}

function finishCurrent(): void {
  if (!currentStart) return;
  const e = entry(current);
  e.calls++;
  e.ms += currentMs;
  e.maxMs = Math.max(e.maxMs, currentMs);
  currentStart = 0;
  currentMs = 0;
}

const execProtocolStream = pglite.execProtocolStream.bind(pglite);
pglite.execProtocolStream = async (message, options) => {
  const text = statementOf(message);
  if (text !== null && experiments.has('yield')) await new Promise<void>((r) => setImmediate(r));
  if (text !== null) {
    finishCurrent();
    current = text;
    currentStart = performance.now();
  }
  const t0 = performance.now();
  try {
    return await execProtocolStream(message, options);
  } finally {
    currentMs += performance.now() - t0;
  }
};
const syncToFs = pglite.syncToFs.bind(pglite);
pglite.syncToFs = async () => {
  const t0 = performance.now();
  try {
    await syncToFs();
  } finally {
    entry(current).syncMs += performance.now() - t0;
  }
};

function snapshot(label: string): void {
  finishCurrent();
  const now = performance.now();
  const u = performance.eventLoopUtilization(elu);
  const rows = [...entries].map(([text, e]) => ({
    text, calls: e.calls, ms: Math.round(e.ms * 10) / 10, maxMs: Math.round(e.maxMs * 10) / 10, syncMs: Math.round(e.syncMs * 10) / 10,
  }));
  rows.sort((a, b) => b.ms + b.syncMs - (a.ms + a.syncMs));
  appendFileSync(out!, JSON.stringify({ label, wallMs: Math.round(now - phaseStart), eventLoopUtilization: Math.round(u.utilization * 1000) / 1000, rows }) + '\n');
  entries = new Map();
  phaseStart = now;
  elu = performance.eventLoopUtilization();
}

const smsdesk = await startSmsdesk({ config, logger, sql, startWorker: !experiments.has('no-worker') });
if (experiments.has('analyze')) {
  setInterval(() => void sql.query('ANALYZE jobs').catch(() => undefined), 1000).unref();
}
let phase = 0;
process.on('SIGUSR2', () => snapshot(`phase ${++phase}`));
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  snapshot(`phase ${++phase} (until stop)`);
  await smsdesk.close();
  await sql.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
