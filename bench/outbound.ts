// npm run bench:outbound [-- --counts 40,120,840 --scale 1 …]   (npm run bench:outbound -- --help lists the options)
//
// Outbound pacing under a backlog: 1,000 replies from three senders at once — a long code (1 segment/s), a toll-free
// number (3/s) and a short code (100/s) — through smsdesk running as a child process (`smsdesk serve`, embedded PGlite
// in a fresh DATA_DIR; or --database-url with --instances N sharing one PostgreSQL) against the Twilio emulator
// running in this process (TWILIO_API_BASE_URL points at it). Counts are chosen so each slow sender has ~40 s of work
// at its real rate (40 / 120 / 840): no time scaling by default; --scale S multiplies every rate in both smsdesk
// (SMSDESK_SENDER_RATES) and the emulator, and figures are divided by S again.
//
// Tickets are made by texting in through the emulator's signed webhooks; replies are POSTed to
// /api/v1/tickets/:id/replies with the bearer token, interleaved across senders, so the queue holds a mixed backlog.
// The emulator answers 429/20429 beyond --max-concurrent create requests in flight (each held --latency-ms).
//
// Printed per sender: messages; the rate smsdesk offered Twilio (creates, first to last) and the rate Twilio
// dispatched (the emulator's sentLog, first to last) against the budget — floor: dispatched ≥ 95% of the budget —
// and the offered rate's ceiling (≤ 105%: smsdesk paces, it does not lean on Twilio's queue); time messages sat in
// Twilio's queue; 20429s Twilio returned and 20429s that reached a user (messages ending failed with 20429, or send
// jobs parked as failed: must be 0); lost (accepted by smsdesk, never at Twilio) and doubled (more Twilio messages
// than replies, by body): both must be 0. A report, not a test: exits 0 and marks each check ✓ or ✗.
// Figures are also written to bench/results/outbound.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTwilioEmulator, type TwilioEmulator } from '../src/adapters/twilio/emulator/index.ts';
import {
  alive, childEnv, deathNotice, freePort, installCleanup, numberFlag, runMain, type ServerChild, sleep, startChild, stopAll, tempDirs, waitFor,
} from './lib/children.ts';
import { int, mark, round } from './lib/format.ts';
import { createDatabase, percentile, pool } from './lib/run.ts';

const SCRIPT = 'bench:outbound';
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const FLOOR = 0.95;
const CEILING = 1.05;

// ---------------------------------------------------------------------------------------------- options

