// npm run bench:helpdesk [-- --customers 200 --texts 5 --limit 200 --scale 15 …]   (-- --help lists the options)
//
// Texts into Freshdesk at its Growth plan's rate limit: 1,000 texts from 200 customers (5 each, sent round by round
// so every customer's first text comes before anyone's second) through smsdesk running as a child process
// (`smsdesk serve`, embedded PGlite in a fresh DATA_DIR, HELPDESK=freshdesk) against the Twilio emulator and the
// Freshdesk fake (test/fakes/freshdesk.ts), both in this process. The fake allows --limit calls a minute and answers
// 429 with Retry-After beyond; --scale S makes its minute last 60/S seconds, so the default run (S = 15, a 4 s
// "minute") takes well under a minute of wall time for what would take Freshdesk ~7 minutes.
//
// Printed: Freshdesk calls per first text (contact lookup, contact, ticket: floor ≤ 3) and per follow-up (the note,
// plus any ticket fetch: floor ≤ 1.1), counting the calls that did work (429s are listed apart); texts lost (sent
// and stored by smsdesk, but not on a Freshdesk ticket in their customer's order: must be 0); 429s that reached a
// user (texts whose routing failed for good: must be 0); throughput against its ceiling, the rate limit divided by
// the calls each text needs. A report, not a test: exits 0 and marks each check ✓ or ✗. Figures are also written to
// bench/results/helpdesk.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTwilioEmulator } from '../src/adapters/twilio/emulator/index.ts';
import { FakeFreshdesk } from '../test/fakes/freshdesk.ts';
import { childEnv, freePort, installCleanup, numberFlag, runMain, sleep, startChild, stopAll, tempDirs, waitFor } from './lib/children.ts';
import { int, mark, round } from './lib/format.ts';

const SCRIPT = 'bench:helpdesk';
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

