import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SendError, type Messaging } from '../../ports/messaging.ts';

/** What the queue tells a scrape: jobs by queue and state, and how long the oldest due job has waited. */
export type QueueStats = () => Promise<{ queue: string; state: string; jobs: number; oldestDueSeconds: number | null }[]>;

/**
 * smsdesk's Prometheus metrics (GET /metrics), in a registry of its own (several smsdesks in one test process
 * never share counters): webhooks by kind and outcome, queue depth and age per queue (read at each scrape),
 * Twilio send latency and errors by code, rate-limit waits, and Node's process metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly webhooks = new Counter({
    name: 'smsdesk_webhooks_total', help: 'Webhooks answered, by kind (twilio_message, twilio_status, helpdesk) and outcome (HTTP status class)',
    labelNames: ['kind', 'outcome'] as const, registers: [this.registry],
  });
  readonly sendSeconds = new Histogram({
    name: 'smsdesk_twilio_send_seconds', help: "Time Twilio's Messages API took to answer a create",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry],
  });
  readonly twilioErrors = new Counter({
    name: 'smsdesk_twilio_errors_total', help: 'Twilio API refusals and failures by error code (unclear: no answer)', labelNames: ['code'] as const, registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'smsdesk_rate_limited_total', help: 'Requests a remote service answered 429 (twilio), each a wait before trying again', labelNames: ['service'] as const, registers: [this.registry],
  });

  constructor(queueStats: QueueStats) {
    collectDefaultMetrics({ register: this.registry, prefix: 'smsdesk_' });
    // Read at scrape time, both gauges from one query: the same numbers whichever instance answers.
    let reading: Promise<Awaited<ReturnType<QueueStats>>> | null = null;
    const read = () => (reading ??= queueStats().finally(() => setImmediate(() => (reading = null))));
    new Gauge({
      name: 'smsdesk_queue_jobs', help: 'Jobs in the durable queue by queue and state', labelNames: ['queue', 'state'] as const, registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await read()) this.set({ queue: r.queue, state: r.state }, r.jobs);
      },
    });
    new Gauge({
      name: 'smsdesk_queue_oldest_due_seconds', help: 'How long the oldest due job of each queue has waited', labelNames: ['queue'] as const, registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await read()) if (r.state === 'ready') this.set({ queue: r.queue }, r.oldestDueSeconds ?? 0);
      },
    });
  }

  /** The Messaging port with its sends timed and its errors counted. */
  instrument(messaging: Messaging): Messaging {
    const m = this;
    return Object.assign(Object.create(messaging) as Messaging, {
      async send(request: Parameters<Messaging['send']>[0]) {
        const end = m.sendSeconds.startTimer();
        try {
          const sent = await messaging.send(request);
          end();
          return sent;
        } catch (err) {
          if (err instanceof SendError) {
            if (err.kind === 'throttled') m.rateLimited.inc({ service: 'twilio' });
            m.twilioErrors.inc({ code: err.kind === 'unclear' ? 'unclear' : String(err.code ?? 'none') });
          }
          throw err;
        }
      },
    });
  }
}
