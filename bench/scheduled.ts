// npm run bench:scheduled [-- --due 10000 --window 60 --ahead 100000 …]   (npm run bench:scheduled -- --help lists the options)
//
// Scheduled messages at volume: smsdesk runs as a child process (`smsdesk serve`, embedded default in a fresh
// DATA_DIR, or --database-url) against the Twilio emulator in this process. First --ahead messages are scheduled a
// day ahead (they must stay pending and must not slow the claim: the timers are claimed from the due-time index),
// then --due messages are scheduled over a --window seconds window that starts once they are all in. Every message
// goes through POST /api/v1/messages with sendAt, over --customers conversations from --senders numbers (each
// configured fast enough that pacing is not what is measured).
//
// Printed: lateness (Twilio's dateCreated − sendAt) p50 / p99 / max against the floor (p99 ≤ 2 s), doubled (more
// than one Twilio message for a body) and lost (a due message never at Twilio within --timeout), both must be 0, and
// how many of the day-ahead messages reached Twilio (must be 0). The ceiling is the same machine's lateness of a bare
// timer: setTimeout to each sendAt in this process, printed beside it as a ratio. A report, not a test: exits 0 and
// marks each check ✓ or ✗. Figures are also written to bench/results/scheduled.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTwilioEmulator } from '../src/adapters/twilio/emulator/index.ts';
import { childEnv, freePort, installCleanup, numberFlag, runMain, sleep, startChild, stopAll, tempDirs, waitFor } from './lib/children.ts';
import { int, mark, round } from './lib/format.ts';
import { createDatabase, percentile, pool } from './lib/run.ts';

const SCRIPT = 'bench:scheduled';
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const FLOOR_P99_MS = 2000;