const { values: flags } = parseArgs({
  options: {
    counts: { type: 'string', default: '40,120,840' },
    scale: { type: 'string', default: '1' },
    conversations: { type: 'string', default: '20' },
    'max-concurrent': { type: 'string', default: '4' },
    'latency-ms': { type: 'string', default: '30' },
    'post-concurrency': { type: 'string', default: '16' },
    'database-url': { type: 'string' },
    instances: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '240' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  console.log(`usage: npm run bench:outbound -- [options]
  --counts L,T,S        replies from the long code, the toll-free number and the short code (default 40,120,840)
  --scale S             multiply every rate by S in smsdesk and the emulator; figures are divided by S (default 1)
  --conversations K     tickets (customers) per sender; replies go round-robin over them (default 20)
  --max-concurrent C    emulator: create requests in flight beyond C answer 429/20429 (default 4)
  --latency-ms L        emulator: how long each create request takes (default 30)
  --post-concurrency P  replies POSTed at once (default 16)
  --database-url URL    run on PostgreSQL (a fresh database is created on that server and dropped afterwards)
  --instances N         smsdesk processes sharing that database, replies spread over them (default 1; needs --database-url)
  --timeout S           seconds to wait for every reply to reach Twilio and a final status (default 240)`);
  process.exit(0);
}

const number = (name: string, raw: string | undefined, min: number, integer = true) => numberFlag(SCRIPT, name, raw, min, integer);

const COUNTS = (flags.counts ?? '').split(',').map((c) => number('counts', c.trim(), 1));
if (COUNTS.length !== 3) {
  console.error('bench:outbound: --counts takes three numbers: long code, toll-free, short code');
  process.exit(2);
}
const SCALE = number('scale', flags.scale, 0.01, false);
const CONVERSATIONS = number('conversations', flags.conversations, 1);
const MAX_CONCURRENT = number('max-concurrent', flags['max-concurrent'], 1);
const LATENCY_MS = number('latency-ms', flags['latency-ms'], 0);
const POST_CONCURRENCY = number('post-concurrency', flags['post-concurrency'], 1);
const INSTANCES = number('instances', flags.instances, 1);
const TIMEOUT_MS = number('timeout', flags.timeout, 1) * 1000;
const DATABASE_URL = flags['database-url'] ?? null;
if (INSTANCES > 1 && !DATABASE_URL) {
  console.error('bench:outbound: --instances above 1 needs --database-url (the embedded database is one process\'s)');
  process.exit(2);
}

interface Sender {
  name: string;
  number: string;
  /** Twilio's default for this kind of sender, segments per second. */
  rate: number;
  count: number;
}

const SENDERS: Sender[] = [
  { name: 'long code', number: '+14155550101', rate: 1, count: COUNTS[0]! },
  { name: 'toll-free', number: '+18005550100', rate: 3, count: COUNTS[1]! },
  { name: 'short code', number: '12345', rate: 100, count: COUNTS[2]! },
];
const TOTAL = SENDERS.reduce((a, s) => a + s.count, 0);

// No orphaned servers or leftover data dirs, however the script ends (children are started from bench/lib/children.ts).
installCleanup(SCRIPT);

// ------------------------------------------------------------------------------------------- PostgreSQL


// ------------------------------------------------------------------------------------------- smsdesk API

class Api {
  constructor(
    readonly child: ServerChild,
    private readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    if (!alive(this.child)) throw deathNotice(this.child);
    const res = await fetch(`http://127.0.0.1:${this.child.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, json: json as T };
  }

  async get<T>(path: string): Promise<T> {
    const res = await this.call<T>('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.json).slice(0, 300)}`);
    return res.json;
  }
}

interface Stats {
  messages: { inbound: number; routed: number };
  jobs: { ready: number; running: number; failed: number };
}

interface ApiMessage {
  id: number;
  sid: string | null;
  direction: string;
  from: string;
  body: string;
  status: string;
  errorCode: number | null;
}

// ------------------------------------------------------------------------------------------- figures

interface Reply {
  sender: Sender;
  ticketId: number;
  body: string;
}

interface SenderResult {
  name: string;
  number: string;
  budgetPerSec: number;
  configuredRate: number;
  requested: number;
  acceptedBySmsdesk: number;
  /** Replies for this sender accepted per second while posting (÷ scale): the backlog cannot drain faster for long. */
  arrivedPerSec: number;
  atTwilio: number;
  /** Creates per second smsdesk offered Twilio, first to last, divided by the scale. */
  offeredPerSec: number;
  /** Dispatches per second from Twilio's queue (sentLog), first to last, divided by the scale. */
  realizedPerSec: number;
  realizedRatio: number;
  withinFloor: boolean;
  offeredWithinCeiling: boolean;
  firstToLastSeconds: number;
  twilioQueueWaitMs: { p50: number; max: number };
  lost: number;
  doubled: number;
  smsdeskFinal: Record<string, number>;
  failedWith20429: number;
}

function perSecond(timesMs: number[]): { rate: number; spanMs: number } {
  if (timesMs.length < 2) return { rate: NaN, spanMs: 0 };
  const sorted = [...timesMs].sort((a, b) => a - b);
  const spanMs = sorted.at(-1)! - sorted[0]!;
  return { rate: spanMs > 0 ? (sorted.length - 1) / (spanMs / 1000) : Infinity, spanMs };
}



// ------------------------------------------------------------------------------------------- the run

async function main(): Promise<void> {
  const account = { sid: 'AC' + randomBytes(16).toString('hex'), authToken: randomBytes(16).toString('hex') };
  const apiToken = randomBytes(24).toString('hex');
  const database = DATABASE_URL ? await createDatabase(DATABASE_URL) : null;
  const emulator: TwilioEmulator = await startTwilioEmulator({ accounts: [account], maxConcurrentRequests: MAX_CONCURRENT, requestLatencyMs: LATENCY_MS });
  const rates = SENDERS.map((s) => `${s.number}=${s.rate * SCALE}`).join(',');
  for (const s of SENDERS) emulator.setSender(s.number, { mps: s.rate * SCALE });

  console.log(
    `bench:outbound — ${int(TOTAL)} replies: ${SENDERS.map((s) => `${s.count} from the ${s.name} ${s.number} (${s.rate}/s)`).join(', ')}; ` +
      `${CONVERSATIONS} tickets per sender; ${SCALE === 1 ? 'real rates, no time scaling' : `rates ×${SCALE} in smsdesk and the emulator, figures ÷${SCALE}`}; ` +
      `emulator: 429/20429 beyond ${MAX_CONCURRENT} creates in flight, ${LATENCY_MS} ms per create; ` +
      `${database ? `PostgreSQL, ${INSTANCES} smsdesk instance${INSTANCES > 1 ? 's' : ''}` : 'embedded PGlite, 1 smsdesk instance'}; ${os.availableParallelism()} cores`,
  );

  try {
    const apis: Api[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const port = await freePort();
      const dataDir = mkdtempSync(join(os.tmpdir(), 'smsdesk-bench-outbound-'));
      tempDirs.add(dataDir);
      const env: Record<string, string> = {
        DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', TWILIO_ACCOUNT_SID: account.sid, TWILIO_AUTH_TOKEN: account.authToken,
        TWILIO_API_BASE_URL: emulator.apiBaseUrl, SMSDESK_API_TOKEN: apiToken, SMSDESK_SENDER_RATES: rates, LOG_LEVEL: 'warn', NODE_ENV: 'production',
      };
      if (database) env.DATABASE_URL = database.url;
      const child = startChild(`smsdesk #${i + 1}`, 'bin/smsdesk.js', ['serve'], childEnv(env), port);
      const api = new Api(child, apiToken);
      await waitFor(child, 'GET /healthz → 200', 60_000, () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok),
        `${child.name} did not answer /healthz within 60 s`);
      apis.push(api);
    }
    const first = apis[0]!;

    // Tickets: each customer texts one of the senders (signed webhooks through the emulator, to instance #1).
    emulator.setWebhookUrl(`http://127.0.0.1:${first.child.port}/webhooks/twilio/messages`);
    const customers = SENDERS.map((s, si) => Array.from({ length: CONVERSATIONS }, (_, c) => ({ sender: s, phone: `+1646${si}${String(100_000 + c).padStart(6, '0')}` })));
    await pool(customers.flat(), 8, async ({ sender, phone }) => {
      const res = await emulator.sendInbound({ from: phone, to: sender.number, body: 'Hi, a question about my order' });
      if (res.status !== 200) throw new Error(`texting in answered ${res.status}`);
    });
    for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
      const stats = await first.get<Stats>('/api/v1/stats');
      if (stats.messages.routed >= SENDERS.length * CONVERSATIONS) break;
      if (Date.now() > deadline) throw new Error(`only ${stats.messages.routed} texts routed onto tickets within 60 s`);
    }
    const tickets = new Map<Sender, number[]>();
    for (const [si, list] of customers.entries()) {
      const ids = await pool(list, 8, async ({ phone }) => {
        const { tickets: found } = await first.get<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(phone)}`);
        if (!found[0]) throw new Error(`no ticket for ${phone}`);
        return found[0].id;
      });
      tickets.set(SENDERS[si]!, ids);
    }

    // Replies, interleaved by share (a mixed backlog), each with a body of its own (one GSM-7 segment).
    const replies: (Reply & { at: number })[] = [];
    for (const s of SENDERS) {
      const ids = tickets.get(s)!;
      for (let i = 0; i < s.count; i++) replies.push({ sender: s, ticketId: ids[i % ids.length]!, body: `bench ${s.name} #${i + 1}`, at: (i + 0.5) / s.count });
    }
    replies.sort((a, b) => a.at - b.at);
    const createsBefore = emulator.apiRequests.length;
    const postStarted = Date.now();
    const posted = await pool(replies, POST_CONCURRENCY, async (r, i) => {
      const res = await apis[i % apis.length]!.call<{ message?: ApiMessage }>('POST', `/api/v1/tickets/${r.ticketId}/replies`, { body: r.body });
      return { reply: r, status: res.status, at: Date.now(), answer: res.status === 202 ? null : JSON.stringify(res.json).slice(0, 300) };
    });
    const postSeconds = (Date.now() - postStarted) / 1000;
    const accepted = posted.filter((p) => p.status === 202);
    const refused = posted.filter((p) => p.status !== 202);
    console.log(`posted ${int(TOTAL)} replies in ${postSeconds.toFixed(1)} s: ${accepted.length} accepted (202)` + (refused.length ? `, ${refused.length} refused, first: ${refused[0]!.status} ${refused[0]!.answer}` : ''));

    // Wait until smsdesk has nothing left to send and Twilio has finished every reply it took.
    const bodies = new Set(accepted.map((p) => p.reply.body));
    const benchAtTwilio = () => emulator.messages().filter((m) => m.direction === 'outbound-api' && bodies.has(m.body));
    const FINAL = new Set(['delivered', 'undelivered', 'failed', 'canceled']);
    let timedOut = false;
    let lastProgress = -1;
    for (let lastPrint = Date.now(); ; await sleep(250)) {
      const stats = await first.get<Stats>('/api/v1/stats');
      const atTwilio = benchAtTwilio();
      const final = atTwilio.filter((m) => FINAL.has(m.status)).length;
      if (Date.now() - lastPrint >= 10_000 && final !== lastProgress) {
        console.log(`  … ${Math.round((Date.now() - postStarted) / 1000)} s: ${final} of ${bodies.size} replies through Twilio, jobs ready ${stats.jobs.ready}, running ${stats.jobs.running}`);
        lastPrint = Date.now();
        lastProgress = final;
      }
      if (stats.jobs.ready + stats.jobs.running === 0 && final === atTwilio.length && atTwilio.length >= bodies.size) break;
      if (stats.jobs.ready + stats.jobs.running === 0 && final === atTwilio.length && Date.now() - postStarted > 5_000) break; // nothing left that could still arrive
      if (Date.now() - postStarted > TIMEOUT_MS) {
        timedOut = true;
        break;
      }
    }
    const wallSeconds = (Date.now() - postStarted) / 1000;
    await sleep(500); // the last status callbacks
    const stats = await first.get<Stats>('/api/v1/stats');

    // What smsdesk shows (per ticket: the API lists up to 1,000 messages of one ticket).
    const smsdeskMessages: ApiMessage[] = [];
    for (const ids of tickets.values()) {
      for (const id of ids) {
        const { messages } = await first.get<{ messages: ApiMessage[] }>(`/api/v1/messages?ticketId=${id}`);
        smsdeskMessages.push(...messages.filter((m) => m.direction === 'outbound' && bodies.has(m.body)));
      }
    }

    // What Twilio saw.
    const creates = emulator.apiRequests.slice(createsBefore).filter((r) => r.method === 'POST' && r.path.split('?')[0]!.endsWith('/Messages.json')).length;
    const atTwilio = benchAtTwilio();
    const throttled = creates - atTwilio.length; // every other create was taken: no other fault is configured
    const sentAt = new Map(emulator.sentLog.map((e) => [e.sid, e.sentAt.getTime()]));

    const results: SenderResult[] = SENDERS.map((s) => {
      const mine = atTwilio.filter((m) => m.from === s.number);
      const acceptedHere = accepted.filter((p) => p.reply.sender === s);
      const byBody = new Map<string, number>();
      for (const m of mine) byBody.set(m.body, (byBody.get(m.body) ?? 0) + 1);
      const lost = acceptedHere.filter((p) => !byBody.has(p.reply.body)).length;
      const doubled = [...byBody.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
      const offered = perSecond(mine.map((m) => Date.parse(m.dateCreated)));
      const arrived = perSecond([postStarted, ...acceptedHere.map((p) => p.at)]);
      const dispatched = mine.flatMap((m) => (sentAt.has(m.sid) ? [sentAt.get(m.sid)!] : []));
      const realized = perSecond(dispatched);
      const waits = mine.flatMap((m) => (sentAt.has(m.sid) ? [sentAt.get(m.sid)! - Date.parse(m.dateCreated)] : []));
      const mineInSmsdesk = smsdeskMessages.filter((m) => m.from === s.number);
      const smsdeskFinal: Record<string, number> = {};
      for (const m of mineInSmsdesk) smsdeskFinal[m.status] = (smsdeskFinal[m.status] ?? 0) + 1;
      const realizedPerSec = realized.rate / SCALE;
      const offeredPerSec = offered.rate / SCALE;
      return {
        name: s.name, number: s.number, budgetPerSec: s.rate, configuredRate: s.rate * SCALE,
        requested: s.count, acceptedBySmsdesk: acceptedHere.length, arrivedPerSec: round(arrived.rate / SCALE, 3), atTwilio: mine.length,
        offeredPerSec: round(offeredPerSec, 3), realizedPerSec: round(realizedPerSec, 3), realizedRatio: round(realizedPerSec / s.rate, 3),
        withinFloor: realizedPerSec >= FLOOR * s.rate, offeredWithinCeiling: offeredPerSec <= CEILING * s.rate,
        firstToLastSeconds: round(realized.spanMs / 1000, 2),
        twilioQueueWaitMs: { p50: Math.round(percentile(waits, 0.5)), max: Math.round(Math.max(...waits)) },
        lost, doubled, smsdeskFinal,
        failedWith20429: mineInSmsdesk.filter((m) => m.errorCode === 20429).length,
      };
    });

    // ------------------------------------------------------------------------------------- report
    console.log(`${timedOut ? `TIMED OUT after ${wallSeconds.toFixed(1)} s` : `all done ${wallSeconds.toFixed(1)} s after the first reply was posted`}`);
    console.log(`\n${'sender'.padEnd(26)}${'msgs'.padStart(6)}${'arrived/s'.padStart(11)}${'offered/s'.padStart(11)}${'realized/s'.padStart(12)}${'budget'.padStart(8)}${'ratio'.padStart(7)}  floor ≥95%  ceiling ≤105%  Twilio queue p50/max   lost  doubled`);
    for (const r of results) {
      console.log(
        `${`${r.name} ${r.number}`.padEnd(26)}${String(r.atTwilio).padStart(6)}${r.arrivedPerSec.toFixed(2).padStart(11)}${r.offeredPerSec.toFixed(2).padStart(11)}${r.realizedPerSec.toFixed(2).padStart(12)}` +
          `${String(r.budgetPerSec).padStart(8)}${r.realizedRatio.toFixed(3).padStart(7)}  ${mark(r.withinFloor).padEnd(11)}${mark(r.offeredWithinCeiling).padEnd(15)}` +
          `${`${r.twilioQueueWaitMs.p50} / ${r.twilioQueueWaitMs.max} ms`.padEnd(22)}${String(r.lost).padStart(5)}${String(r.doubled).padStart(9)}`,
      );
    }
    console.log('arrived/s: its replies accepted by smsdesk per second while posting; offered/s: creates smsdesk sent Twilio; ' +
      'realized/s: what left Twilio\'s queue (sentLog), first to last' + (SCALE === 1 ? '' : `; all ÷${SCALE}`));
    for (const r of results.filter((x) => !x.withinFloor)) {
      console.log(
        r.realizedPerSec >= FLOOR * Math.min(r.arrivedPerSec, r.budgetPerSec)
          ? `  ${r.name}: bounded by how fast smsdesk accepted its replies (${r.arrivedPerSec.toFixed(1)}/s while posting), not by pacing`
          : `  ${r.name}: its replies arrived at ${r.arrivedPerSec.toFixed(1)}/s but left at ${r.realizedPerSec.toFixed(1)}/s with Twilio's queue near empty ` +
            `(p50 ${r.twilioQueueWaitMs.p50} ms): the backlog waited inside smsdesk`,
      );
    }
    const failed20429 = results.reduce((a, r) => a + r.failedWith20429, 0);
    const lost = results.reduce((a, r) => a + r.lost, 0);
    const doubled = results.reduce((a, r) => a + r.doubled, 0);
    const notDelivered = smsdeskMessages.filter((m) => m.status !== 'delivered');
    console.log(
      `\n20429s: Twilio returned ${throttled} (of ${creates} create requests); reached a user: ${failed20429} messages failed with 20429, ` +
        `${stats.jobs.failed} jobs parked as failed ${mark(failed20429 === 0 && stats.jobs.failed === 0)}`,
    );
    console.log(`lost ${lost} ${mark(lost === 0)}, doubled ${doubled} ${mark(doubled === 0)}; ` +
      `smsdesk shows ${smsdeskMessages.length - notDelivered.length} of ${smsdeskMessages.length} replies delivered` +
      (notDelivered.length ? ` (others: ${JSON.stringify(Object.fromEntries(countBy(notDelivered.map((m) => m.status))))})` : ''));
    const warnings = apis.flatMap((a) => a.child.warnings);
    const throttleWarnings = warnings.filter((w) => /20429|Too Many Requests/.test(w)).length;
    if (warnings.length) {
      console.log(`server warnings: ${warnings.length} (${throttleWarnings} of them retried 20429s); first other: ` +
        (warnings.find((w) => !/20429|Too Many Requests/.test(w))?.slice(0, 300) ?? 'none'));
    }
    const floorsMet = results.every((r) => r.withinFloor) && !timedOut;
    console.log(
      `checks: every sender ≥95% of its budget ${mark(floorsMet)}, no sender offered >105% ${mark(results.every((r) => r.offeredWithinCeiling))}, ` +
        `no 20429 reached a user ${mark(failed20429 === 0 && stats.jobs.failed === 0)}, nothing lost ${mark(lost === 0)}, nothing doubled ${mark(doubled === 0)}`,
    );

    const json = {
      benchmark: 'outbound',
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? null,
      config: {
        senders: SENDERS.map((s) => ({ name: s.name, number: s.number, budgetPerSec: s.rate, count: s.count })),
        scale: SCALE, conversationsPerSender: CONVERSATIONS, emulatorMaxConcurrentRequests: MAX_CONCURRENT, emulatorRequestLatencyMs: LATENCY_MS,
        postConcurrency: POST_CONCURRENCY, database: database ? 'PostgreSQL' : 'embedded PGlite', instances: INSTANCES, timeoutSeconds: TIMEOUT_MS / 1000,
        smsdeskSenderRates: rates,
      },
      postSeconds: round(postSeconds, 2),
      wallSeconds: round(wallSeconds, 2),
      timedOut,
      senders: results,
      throttling: { createRequests: creates, returned20429: throttled, failedWith20429: failed20429, jobsParkedFailed: stats.jobs.failed, retriedWarnings: throttleWarnings },
      lost, doubled,
      smsdeskNotDelivered: Object.fromEntries(countBy(notDelivered.map((m) => m.status))),
      checks: {
        floors: floorsMet, ceilings: results.every((r) => r.offeredWithinCeiling), no20429ReachedUser: failed20429 === 0 && stats.jobs.failed === 0,
        nothingLost: lost === 0, nothingDoubled: doubled === 0,
      },
      warnings: warnings.filter((w) => !/20429|Too Many Requests/.test(w)).slice(0, 20),
    };
    const out = join(BENCH_DIR, 'results', 'outbound.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(json, null, 2) + '\n');
    console.log(`(figures written to ${join('bench', 'results', 'outbound.json')})`);
  } finally {
    await stopAll(10_000);
    await emulator.close();
    await database?.drop().catch((err: unknown) => console.error(`could not drop the bench database: ${(err as Error).message}`));
  }
}

function countBy(values: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

await runMain(SCRIPT, main);
