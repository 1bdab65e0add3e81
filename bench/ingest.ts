// npm run bench:ingest [-- --count 10000 --concurrency 32 …]   (npm run bench:ingest -- --help lists the options)
//
// Fires signed Twilio webhooks from this process at smsdesk running as a child process with its embedded default
// (PGlite in a fresh DATA_DIR, real signature checking), and prints acked webhooks/s, ack latency p50/p99,
// end-to-end texts/s onto tickets and the server's peak RSS — next to the ceiling measured in the same run:
// a bare Fastify server (bench/bare-server.ts) that only checks the signature, under the same load.
// A report, not a test: it exits 0 whether or not the floors are met, and marks each floor ✓ or ✗.
// Figures are also written to bench/results/ingest.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { twilioSignature } from '../src/adapters/twilio/emulator/signature.ts';
import {
  alive, childEnv, deathNotice, freePort, installCleanup, numberFlag, runMain, type ServerChild, sleep, startChild, stopChild, tempDirs, waitFor,
} from './lib/children.ts';
import { int, mark, ms, round } from './lib/format.ts';

const SCRIPT = 'bench:ingest';
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const WEBHOOK_PATH = '/webhooks/twilio/messages';
const FLOORS = { ackedPerSec: 1000, p99Ms: 50, textsPerSec: 300 };

// ---------------------------------------------------------------------------------------------- options

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    customers: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '500' },
    timeout: { type: 'string', default: '120' },
    'poll-ms': { type: 'string', default: '250' },
    profile: { type: 'string' },
    'trace-sql': { type: 'boolean', default: false },
    experiment: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  console.log(`usage: npm run bench:ingest -- [options]
  --count N         webhooks in the measured run (default 10000)
  --concurrency C   requests in flight, one keep-alive socket each (default 32)
  --customers K     distinct From numbers, round-robin (default 500)
  --warmup W        webhooks fired (and routed) before measuring, from other customers (default 500; 0 = none)
  --timeout S       seconds to wait for every text to be routed (default 120)
  --poll-ms P       how often GET /api/v1/stats is polled after the last ack (default 250)
  --profile DIR     run the smsdesk child with --cpu-prof, writing the .cpuprofile into DIR
  --trace-sql       diagnosis: run smsdesk through bench/sql-trace-server.ts and print where PGlite time goes, by phase
  --experiment X    with --trace-sql, change one thing to test an explanation (figures are then not smsdesk's):
                    yield = yield to the event loop before each SQL statement; no-worker = ack path only, no routing;
                    analyze = ANALYZE jobs every second; combine with commas (yield,analyze)`);
  process.exit(0);
}

const positiveInt = (name: string, raw: string | undefined, min: number) => numberFlag(SCRIPT, name, raw, min);

const COUNT = positiveInt('count', flags.count, 1);
const CONCURRENCY = positiveInt('concurrency', flags.concurrency, 1);
const CUSTOMERS = positiveInt('customers', flags.customers, 1);
const WARMUP = positiveInt('warmup', flags.warmup, 0);
const TIMEOUT_MS = positiveInt('timeout', flags.timeout, 1) * 1000;
const POLL_MS = positiveInt('poll-ms', flags['poll-ms'], 1);
const PROFILE_DIR = flags.profile ? resolve(flags.profile) : null;
const EXPERIMENT = flags.experiment ?? null;
const TRACE_SQL = flags['trace-sql'] === true || EXPERIMENT !== null;
const EXPERIMENTS = new Set((EXPERIMENT ?? '').split(',').filter(Boolean));
for (const e of EXPERIMENTS) {
  if (!['yield', 'no-worker', 'analyze'].includes(e)) {
    console.error(`bench:ingest: --experiment takes yield, no-worker and/or analyze (comma-separated), got "${e}"`);
    process.exit(2);
  }
}
const CPUS = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

// No orphaned servers or leftover data dirs, however the script ends (children are started from bench/lib/children.ts).
installCleanup(SCRIPT);

// ------------------------------------------------------------------------------------------- RSS

