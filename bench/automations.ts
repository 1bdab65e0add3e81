// npm run bench:automations [-- --events 5000 --tickets 100 …]   (npm run bench:automations -- --help lists the options)
//
// Automations at volume: smsdesk runs as a child process (`smsdesk serve`, embedded default in a fresh DATA_DIR, or
// --database-url) against the Twilio emulator in this process, with 20 automations enabled: three that act and
// seventeen that are evaluated for the same events but whose conditions do not hold (a tag, a keyword, a previous
// status, a number, business hours…). --tickets customers text in (ticket.created and message.received each), then
// every ticket's status is flipped pending ↔ open through PATCH /api/v1/tickets/:id until --events ticket events
// have happened in all (ticket.status_changed each). The acting automations text the requester on each pending
// ("Ticket #N is waiting on you.") and on each new ticket, and note each reopening.
//
// Printed: events evaluated per second (every automation of the event's type gets a run: fired or why not) against
// the rate events were made (the ceiling: automations cannot run ahead of their events), the lateness of the
// automated texts (Twilio's dateCreated − the PATCH that caused it) p50/p99 beside an agent's direct reply measured
// in the same run (the ceiling of the send path), and automated texts doubled and lost (both must be 0). A report,
// not a test: exits 0 and marks each check ✓ or ✗. Figures are also written to bench/results/automations.json.
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

const SCRIPT = 'bench:automations';
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const NUMBER = '+14155550200';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    tickets: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    'database-url': { type: 'string' },
    timeout: { type: 'string', default: '300' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  console.log(`usage: npm run bench:automations -- [options]
  --events N         ticket events in all: each ticket's first text makes two, each status change one (default 5000)
  --tickets T        customers, each with a ticket (default 100)
  --concurrency C    requests at once, over different tickets (default 16)
  --database-url URL run on PostgreSQL (a fresh database is created on that server and dropped afterwards)
  --timeout S        seconds to wait for the last automated text after the last event (default 300)`);
  process.exit(0);
}

const number = (name: string, raw: string | undefined, min: number) => numberFlag(SCRIPT, name, raw, min);
const TICKETS = number('tickets', flags.tickets, 1);
const EVENTS = number('events', flags.events, TICKETS * 2 + 2);
const CONCURRENCY = number('concurrency', flags.concurrency, 1);
const TIMEOUT_MS = number('timeout', flags.timeout, 1) * 1000;
const DATABASE_URL = flags['database-url'] ?? null;
/** Status changes per ticket, alternating pending and open (an even number: each pending has its open). */
const FLIPS = Math.max(2, 2 * Math.round((EVENTS - 2 * TICKETS) / TICKETS / 2));

installCleanup(SCRIPT);

const waiting = (id: number) => `Ticket #${id} is waiting on you.`;
const opened = (id: number) => `Thanks, ticket #${id} is open.`;

/** The 20 automations: 3 act, 17 are evaluated for the same events and do nothing (their runs say why). */
function automations(): Record<string, unknown>[] {
  const acting = [
    { name: 'Pending notice', when: 'ticket.status_changed', if: { status: 'pending' }, then: [{ sendSms: { body: 'Ticket #{{ticket.id}} is waiting on you.' } }] },
    { name: 'Acknowledge', when: 'ticket.created', then: [{ sendSms: { body: 'Thanks, ticket #{{ticket.id}} is open.' } }] },
    { name: 'Reopened note', when: 'ticket.status_changed', if: { status: 'open', previousStatus: 'pending' }, then: [{ note: { bodyHtml: '<p>Back to open.</p>' } }] },
  ];
  const idle: Record<string, unknown>[] = [];
  for (let i = 0; i < 6; i++) idle.push({ name: `VIP ${i}`, when: 'ticket.status_changed', if: { tag: `vip-${i}` }, then: [{ sendSms: { body: 'never' } }] });
  for (let i = 0; i < 4; i++) idle.push({ name: `Closed ${i}`, when: 'ticket.status_changed', if: { previousStatus: 'closed' }, then: [{ note: { bodyHtml: '<p>never</p>' } }] });
  for (let i = 0; i < 4; i++) idle.push({ name: `Keyword ${i}`, when: 'message.received', if: { keyword: `never${i}` }, then: [{ sendSms: { body: 'never' } }] });
  idle.push({ name: 'Other number', when: 'ticket.created', if: { twilioNumber: '+14155550999' }, then: [{ sendSms: { body: 'never' } }] });
  idle.push({ name: 'Office hours', when: 'ticket.created', if: { businessHours: 'inside' }, then: [{ sendSms: { body: 'never' } }] });
  idle.push({ name: 'Resolved', when: 'ticket.status_changed', if: { status: 'resolved' }, then: [{ sendSms: { body: 'never' } }] });
  return [...acting, ...idle];
}