const { values: flags } = parseArgs({
  options: {
    customers: { type: 'string', default: '200' },
    texts: { type: 'string', default: '5' },
    limit: { type: 'string', default: '200' },
    scale: { type: 'string', default: '15' },
    timeout: { type: 'string', default: '180' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  console.log(`usage: npm run bench:helpdesk -- [options]
  --customers N   customers texting in (default 200)
  --texts K       texts per customer, the first opens the ticket (default 5)
  --limit L       Freshdesk calls allowed per minute (default 200, the Growth plan)
  --scale S       the fake's minute lasts 60/S seconds (default 15)
  --timeout S     seconds to wait for every text to reach Freshdesk (default 180)`);
  process.exit(0);
}

const CUSTOMERS = numberFlag(SCRIPT, 'customers', flags.customers, 1);
const TEXTS = numberFlag(SCRIPT, 'texts', flags.texts, 1);
const LIMIT = numberFlag(SCRIPT, 'limit', flags.limit, 1);
const SCALE = numberFlag(SCRIPT, 'scale', flags.scale, 1, false);
const TIMEOUT_MS = numberFlag(SCRIPT, 'timeout', flags.timeout, 1) * 1000;
const ACCOUNT = { sid: 'AC' + 'b'.repeat(32), authToken: 'c'.repeat(32) };
const NUMBER = '+14155550199';
const API_TOKEN = 'bench-helpdesk-token';

installCleanup(SCRIPT);

async function main(): Promise<void> {
  const total = CUSTOMERS * TEXTS;
  console.log(
    `${SCRIPT} — ${int(total)} texts from ${int(CUSTOMERS)} customers (${TEXTS} each) into the Freshdesk fake at ${LIMIT} calls/min, ` +
      `time-scaled ×${SCALE} (a minute lasts ${round(60 / SCALE, 1)} s); embedded PGlite, 1 smsdesk instance; ${os.availableParallelism()} cores`,
  );
  const fake = await new FakeFreshdesk().start();
  fake.rateLimit = { perMinute: LIMIT, timeScale: SCALE };
  const emulator = await startTwilioEmulator({ accounts: [ACCOUNT] });
  try {
    const port = await freePort();
    const dataDir = mkdtempSync(join(os.tmpdir(), 'smsdesk-bench-helpdesk-'));
    tempDirs.add(dataDir);
    const child = startChild('smsdesk', 'bin/smsdesk.js', ['serve'], childEnv({
      DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', TWILIO_ACCOUNT_SID: ACCOUNT.sid, TWILIO_AUTH_TOKEN: ACCOUNT.authToken,
      TWILIO_API_BASE_URL: emulator.apiBaseUrl, SMSDESK_API_TOKEN: API_TOKEN, LOG_LEVEL: 'warn', NODE_ENV: 'production',
      HELPDESK: 'freshdesk', FRESHDESK_URL: fake.url, FRESHDESK_API_KEY: fake.apiKey,
    }), port);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(child, 'GET /healthz → 200', 60_000, () => fetch(`${base}/healthz`).then((r) => r.ok));
    emulator.setWebhookUrl(`${base}/webhooks/twilio/messages`);
    const stats = async () => {
      const res = await fetch(`${base}/api/v1/stats`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      return ((await res.json()) as { messages: { inbound: number; routed: number }; jobs: { failed: number } });
    };

    const phones = Array.from({ length: CUSTOMERS }, (_, i) => `+1646555${String(i).padStart(4, '0')}`);
    const started = Date.now();
    let stored = 0;
    for (let round_ = 1; round_ <= TEXTS; round_++) {
      await pool(phones, 16, async (phone) => {
        const res = await emulator.sendInbound({ from: phone, to: NUMBER, body: `text ${round_} from ${phone}` });
        if (res.status === 200) stored++;
      });
      // Each round waits for its texts to be stored only (not routed): the backlog builds behind the rate limit.
    }
    let s = await stats();
    for (const deadline = Date.now() + TIMEOUT_MS; s.messages.routed + s.jobs.failed < stored && Date.now() < deadline; s = await stats()) await sleep(200);
    const elapsedMs = Date.now() - started;

    // What landed in Freshdesk, customer by customer, in order.
    const byPhone = new Map([...fake.contacts.values()].map((c) => [c.mobile, c.id]));
    let lost = 0;
    let disordered = 0;
    for (const phone of phones) {
      const tickets = [...fake.tickets.values()].filter((t) => t.requester_id === byPhone.get(phone));
      const seen = tickets.flatMap((t) => [t.description, ...(fake.conversations.get(t.id) ?? []).map((c) => c.body)])
        .map((html) => Number(html.match(/text (\d+) from/)?.[1] ?? NaN)).filter((n) => !Number.isNaN(n));
      lost += TEXTS - new Set(seen).size;
      if (seen.some((n, i) => i > 0 && n < seen[i - 1]!)) disordered++;
    }
    const worked = fake.calls.filter((c) => c.status !== 429);
    const count = (re: RegExp) => worked.filter((c) => re.test(`${c.method} ${c.path}`)).length;
    const firstCalls = count(/^(GET|POST) \/api\/v2\/contacts$/) + count(/^POST \/api\/v2\/tickets$/);
    const followCalls = count(/^POST \/api\/v2\/tickets\/\d+\/notes$/) + count(/^(GET|PUT) \/api\/v2\/tickets\/\d+$/);
    const otherCalls = worked.length - firstCalls - followCalls;
    const perFirst = firstCalls / CUSTOMERS;
    const perFollow = followCalls / Math.max(1, total - CUSTOMERS);
    const minutes = elapsedMs / 1000 / (60 / SCALE);
    const callsPerMin = worked.length / minutes;
    const textsPerMin = stored / minutes;
    const ceilingTexts = LIMIT / (worked.length / Math.max(1, stored));
    const reachedUser = s.jobs.failed + (stored < total ? total - stored : 0);

    console.log(`  texts sent ${int(total)}, stored by smsdesk ${int(stored)}, on Freshdesk tickets ${int(stored - lost)}; ${int(fake.tickets.size)} tickets, ${int(fake.contacts.size)} contacts`);
    console.log(`  Freshdesk calls that did work: ${int(worked.length)} (first texts ${int(firstCalls)}, follow-ups ${int(followCalls)}, other ${int(otherCalls)}); 429s answered: ${int(fake.throttled)}`);
    console.log(`  calls per first text   ${perFirst.toFixed(2)}  ${mark(perFirst <= 3)} floor ≤ 3`);
    console.log(`  calls per follow-up    ${perFollow.toFixed(2)}  ${mark(perFollow <= 1.1)} floor ≤ 1.1`);
    console.log(`  texts lost             ${int(lost)}  ${mark(lost === 0)} must be 0 (customers whose texts landed out of order: ${disordered} ${mark(disordered === 0)})`);
    console.log(`  429s that reached a user ${int(reachedUser)}  ${mark(reachedUser === 0)} must be 0 (routing jobs failed for good: ${s.jobs.failed})`);
    console.log(`  wall time ${round(elapsedMs / 1000, 1)} s = ${round(minutes, 2)} Freshdesk minutes; ${round(callsPerMin)} calls/min of ${LIMIT} allowed (${round(callsPerMin / LIMIT, 2)} of the ceiling)`);
    console.log(`  throughput ${round(textsPerMin)} texts/min; ceiling at this limit ${round(ceilingTexts)} texts/min (${round(textsPerMin / ceilingTexts, 2)} of it)`);

    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    writeFileSync(join(BENCH_DIR, 'results', 'helpdesk.json'), JSON.stringify({
      at: new Date().toISOString(), customers: CUSTOMERS, texts: total, limitPerMinute: LIMIT, scale: SCALE, stored, lost, disordered,
      callsPerFirstText: round(perFirst), callsPerFollowUp: round(perFollow), calls: worked.length, throttled: fake.throttled, reachedUser,
      wallSeconds: round(elapsedMs / 1000, 1), callsPerMinute: round(callsPerMin), ofCeiling: round(callsPerMin / LIMIT), textsPerMinute: round(textsPerMin),
    }, null, 2) + '\n');
  } finally {
    await stopAll(10_000);
    await emulator.close();
    await fake.close();
  }
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

await runMain(SCRIPT, main);