/** Samples VmRSS every 100 ms; VmHWM (the kernel's own peak) is read at the end to catch spikes between samples. */
class RssSampler {
  private peakKb = 0;
  private hwmKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
    this.sample();
  }

  private read(): Record<string, number> {
    const out: Record<string, number> = {};
    try {
      for (const line of readFileSync(`/proc/${this.pid}/status`, 'utf8').split('\n')) {
        const m = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(line);
        if (m) out[m[1]!] = Number(m[2]);
      }
    } catch {
      // the process is gone
    }
    return out;
  }

  private sample(): void {
    const v = this.read();
    if (v.VmRSS !== undefined) this.peakKb = Math.max(this.peakKb, v.VmRSS);
    if (v.VmHWM !== undefined) this.hwmKb = Math.max(this.hwmKb, v.VmHWM);
  }

  /** Call before the process exits. */
  stop(): { sampledPeakMb: number; hwmMb: number } {
    this.sample();
    clearInterval(this.timer);
    return { sampledPeakMb: this.peakKb / 1024, hwmMb: this.hwmKb / 1024 };
  }
}

// ------------------------------------------------------------------------------------------- load

interface Prepared {
  body: Buffer;
  headers: http.OutgoingHttpHeaders;
}

interface Account {
  sid: string;
  token: string;
}

const TEXTS = [
  'Hi, my order still has not arrived. Can you check?',
  'Thanks! That fixed it.',
  'What time do you open tomorrow?',
  'I was charged twice for the same order, please refund one of them',
  'Can I change the delivery address to 55 Market St?',
  'ok',
  'Is the blue one back in stock yet? My daughter really wants it for her birthday next week.',
  'STOP sending me promos please, but keep order updates',
];

/** Signed webhooks as Twilio sends them, built before the clock starts so signing costs the generator nothing. */
function prepare(account: Account, port: number, count: number, customers: number, areaCode: string, seq: number): Prepared[] {
  const url = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
  const out: Prepared[] = [];
  for (let i = 0; i < count; i++) {
    const customer = i % customers;
    const sid = 'SM' + randomBytes(16).toString('hex');
    const to = customer % 2 === 0 ? '+14155550199' : '+14155550198';
    const params: Record<string, string> = {
      ToCountry: 'US', ToState: 'CA', SmsMessageSid: sid, NumMedia: '0', ToCity: 'SAN FRANCISCO', FromZip: '94107',
      SmsSid: sid, FromState: 'CA', SmsStatus: 'received', FromCity: 'SAN FRANCISCO',
      Body: `${TEXTS[(i + seq) % TEXTS.length]} (${seq + i})`, FromCountry: 'US', To: to, ToZip: '94105', NumSegments: '1',
      MessageSid: sid, AccountSid: account.sid, From: `+1${areaCode}${String(2_000_000 + customer)}`, ApiVersion: '2010-04-01',
    };
    const body = Buffer.from(new URLSearchParams(params).toString(), 'utf8');
    out.push({
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': body.length,
        'x-twilio-signature': twilioSignature(account.token, url, params),
        'user-agent': 'TwilioProxy/1.1',
        'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
      },
    });
  }
  return out;
}