const { values: flags } = parseArgs({
  options: {
    due: { type: 'string', default: '10000' },
    window: { type: 'string', default: '60' },
    ahead: { type: 'string', default: '100000' },
    customers: { type: 'string', default: '200' },
    senders: { type: 'string', default: '4' },
    'post-concurrency': { type: 'string', default: '16' },
    'database-url': { type: 'string' },
    timeout: { type: 'string', default: '120' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  console.log(`usage: npm run bench:scheduled -- [options]
  --due N               messages scheduled to go within the window (default 10000)
  --window S            seconds the due messages are spread over (default 60)
  --ahead N             messages scheduled a day ahead first, which must stay pending (default 100000)
  --customers K         conversations (customers) the messages go round-robin over (default 200)
  --senders S           Twilio numbers sending, each fast enough not to pace the run (default 4)
  --post-concurrency P  messages POSTed at once (default 16)
  --database-url URL    run on PostgreSQL (a fresh database is created on that server and dropped afterwards)
  --timeout S           seconds after the window's end to wait for the last due message (default 120)`);
  process.exit(0);
}

const number = (name: string, raw: string | undefined, min: number) => numberFlag(SCRIPT, name, raw, min);
const DUE = number('due', flags.due, 1);
const WINDOW_MS = number('window', flags.window, 1) * 1000;
const AHEAD = number('ahead', flags.ahead, 0);
const CUSTOMERS = number('customers', flags.customers, 1);
const SENDERS = Array.from({ length: number('senders', flags.senders, 1) }, (_, i) => `+1415555${String(200 + i).padStart(4, '0')}`);
const POST_CONCURRENCY = number('post-concurrency', flags['post-concurrency'], 1);
const TIMEOUT_MS = number('timeout', flags.timeout, 1) * 1000;
const DATABASE_URL = flags['database-url'] ?? null;

installCleanup(SCRIPT);




/** The same machine's floor: how late a bare setTimeout fires for the same sendAt times, in this process. */
async function bareTimerLateness(sendAts: number[]): Promise<number[]> {
  const late: number[] = [];
  await Promise.all(sendAts.map((at) => new Promise<void>((resolve) => {
    setTimeout(() => {
      late.push(Date.now() - at);
      resolve();
    }, Math.max(0, at - Date.now()));
  })));
  return late;
}

async function main(): Promise<void> {
  const account = { sid: 'AC' + randomBytes(16).toString('hex'), authToken: randomBytes(16).toString('hex') };
  const apiToken = randomBytes(24).toString('hex');
  const database = DATABASE_URL ? await createDatabase(DATABASE_URL) : null;
  const emulator = await startTwilioEmulator({ accounts: [account], maxConcurrentRequests: 256, requestLatencyMs: 2, statusDelayMs: 50 });
  for (const s of SENDERS) emulator.setSender(s, { mps: 10_000 });
  console.log(
    `${SCRIPT} — ${int(AHEAD)} messages a day ahead, then ${int(DUE)} due over ${WINDOW_MS / 1000} s; ${CUSTOMERS} customers, ` +
      `${SENDERS.length} senders; ${database ? 'PostgreSQL' : 'embedded default'}; ${os.availableParallelism()} cores`,
  );
  try {
    const port = await freePort();
    const dataDir = mkdtempSync(join(os.tmpdir(), 'smsdesk-bench-scheduled-'));
    tempDirs.add(dataDir);
    const env: Record<string, string> = {
      DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', TWILIO_ACCOUNT_SID: account.sid, TWILIO_AUTH_TOKEN: account.authToken,
      TWILIO_API_BASE_URL: emulator.apiBaseUrl, SMSDESK_API_TOKEN: apiToken, LOG_LEVEL: 'warn', NODE_ENV: 'production',
      SMSDESK_SENDER_RATES: SENDERS.map((s) => `${s}=10000`).join(','),
    };
    if (database) env.DATABASE_URL = database.url;
    const child = startChild('smsdesk', 'bin/smsdesk.js', ['serve'], childEnv(env), port);
    await waitFor(child, 'GET /healthz → 200', 60_000, () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok), 'smsdesk did not answer /healthz within 60 s');

    const customers = Array.from({ length: CUSTOMERS }, (_, i) => `+1646${String(1_000_000 + i).padStart(7, '0')}`);
    const post = async (body: string, i: number, sendAt: number) => {
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: customers[i % CUSTOMERS], from: SENDERS[i % SENDERS.length], body, sendAt: new Date(sendAt).toISOString() }),
        });
        const text = await res.text();
        if (res.status === 202) return;
        if (attempt >= 3) throw new Error(`POST /api/v1/messages answered ${res.status}: ${text.slice(0, 300)}`);
      }
    };

    // The day-ahead backlog first: it must stay pending and must not slow the due messages' claims.
    const aheadStarted = Date.now();
    const dayAhead = Date.now() + 86_400_000;
    await pool(Array.from({ length: AHEAD }, (_, i) => i), POST_CONCURRENCY, (i) => post(`ahead ${i}`, i, dayAhead + i));
    const aheadSeconds = (Date.now() - aheadStarted) / 1000;
    if (AHEAD) console.log(`  scheduled ${int(AHEAD)} a day ahead in ${round(aheadSeconds, 1)} s (${int(AHEAD / aheadSeconds)}/s)`);

    // The due ones: their window opens after they are all in (estimated from the rate above, with room).
    const postRate = AHEAD ? AHEAD / aheadSeconds : 200;
    const opensAt = Date.now() + Math.max(5_000, (DUE / postRate) * 1.5 * 1000);
    const sendAts = Array.from({ length: DUE }, (_, i) => Math.round(opensAt + (i * WINDOW_MS) / DUE));
    const postedAt = Date.now();
    await pool(sendAts, POST_CONCURRENCY, (at, i) => post(`due ${i}`, i, at));
    const lateToPost = Date.now() - opensAt;
    console.log(`  scheduled ${int(DUE)} due in ${round((Date.now() - postedAt) / 1000, 1)} s; window opens ${lateToPost > 0 ? `${int(lateToPost)} ms before they were all in (raise nothing: early ones count late)` : `${int(-lateToPost)} ms later`}`);
    const bare = bareTimerLateness(sendAts);

    const deadline = sendAts.at(-1)! + TIMEOUT_MS;
    const due = () => emulator.messages().filter((m) => m.direction !== 'inbound' && m.body.startsWith('due '));
    while (due().length < DUE && Date.now() < deadline) await sleep(250);
    // Room for any double to show: a second after the last one, count again.
    await sleep(1000);
    const sent = emulator.messages().filter((m) => m.direction !== 'inbound');
    const byBody = new Map<string, number[]>();
    for (const m of sent) byBody.set(m.body, [...(byBody.get(m.body) ?? []), Date.parse(m.dateCreated)]);
    const lateness: number[] = [];
    let lost = 0;
    let doubled = 0;
    let early = 0;
    for (const [i, at] of sendAts.entries()) {
      const times = byBody.get(`due ${i}`);
      if (!times) {
        lost++;
        continue;
      }
      if (times.length > 1) doubled += times.length - 1;
      if (times[0]! < at) early++;
      lateness.push(times[0]! - at);
    }
    const aheadSent = sent.filter((m) => m.body.startsWith('ahead ')).length;
    const bareLate = await bare;
    const r = {
      p50: percentile(lateness, 0.5), p99: percentile(lateness, 0.99), max: Math.max(...lateness),
      bareP99: percentile(bareLate, 0.99),
    };
    const met = { p99: r.p99 <= FLOOR_P99_MS, lost: lost === 0, doubled: doubled === 0, early: early === 0, ahead: aheadSent === 0 };
    console.log('');
    console.log(`| measure | smsdesk | ceiling (bare timer) | floor |`);
    console.log(`|---|---|---|---|`);
    console.log(`| lateness p50 | ${int(r.p50)} ms | ${int(percentile(bareLate, 0.5))} ms | — |`);
    console.log(`| lateness p99 | ${int(r.p99)} ms ${mark(met.p99)} | ${int(r.bareP99)} ms | ≤ ${int(FLOOR_P99_MS)} ms |`);
    console.log(`| lateness max | ${int(r.max)} ms | ${int(Math.max(...bareLate))} ms | — |`);
    console.log(`| sent before sendAt | ${early} ${mark(met.early)} | | 0 |`);
    console.log(`| lost / doubled | ${lost} / ${doubled} ${mark(met.lost && met.doubled)} | | 0 / 0 |`);
    console.log(`| day-ahead messages at Twilio | ${aheadSent} of ${int(AHEAD)} ${mark(met.ahead)} | | 0 |`);
    console.log(`p99 against the ceiling: ${round(r.p99 / Math.max(1, r.bareP99), 1)}× the bare timer's p99`);
    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    writeFileSync(join(BENCH_DIR, 'results', 'scheduled.json'), JSON.stringify({
      at: new Date().toISOString(), database: database ? 'postgres' : 'embedded', due: DUE, windowSeconds: WINDOW_MS / 1000, ahead: AHEAD,
      customers: CUSTOMERS, senders: SENDERS.length, latenessMs: r, bareTimerMs: { p50: percentile(bareLate, 0.5), p99: r.bareP99 },
      lost, doubled, early, aheadSent, met,
    }, null, 2) + '\n');
  } finally {
    await stopAll(5_000);
    await emulator.close();
    await database?.drop();
  }
}

void runMain(SCRIPT, main);