async function main(): Promise<void> {
  const account = { sid: 'AC' + randomBytes(16).toString('hex'), authToken: randomBytes(16).toString('hex') };
  const apiToken = randomBytes(24).toString('hex');
  const database = DATABASE_URL ? await createDatabase(DATABASE_URL) : null;
  const emulator = await startTwilioEmulator({ accounts: [account], maxConcurrentRequests: 256, requestLatencyMs: 2, statusDelayMs: 50 });
  emulator.setSender(NUMBER, { mps: 10_000 });
  const customers = Array.from({ length: TICKETS }, (_, i) => `+1646${String(2_000_000 + i).padStart(7, '0')}`);
  const total = TICKETS * 2 + TICKETS * FLIPS;
  console.log(`${SCRIPT} — ${int(total)} ticket events (${TICKETS} tickets × ${FLIPS} status changes, and their first texts), 20 automations; ` +
    `${database ? 'PostgreSQL' : 'embedded default'}; ${os.availableParallelism()} cores`);
  try {
    const port = await freePort();
    const dataDir = mkdtempSync(join(os.tmpdir(), 'smsdesk-bench-automations-'));
    tempDirs.add(dataDir);
    const env: Record<string, string> = {
      DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', TWILIO_ACCOUNT_SID: account.sid, TWILIO_AUTH_TOKEN: account.authToken,
      TWILIO_API_BASE_URL: emulator.apiBaseUrl, SMSDESK_API_TOKEN: apiToken, LOG_LEVEL: 'warn', NODE_ENV: 'production',
      SMSDESK_SENDER_RATES: `${NUMBER}=10000`,
    };
    if (database) env.DATABASE_URL = database.url;
    const child = startChild('smsdesk', 'bin/smsdesk.js', ['serve'], childEnv(env), port);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(child, 'GET /healthz → 200', 60_000, () => fetch(`${base}/healthz`).then((r) => r.ok), 'smsdesk did not answer /healthz within 60 s');
    emulator.setWebhookUrl(`${base}/webhooks/twilio/messages`);
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${path}`, {
        method, headers: { authorization: `Bearer ${apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
      return (text ? JSON.parse(text) : {}) as T;
    };
    const ids: number[] = [];
    for (const a of automations()) ids.push((await api<{ id: number }>('POST', '/api/v1/automations', a)).id);

    // Each customer texts in: a ticket each (ticket.created, message.received).
    const started = Date.now();
    await pool(customers, CONCURRENCY, async (c) => {
      const r = await emulator.sendInbound({ from: c, to: NUMBER, body: 'Hello, I need help' });
      if (r.status !== 200) throw new Error(`inbound webhook answered ${r.status}`);
    });
    const ticketOf = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    while (ticketOf.size < TICKETS && Date.now() < deadline) {
      const { tickets } = await api<{ tickets: { id: number; requester: { phone: string } }[] }>('GET', '/api/v1/tickets');
      for (const t of tickets) ticketOf.set(t.requester.phone, t.id);
      if (ticketOf.size < TICKETS) await sleep(200);
    }
    if (ticketOf.size < TICKETS) throw new Error(`only ${ticketOf.size} of ${TICKETS} tickets were opened within 120 s`);

    // Status flips: per ticket in order (pending, open, …), tickets in parallel. Each pending's time is kept.
    const pendingAt = new Map<number, number[]>();
    await pool(customers, CONCURRENCY, async (c) => {
      const id = ticketOf.get(c)!;
      const times: number[] = [];
      for (let k = 0; k < FLIPS; k++) {
        const status = k % 2 === 0 ? 'pending' : 'open';
        await api('PATCH', `/api/v1/tickets/${id}`, { status });
        if (status === 'pending') times.push(Date.now());
      }
      pendingAt.set(id, times);
    });
    const madeSeconds = (Date.now() - started) / 1000;

    // The ceiling of the send path, in the same run: agents' direct replies, POST → Twilio.
    const replyAt = new Map<string, number>();
    await pool(customers.slice(0, Math.min(50, TICKETS)), CONCURRENCY, async (c, i) => {
      const body = `direct reply ${i}`;
      replyAt.set(body, Date.now());
      await api('POST', `/api/v1/tickets/${ticketOf.get(c)}/replies`, { body });
    });

    const expected = TICKETS * (FLIPS / 2) + TICKETS;
    const automated = () => emulator.messages().filter((m) => m.direction !== 'inbound' && (m.body.startsWith('Ticket #') || m.body.startsWith('Thanks, ticket #')));
    const until = Date.now() + TIMEOUT_MS;
    while (automated().length < expected && Date.now() < until) await sleep(250);
    // Every automation of each event's type has its run (fired or not) before the figures are read.
    const runsExpected = TICKETS * FLIPS * 13 + TICKETS * 3 + TICKETS * 4;
    let runs = 0;
    let latestRun = 0;
    for (;;) {
      runs = 0;
      latestRun = 0;
      for (const id of ids) {
        const { counts } = await api<{ counts: { runs: number; latestAt: string | null } }>('GET', `/api/v1/automations/${id}/runs?limit=1`);
        runs += counts.runs;
        if (counts.latestAt) latestRun = Math.max(latestRun, Date.parse(counts.latestAt));
      }
      if (runs >= runsExpected || Date.now() > until) break;
      await sleep(500);
    }
    await sleep(1000); // room for a double to show
    const sent = automated();
    const byBody = new Map<string, number[]>();
    for (const m of sent) byBody.set(m.body, [...(byBody.get(m.body) ?? []), Date.parse(m.dateCreated)]);
    let lost = 0;
    let doubled = 0;
    const lateness: number[] = [];
    for (const [id, times] of pendingAt) {
      const got = (byBody.get(waiting(id)) ?? []).sort((a, b) => a - b);
      if (got.length < times.length) lost += times.length - got.length;
      if (got.length > times.length) doubled += got.length - times.length;
      for (let k = 0; k < Math.min(got.length, times.length); k++) lateness.push(got[k]! - times[k]!);
      const acks = byBody.get(opened(id))?.length ?? 0;
      if (acks === 0) lost++;
      if (acks > 1) doubled += acks - 1;
    }
    const direct: number[] = [];
    for (const m of emulator.messages()) {
      const at = replyAt.get(m.body);
      if (at !== undefined) direct.push(Date.parse(m.dateCreated) - at);
    }
    const evaluatedSeconds = (latestRun - started) / 1000;
    const evaluatedPerSecond = total / evaluatedSeconds;
    const madePerSecond = total / madeSeconds;
    const r = {
      events: total, automations: ids.length, runs, runsExpected,
      eventsPerSecond: { evaluated: round(evaluatedPerSecond, 1), made: round(madePerSecond, 1), ratio: round(evaluatedPerSecond / madePerSecond, 2) },
      actionLatenessMs: { p50: percentile(lateness, 0.5), p99: percentile(lateness, 0.99), max: Math.max(...lateness) },
      directReplyMs: { p50: percentile(direct, 0.5), p99: percentile(direct, 0.99) },
      automatedTexts: sent.length, expectedTexts: expected, doubled, lost,
    };
    const met = { runs: runs === runsExpected, doubled: doubled === 0, lost: lost === 0 };
    console.log('');
    console.log('| measure | smsdesk | ceiling | floor |');
    console.log('|---|---|---|---|');
    console.log(`| events evaluated / s | ${r.eventsPerSecond.evaluated} | ${r.eventsPerSecond.made} made / s (ratio ${r.eventsPerSecond.ratio}) | — |`);
    console.log(`| runs recorded | ${int(runs)} of ${int(runsExpected)} ${mark(met.runs)} | | all |`);
    console.log(`| automated text lateness p50 / p99 | ${int(r.actionLatenessMs.p50)} / ${int(r.actionLatenessMs.p99)} ms | direct reply ${int(r.directReplyMs.p50)} / ${int(r.directReplyMs.p99)} ms | — |`);
    console.log(`| automated texts doubled / lost | ${doubled} / ${lost} ${mark(met.doubled && met.lost)} | | 0 / 0 |`);
    console.log(`p99 lateness against the direct reply's p99: ${round(r.actionLatenessMs.p99 / Math.max(1, r.directReplyMs.p99), 1)}×`);
    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    writeFileSync(join(BENCH_DIR, 'results', 'automations.json'), JSON.stringify({
      at: new Date().toISOString(), database: database ? 'postgres' : 'embedded', tickets: TICKETS, flips: FLIPS, ...r, met,
    }, null, 2) + '\n');
  } finally {
    await stopAll(5_000);
    await emulator.close();
    await database?.drop();
  }
}

void runMain(SCRIPT, main);