interface FireResult {
  sent: number;
  ok: number;
  errors: number;
  firstError: string | null;
  /** performance.now() when the first request went out. */
  startedAt: number;
  wallMs: number;
  ackedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function post(agent: http.Agent, port: number, req: Prepared): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolveReq, reject) => {
    const r = http.request({ host: '127.0.0.1', port, path: WEBHOOK_PATH, method: 'POST', agent, headers: req.headers }, (res) => {
      const status = res.statusCode ?? 0;
      const type = String(res.headers['content-type'] ?? '');
      if (status === 200 && type.startsWith('text/xml')) {
        res.resume();
        res.once('end', () => resolveReq({ status, type, body: '' }));
      } else {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.once('end', () => resolveReq({ status, type, body }));
      }
      res.once('error', reject);
    });
    r.once('error', reject);
    r.end(req.body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Fixed concurrency: C loops, each with its own keep-alive socket, each sending its next webhook as soon as the last is acked. */
async function fire(port: number, reqs: Prepared[], concurrency: number): Promise<FireResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const latencies = new Float64Array(reqs.length);
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | null = null;
  const startedAt = performance.now();
  const loop = async () => {
    while (next < reqs.length) {
      const i = next++;
      const t0 = performance.now();
      try {
        const res = await post(agent, port, reqs[i]!);
        latencies[i] = performance.now() - t0;
        if (res.status === 200 && res.type.startsWith('text/xml')) ok++;
        else {
          errors++;
          firstError ??= `HTTP ${res.status} (${res.type || 'no content-type'}): ${res.body.slice(0, 500)}`;
        }
      } catch (err) {
        latencies[i] = performance.now() - t0;
        errors++;
        firstError ??= `request failed: ${(err as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, reqs.length) }, loop));
  const wallMs = performance.now() - startedAt;
  agent.destroy();
  latencies.sort();
  return {
    sent: reqs.length, ok, errors, firstError, startedAt, wallMs,
    ackedPerSec: reqs.length / (wallMs / 1000),
    p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: latencies[latencies.length - 1] ?? NaN,
  };
}

// ------------------------------------------------------------------------------------------- smsdesk API

interface Stats {
  messages: { inbound: number; routed: number };
  jobs: { ready: number; running: number; failed: number };
}

function getJson(port: number, path: string, token: string | null): Promise<{ status: number; json: unknown }> {
  return new Promise((resolveGet, reject) => {
    const headers: http.OutgoingHttpHeaders = token ? { authorization: `Bearer ${token}` } : {};
    const r = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.once('end', () => {
        let json: unknown = null;
        try {
          json = JSON.parse(body);
        } catch {
          json = body;
        }
        resolveGet({ status: res.statusCode ?? 0, json });
      });
      res.once('error', reject);
    });
    r.once('error', reject);
    r.setTimeout(10_000, () => r.destroy(new Error(`GET ${path} timed out`)));
  });
}

function isStats(v: unknown): v is Stats {
  if (typeof v !== 'object' || v === null || !('messages' in v) || !('jobs' in v)) return false;
  const m = v.messages;
  return typeof m === 'object' && m !== null && 'routed' in m && typeof m.routed === 'number';
}

async function stats(server: ServerChild, token: string): Promise<Stats> {
  if (!alive(server)) throw deathNotice(server);
  const res = await getJson(server.port, '/api/v1/stats', token);
  if (res.status !== 200 || !isStats(res.json)) {
    throw new Error(`GET /api/v1/stats answered ${res.status}: ${JSON.stringify(res.json).slice(0, 300)}`);
  }
  return res.json;
}

interface Drain {
  /** Texts routed when the wait ended, counting only this phase's. */
  routed: number;
  target: number;
  done: boolean;
  /** From the first request of the phase until stats showed every text routed (or the timeout). */
  elapsedMs: number;
  last: Stats;
  /** Routed count (this phase) over time since the first request, sampled every ~500 ms. */
  timeline: { atMs: number; routed: number; ready: number; running: number }[];
}

/** Polls stats every POLL_MS (50) until `base + target` texts are routed or the timeout passes. */
async function waitRouted(server: ServerChild, token: string, base: number, target: number, startedAt: number, timeoutMs: number): Promise<Drain> {
  const timeline: Drain['timeline'] = [];
  let lastMark = -Infinity;
  for (;;) {
    const s = await stats(server, token);
    const now = performance.now() - startedAt;
    const routed = s.messages.routed - base;
    if (now - lastMark >= 500) {
      timeline.push({ atMs: Math.round(now), routed, ready: s.jobs.ready, running: s.jobs.running });
      lastMark = now;
    }
    if (routed >= target) return { routed, target, done: true, elapsedMs: now, last: s, timeline };
    if (now > timeoutMs) return { routed, target, done: false, elapsedMs: now, last: s, timeline };
    await sleep(POLL_MS);
  }
}

// ------------------------------------------------------------------------------------------- phases

interface CeilingResult {
  ack: FireResult;
  warmup: FireResult | null;
  rss: { sampledPeakMb: number; hwmMb: number };
}

async function runCeiling(account: Account): Promise<CeilingResult> {
  const port = await freePort();
  const server = startChild('bare server', 'bin/run-ts.js', ['bench/bare-server.ts'],
    childEnv({ PORT: String(port), HOST: '127.0.0.1', TWILIO_AUTH_TOKEN: account.token, NODE_ENV: 'production' }), port);
  try {
    let listening = false;
    server.proc.on('line', (line: string) => {
      if (line.startsWith('listening ')) listening = true;
    });
    await waitFor(server, 'listening', 30_000, async () => listening);
    const rss = new RssSampler(server.pid);
    const warm = WARMUP ? prepare(account, port, WARMUP, CUSTOMERS, '646', 1_000_000) : [];
    const reqs = prepare(account, port, COUNT, CUSTOMERS, '415', 0);
    const warmup = warm.length ? await fire(port, warm, CONCURRENCY) : null;
    const ack = await fire(port, reqs, CONCURRENCY);
    if (!alive(server)) throw deathNotice(server);
    return { ack, warmup, rss: rss.stop() };
  } finally {
    await stopChild(server, 5_000);
  }
}

interface SmsdeskResult {
  ack: FireResult;
  warmup: { ack: FireResult; drain: Drain } | null;
  routedAtLastAck: number;
  drain: Drain;
  rss: { sampledPeakMb: number; hwmMb: number };
  warnings: string[];
  startupMs: number;
  sqlTrace: SqlTracePhase[] | null;
}

interface SqlTracePhase {
  label: string;
  wallMs: number;
  eventLoopUtilization: number;
  rows: { text: string; calls: number; ms: number; maxMs: number; syncMs: number }[];
}

/** How many texts the routing phase waits for: all acked ones, or none when the experiment runs no worker. */
const routable = (acked: number) => (EXPERIMENTS.has('no-worker') ? 0 : acked);

async function runSmsdesk(account: Account): Promise<SmsdeskResult> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'smsdesk-bench-'));
  tempDirs.add(dataDir);
  const apiToken = randomBytes(24).toString('hex');
  const extra: Record<string, string> = {
    DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', TWILIO_ACCOUNT_SID: account.sid, TWILIO_AUTH_TOKEN: account.token,
    SMSDESK_API_TOKEN: apiToken, LOG_LEVEL: 'warn', NODE_ENV: 'production',
  };
  // --cpu-prof is refused in NODE_OPTIONS, so it goes on the command line; the profile is written when the server exits.
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const nodeFlags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const traceFile = TRACE_SQL ? `${dataDir}-trace.jsonl` : null;
  if (traceFile) {
    tempDirs.add(traceFile);
    extra.SQL_TRACE_OUT = traceFile;
    if (EXPERIMENT) extra.SQL_TRACE_EXPERIMENT = EXPERIMENT;
  }
  const [script, args] = TRACE_SQL ? ['bin/run-ts.js', ['bench/sql-trace-server.ts']] : ['bin/smsdesk.js', ['serve']];
  const t0 = performance.now();
  const server = startChild('smsdesk', script, args, childEnv(extra), port, nodeFlags);
  /** --trace-sql: closes the server's current accounting phase (the server appends it to traceFile). */
  const phaseMark = async () => {
    if (!traceFile || !alive(server)) return;
    server.proc.kill('SIGUSR2');
    await sleep(50);
  };
  const rss = new RssSampler(server.pid);
  try {
    await waitFor(server, 'GET /healthz → 200', 60_000, async () => (await getJson(port, '/healthz', null)).status === 200);
    const startupMs = performance.now() - t0;
    const base0 = (await stats(server, apiToken)).messages.routed;

    let warmup: SmsdeskResult['warmup'] = null;
    let base = base0;
    if (WARMUP) {
      const warm = prepare(account, port, WARMUP, CUSTOMERS, '646', 1_000_000);
      const ack = await fire(port, warm, CONCURRENCY);
      const drain = await waitRouted(server, apiToken, base, routable(ack.ok), ack.startedAt, TIMEOUT_MS);
      if (!drain.done) throw new Error(`warm-up: only ${drain.routed} of ${ack.ok} texts routed within ${TIMEOUT_MS / 1000} s`);
      warmup = { ack, drain };
      base = drain.last.messages.routed;
    }

    const reqs = prepare(account, port, COUNT, CUSTOMERS, '415', 0);
    await phaseMark(); // startup and warm-up
    const ack = await fire(port, reqs, CONCURRENCY);
    await phaseMark(); // the firing phase
    const atLastAck = await stats(server, apiToken);
    const drain = await waitRouted(server, apiToken, base, routable(ack.ok), ack.startedAt, TIMEOUT_MS);
    await phaseMark(); // routing what was left after the last ack
    const rssPeak = rss.stop();
    await stopChild(server, PROFILE_DIR ? 60_000 : 15_000);
    const sqlTrace = traceFile ? readTrace(traceFile, ['startup + warm-up', 'firing (until the last ack)', 'draining (after the last ack)', 'shutdown']) : null;
    return {
      ack, warmup, routedAtLastAck: atLastAck.messages.routed - base, drain, rss: rssPeak, warnings: server.warnings.slice(0, 20), startupMs, sqlTrace,
    };
  } finally {
    rss.stop();
    await stopChild(server, PROFILE_DIR ? 60_000 : 15_000);
    if (traceFile) {
      rmSync(traceFile, { force: true });
      tempDirs.delete(traceFile);
    }
    rmSync(dataDir, { recursive: true, force: true });
    tempDirs.delete(dataDir);
  }
}

function readTrace(file: string, labels: string[]): SqlTracePhase[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((line, i) => {
    const phase = JSON.parse(line) as SqlTracePhase;
    return { ...phase, label: labels[i] ?? phase.label };
  });
}

// ------------------------------------------------------------------------------------------- report

function ackJson(r: FireResult) {
  return {
    sent: r.sent, ok: r.ok, errors: r.errors, firstError: r.firstError, wallSeconds: round(r.wallMs / 1000, 3),
    ackedPerSec: Math.round(r.ackedPerSec), p50Ms: round(r.p50Ms), p99Ms: round(r.p99Ms), maxMs: round(r.maxMs),
  };
}

function printTrace(phases: SqlTracePhase[]): void {
  console.log('\n--trace-sql: time inside PGlite (wasm Postgres, on the server\'s event loop), by phase');
  for (const p of phases) {
    const inDb = p.rows.reduce((a, r) => a + r.ms + r.syncMs, 0);
    console.log(
      `\n${p.label}: ${(p.wallMs / 1000).toFixed(1)} s wall, event loop ${Math.round(p.eventLoopUtilization * 100)}% busy, ` +
        `PGlite ${(inDb / 1000).toFixed(1)} s (${Math.round((100 * inDb) / Math.max(1, p.wallMs))}% of wall)`,
    );
    for (const r of p.rows.slice(0, 10)) {
      if (r.ms + r.syncMs < 1) continue;
      console.log(
        `  ${(r.ms / 1000).toFixed(2).padStart(7)} s ${String(r.calls).padStart(7)} calls ${(r.ms / Math.max(1, r.calls)).toFixed(2).padStart(7)} ms avg ` +
          `${r.maxMs.toFixed(0).padStart(5)} ms max  ${r.text.slice(0, 110)}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const account: Account = { sid: 'AC' + randomBytes(16).toString('hex'), token: randomBytes(16).toString('hex') };
  const header =
    (EXPERIMENT ? `EXPERIMENT "${EXPERIMENT}" (a modified server: these are not smsdesk's figures)\n` : '') +
    `bench:ingest — ${int(COUNT)} signed webhooks, concurrency ${CONCURRENCY}, ${int(CUSTOMERS)} customers, ` +
    `embedded PGlite, ${CPUS} cores` + (WARMUP ? ` (after ${int(WARMUP)} warm-up webhooks)` : '');
  console.log(header);

  const ceiling = await runCeiling(account);
  console.log(
    `ceiling (bare signature-checking server): ${int(ceiling.ack.ackedPerSec)} acked/s, p50 ${ms(ceiling.ack.p50Ms)}, ` +
      `p99 ${ms(ceiling.ack.p99Ms)}` + (ceiling.ack.errors ? `, errors ${ceiling.ack.errors} — first: ${ceiling.ack.firstError}` : ''),
  );

  const s = await runSmsdesk(account);
  const ratio = s.ack.ackedPerSec / ceiling.ack.ackedPerSec;
  console.log(
    `smsdesk ack:        ${int(s.ack.ackedPerSec)} acked/s (${ratio.toFixed(2)} of ceiling), p50 ${ms(s.ack.p50Ms)}, ` +
      `p99 ${ms(s.ack.p99Ms)}, max ${ms(s.ack.maxMs)}, errors ${s.ack.errors}`,
  );
  if (s.ack.firstError) console.log(`  first error: ${s.ack.firstError}`);
  const seconds = s.drain.elapsedMs / 1000;
  const textsPerSec = s.drain.routed / seconds;
  if (s.drain.done) {
    console.log(
      `smsdesk end to end: ${int(textsPerSec)} texts/s onto tickets (${int(s.drain.routed)} routed in ${seconds.toFixed(1)} s; ` +
        `${int(s.routedAtLastAck)} of them by the last ack at ${(s.ack.wallMs / 1000).toFixed(1)} s)`,
    );
  } else {
    console.log(
      `smsdesk end to end: TIMED OUT — only ${int(s.drain.routed)} of ${int(s.drain.target)} routed after ${seconds.toFixed(1)} s ` +
        `(≈ ${int(textsPerSec)} texts/s; queue: ${s.drain.last.jobs.ready} ready, ${s.drain.last.jobs.running} running, ${s.drain.last.jobs.failed} failed)`,
    );
  }
  if (s.drain.last.jobs.failed) console.log(`  ${s.drain.last.jobs.failed} routing jobs failed`);
  const peakRssMb = Math.max(s.rss.sampledPeakMb, s.rss.hwmMb);
  console.log(`peak RSS: ${int(peakRssMb)} MB (ceiling server: ${int(Math.max(ceiling.rss.sampledPeakMb, ceiling.rss.hwmMb))} MB)`);
  if (s.warnings.length) console.log(`server warnings: ${s.warnings.length}, first: ${s.warnings[0]!.slice(0, 300)}`);

  const met = {
    ackedPerSec: s.ack.ackedPerSec >= FLOORS.ackedPerSec,
    p99Ms: s.ack.p99Ms <= FLOORS.p99Ms,
    textsPerSec: s.drain.done && textsPerSec >= FLOORS.textsPerSec,
  };
  console.log(
    `floors: acked/s ≥ ${int(FLOORS.ackedPerSec)} ${mark(met.ackedPerSec)}, p99 ≤ ${FLOORS.p99Ms} ms ${mark(met.p99Ms)}, ` +
      `texts/s ≥ ${FLOORS.textsPerSec} ${mark(met.textsPerSec)}`,
  );
  if (PROFILE_DIR) console.log(`cpu profile of the smsdesk child written to ${PROFILE_DIR}`);
  if (s.sqlTrace) printTrace(s.sqlTrace);

  const json = {
    benchmark: 'ingest',
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: CPUS,
    cpuModel: os.cpus()[0]?.model ?? null,
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    config: {
      count: COUNT, concurrency: CONCURRENCY, customers: CUSTOMERS, warmup: WARMUP, database: 'embedded PGlite',
      timeoutSeconds: TIMEOUT_MS / 1000, statsPollMs: POLL_MS,
    },
    ceiling: { ...ackJson(ceiling.ack), peakRssMb: round(Math.max(ceiling.rss.sampledPeakMb, ceiling.rss.hwmMb), 1) },
    smsdesk: {
      startupSeconds: round(s.startupMs / 1000),
      ack: { ...ackJson(s.ack), ratioOfCeiling: round(ratio, 3) },
      endToEnd: {
        done: s.drain.done, routed: s.drain.routed, target: s.drain.target, seconds: round(seconds, 3),
        textsPerSec: Math.round(textsPerSec), routedAtLastAck: s.routedAtLastAck, jobsFailed: s.drain.last.jobs.failed,
        timeline: s.drain.timeline,
      },
      peakRssMb: round(peakRssMb, 1),
      rss: { sampledPeakMb: round(s.rss.sampledPeakMb, 1), vmHwmMb: round(s.rss.hwmMb, 1) },
      warmup: s.warmup
        ? { ack: ackJson(s.warmup.ack), textsPerSec: Math.round(s.warmup.drain.routed / (s.warmup.drain.elapsedMs / 1000)) }
        : null,
      warnings: s.warnings,
      ...(s.sqlTrace ? { sqlTrace: s.sqlTrace } : {}),
    },
    floors: {
      ackedPerSec: { floor: FLOORS.ackedPerSec, value: Math.round(s.ack.ackedPerSec), met: met.ackedPerSec },
      p99Ms: { floor: FLOORS.p99Ms, value: round(s.ack.p99Ms), met: met.p99Ms },
      textsPerSec: { floor: FLOORS.textsPerSec, value: Math.round(textsPerSec), met: met.textsPerSec },
    },
  };
  // Diagnostic runs (profiled, traced, modified) would overwrite the real figures with slower or altered ones.
  if (PROFILE_DIR || TRACE_SQL) {
    console.log('(diagnostic run: bench/results/ingest.json left as it was)');
    return;
  }
  const out = join(BENCH_DIR, 'results', 'ingest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
  console.log(`(figures written to ${join('bench', 'results', 'ingest.json')})`);
}

await runMain(SCRIPT, main);
