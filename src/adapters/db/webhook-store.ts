import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Sql } from './sql.ts';
import { enqueueing, jobInsert } from '../queue/job-queue.ts';
import type { RecordedEvent } from '../../ports/event-outbox.ts';
import {
  WEBHOOK_DELIVERY_QUEUE,
  type AttemptResult, type DeliveryAttempt, type DeliveryRecord, type DeliveryWithLog, type DeliveryWork, type RecordedVerdict,
  type SubscriptionWithSecret, type WebhookStore, type WebhookSubscription,
} from '../../ports/webhooks.ts';
import { secretHint, type DeliveryStatus, type WebhookEventType } from '../../domain/webhooks.ts';
import type { EventType } from '../../domain/events.ts';

/** How long the subscriptions are trusted (every event and every inbound text reads them); this process's writes clear it. */
const CACHE_MS = 2_000;

/** A delivery series' job key: one job per series, so a resend never waits behind the series it replaces. */
const deliveryKey = (subscriptionId: number, eventId: string, series: number) =>
  `webhook:${subscriptionId}:${eventId}${series > 1 ? `:${series}` : ''}`;
const KEY_SQL = (t: string) => `'webhook:' || ${t}.subscription_id || ':' || ${t}.event_id || CASE WHEN ${t}.series > 1 THEN ':' || ${t}.series ELSE '' END`;

interface SubscriptionRow {
  id: number;
  url: string;
  events: WebhookEventType[];
  secret: string;
  secret_hint: string;
  decide: boolean;
  created_at: Date;
  created_by: number | null;
}

interface DeliveryRow {
  id: number;
  subscription_id: number;
  event_id: string;
  type: string;
  kind: 'event' | 'decide';
  status: DeliveryStatus;
  series: number;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  first_attempt_at: Date | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

const DELIVERY_COLUMNS = `d.id, d.subscription_id, d.event_id, d.type, d.kind, d.status, d.series, d.attempts, d.last_status_code,
  d.last_error, d.first_attempt_at, d.next_attempt_at, d.delivered_at, d.created_at`;

/**
 * webhook_subscriptions, webhook_deliveries, webhook_attempts and inbound_filter_verdicts. Secrets are kept
 * sealed (AES-256-GCM) under a key of the secrets table (sharedKey 'webhook-secrets'): a copy of these rows,
 * a query log or a table export shows no secret; someone who holds the whole database holds the key too.
 */
export class SqlWebhookStore implements WebhookStore {
  private cache: { at: number; subs: SubscriptionWithSecret[] } | null = null;

  constructor(
    private readonly sql: Sql,
    /** 32 bytes: sharedKey(sql, 'webhook-secrets'). */
    private readonly key: Buffer,
  ) {}

  async create(input: { url: string; events: WebhookEventType[]; decide: boolean; secret: string; createdBy: number | null }): Promise<WebhookSubscription> {
    const [row] = await this.sql.query<SubscriptionRow>(
      `INSERT INTO webhook_subscriptions (url, events, secret, secret_hint, decide, created_by) VALUES ($1, $2::text[], $3, $4, $5, $6)
       RETURNING id, url, events, secret, secret_hint, decide, created_at, created_by`,
      [input.url, input.events, seal(this.key, input.secret), secretHint(input.secret), input.decide, input.createdBy],
    );
    this.cache = null;
    return toSubscription(row!);
  }

  async list(): Promise<WebhookSubscription[]> {
    const rows = await this.sql.query<SubscriptionRow>(
      'SELECT id, url, events, secret, secret_hint, decide, created_at, created_by FROM webhook_subscriptions ORDER BY id',
    );
    return rows.map(toSubscription);
  }

  async get(id: number): Promise<WebhookSubscription | null> {
    const [row] = await this.sql.query<SubscriptionRow>(
      'SELECT id, url, events, secret, secret_hint, decide, created_at, created_by FROM webhook_subscriptions WHERE id = $1',
      [id],
    );
    return row ? toSubscription(row) : null;
  }

  async remove(id: number): Promise<boolean> {
    const rows = await this.sql.query('DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id', [id]);
    this.cache = null;
    return rows.length > 0;
  }

  /** Every subscription with its secret, from a cache of CACHE_MS. */
  private async all(): Promise<SubscriptionWithSecret[]> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.subs;
    const rows = await this.sql.query<SubscriptionRow>(
      'SELECT id, url, events, secret, secret_hint, decide, created_at, created_by FROM webhook_subscriptions ORDER BY id',
    );
    const subs = rows.map((r) => ({ ...toSubscription(r), secret: unseal(this.key, r.secret) }));
    this.cache = { at: now, subs };
    return subs;
  }

  /** Whether any subscription would be sent an event of this type (from the cache: no query most of the time). */
  async subscribed(type: string): Promise<boolean> {
    return (await this.all()).some((s) => (s.events as string[]).includes(type));
  }

  async fanOut(event: RecordedEvent, only?: { subscriptionId: number }): Promise<number> {
    const ids = only ? [only.subscriptionId] : (await this.all())
      .filter((s) => (s.events as EventType[]).includes(event.type) && !(s.decide && event.type === 'message.received'))
      .map((s) => s.id);
    if (!ids.length) return 0;
    const [row] = await enqueueing(this.sql, WEBHOOK_DELIVERY_QUEUE, ids.map((id) => deliveryKey(id, event.id, 1)), (tx) => tx.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO webhook_deliveries (subscription_id, event_id, type, status, next_attempt_at)
         SELECT s.id, $2::text, $3::text, 'pending', now() FROM webhook_subscriptions s
          WHERE s.id = ANY($1::int[]) AND ($4::boolean OR $3::text = ANY(s.events))
          ORDER BY s.id
         ON CONFLICT (subscription_id, event_id) DO NOTHING
         RETURNING id, subscription_id, event_id, series
       ), jobs AS (
         ${jobInsert({
           queue: `'${WEBHOOK_DELIVERY_QUEUE}'`, key: KEY_SQL('ins'),
           payload: "jsonb_build_object('deliveryId', ins.id, 'series', ins.series)", from: 'ins', orderBy: 'ins.id',
         })}
       )
       SELECT count(*)::int AS n FROM ins`,
      [ids, event.id, event.type, Boolean(only)],
    ));
    return row?.n ?? 0;
  }

  async byUrl(url: string): Promise<WebhookSubscription | null> {
    // Compared as URLs, not strings: https://crm.example.com and https://crm.example.com/ are one address.
    const same = (a: string) => {
      try {
        return new URL(a).href === new URL(url).href;
      } catch {
        return false;
      }
    };
    return (await this.all()).find((s) => same(s.url) && !s.decide) ?? null;
  }

  async load(deliveryId: number, series: number): Promise<DeliveryWork | null> {
    const [row] = await this.sql.query<DeliveryRow & {
      url: string; secret: string; e_id: string | null; e_type: EventType; e_helpdesk: string; e_ticket_id: string | number | null;
      e_data: RecordedEvent['data']; e_caused_by: number[]; e_created_at: Date;
    }>(
      `SELECT ${DELIVERY_COLUMNS}, s.url, s.secret,
              e.id AS e_id, e.type AS e_type, e.helpdesk AS e_helpdesk, e.ticket_id AS e_ticket_id, e.data AS e_data,
              e.caused_by AS e_caused_by, e.created_at AS e_created_at
         FROM webhook_deliveries d
         JOIN webhook_subscriptions s ON s.id = d.subscription_id
         LEFT JOIN domain_events e ON e.id = d.event_id
        WHERE d.id = $1 AND d.series = $2`,
      [deliveryId, series],
    );
    if (!row) return null;
    return {
      delivery: toDelivery(row),
      url: row.url,
      secret: unseal(this.key, row.secret),
      event: row.e_id === null ? null : {
        id: row.e_id, type: row.e_type, helpdesk: row.e_helpdesk, ticketId: row.e_ticket_id === null ? null : Number(row.e_ticket_id),
        data: row.e_data, causedBy: row.e_caused_by ?? [], createdAt: row.e_created_at,
      },
    };
  }

  async recordAttempt(deliveryId: number, series: number, attempt: Omit<DeliveryAttempt, 'series'>, result: AttemptResult): Promise<void> {
    await this.sql.query(
      `WITH logged AS (
         INSERT INTO webhook_attempts (delivery_id, series, at, status_code, error, duration_ms)
         SELECT id, $2, $3, $4, $5, $6 FROM webhook_deliveries WHERE id = $1
       )
       UPDATE webhook_deliveries
          SET attempts = attempts + 1, last_status_code = $4, last_error = $5, first_attempt_at = COALESCE(first_attempt_at, $3),
              status = $7, next_attempt_at = $8, delivered_at = CASE WHEN $7::text = 'delivered' THEN now() END
        WHERE id = $1 AND series = $2 AND status = 'pending'`,
      [deliveryId, series, attempt.at, attempt.statusCode, attempt.error?.slice(0, 1000) ?? null, attempt.durationMs, result.status,
        result.status === 'pending' ? result.nextAttemptAt : null],
    );
  }

  async markFailed(deliveryId: number, series: number, error: string): Promise<void> {
    await this.sql.query(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = $3, next_attempt_at = NULL
        WHERE id = $1 AND series = $2 AND status = 'pending'`,
      [deliveryId, series, error.slice(0, 1000)],
    );
  }

  async deliveries(subscriptionId: number, opts: { limit: number; before?: number; id?: number }): Promise<DeliveryWithLog[]> {
    const rows = await this.sql.query<DeliveryRow & { log: { series: number; at: string; statusCode: number | null; error: string | null; durationMs: number }[] }>(
      `SELECT ${DELIVERY_COLUMNS},
              COALESCE((SELECT jsonb_agg(jsonb_build_object('series', a.series, 'at', a.at, 'statusCode', a.status_code, 'error', a.error,
                                                           'durationMs', a.duration_ms) ORDER BY a.id DESC)
                          FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::jsonb) AS log
         FROM webhook_deliveries d
        WHERE d.subscription_id = $1 AND ($3::int IS NULL OR d.id < $3) AND ($4::int IS NULL OR d.id = $4)
        ORDER BY d.id DESC
        LIMIT $2`,
      [subscriptionId, opts.limit, opts.before ?? null, opts.id ?? null],
    );
    return rows.map((r) => ({ ...toDelivery(r), log: r.log.map((a) => ({ ...a, at: new Date(a.at) })) }));
  }

  async delivery(subscriptionId: number, deliveryId: number): Promise<DeliveryWithLog | null> {
    return (await this.deliveries(subscriptionId, { limit: 1, id: deliveryId }))[0] ?? null;
  }

  async resend(subscriptionId: number, deliveryId: number): Promise<DeliveryRecord | null> {
    const current = await this.delivery(subscriptionId, deliveryId);
    if (!current || current.kind !== 'event') return null;
    const next = current.series + 1;
    const [row] = await enqueueing(this.sql, WEBHOOK_DELIVERY_QUEUE, [deliveryKey(subscriptionId, current.eventId, next)], (tx) => tx.query<DeliveryRow>(
      `WITH d AS (
         UPDATE webhook_deliveries
            SET series = series + 1, status = 'pending', attempts = 0, first_attempt_at = NULL, next_attempt_at = now(), delivered_at = NULL
          WHERE id = $1 AND subscription_id = $2 AND series = $3 AND kind = 'event'
          RETURNING *
       ), jobs AS (
         ${jobInsert({
           queue: `'${WEBHOOK_DELIVERY_QUEUE}'`, key: KEY_SQL('d'), payload: "jsonb_build_object('deliveryId', d.id, 'series', d.series)", from: 'd',
         })}
       )
       SELECT ${DELIVERY_COLUMNS} FROM d`,
      [deliveryId, subscriptionId, current.series],
    ));
    // Someone else's resend came first: theirs is the series that runs.
    return row ? toDelivery(row) : (await this.delivery(subscriptionId, deliveryId));
  }

  async filters(): Promise<SubscriptionWithSecret[]> {
    return (await this.all()).filter((s) => s.decide && s.events.includes('message.received'));
  }

  async verdictFor(messageId: number): Promise<RecordedVerdict | null> {
    const [row] = await this.sql.query<VerdictRow>('SELECT action, reason, webhook_id FROM inbound_filter_verdicts WHERE message_id = $1', [messageId]);
    return row ? toVerdict(row) : null;
  }

  async recordVerdict(messageId: number, verdict: RecordedVerdict): Promise<RecordedVerdict> {
    // One statement: the row this insert made, or (when one was there already) the one that stands.
    const [row] = await this.sql.query<VerdictRow>(
      `WITH ins AS (
         INSERT INTO inbound_filter_verdicts (message_id, action, reason, webhook_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (message_id) DO NOTHING
         RETURNING action, reason, webhook_id
       )
       SELECT action, reason, webhook_id FROM ins
       UNION ALL
       SELECT action, reason, webhook_id FROM inbound_filter_verdicts WHERE message_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [messageId, verdict.action, verdict.action === 'reject' ? verdict.reason : null, verdict.webhookId],
    );
    return row ? toVerdict(row) : verdict;
  }

  async recordQuestion(input: { subscriptionId: number; eventId: string; attempt: Omit<DeliveryAttempt, 'series'>; delivered: boolean }): Promise<void> {
    const a = input.attempt;
    // A subscription deleted meanwhile logs nothing.
    await this.sql.query(
      `WITH d AS (
         INSERT INTO webhook_deliveries (subscription_id, event_id, type, kind, status, attempts, last_status_code, last_error,
                                         first_attempt_at, delivered_at)
         SELECT id, $2::text, 'message.received', 'decide', $3::text, 1, $4::int, $5::text, $6::timestamptz,
                CASE WHEN $3::text = 'delivered' THEN now() END
           FROM webhook_subscriptions WHERE id = $1
         ON CONFLICT (subscription_id, event_id) DO UPDATE
           SET attempts = webhook_deliveries.attempts + 1, status = EXCLUDED.status, last_status_code = EXCLUDED.last_status_code,
               last_error = EXCLUDED.last_error, delivered_at = EXCLUDED.delivered_at
         RETURNING id, series
       )
       INSERT INTO webhook_attempts (delivery_id, series, at, status_code, error, duration_ms)
       SELECT id, series, $6::timestamptz, $4::int, $5::text, $7::int FROM d`,
      [input.subscriptionId, input.eventId, input.delivered ? 'delivered' : 'failed', a.statusCode, a.error?.slice(0, 1000) ?? null, a.at, a.durationMs],
    );
  }
}

interface VerdictRow {
  action: 'accept' | 'reject';
  reason: string | null;
  webhook_id: number | null;
}

const toVerdict = (r: VerdictRow): RecordedVerdict =>
  r.action === 'reject' ? { action: 'reject', reason: r.reason ?? 'no reason given', webhookId: r.webhook_id } : { action: 'accept', webhookId: r.webhook_id };

const toSubscription = (r: SubscriptionRow): WebhookSubscription => ({
  id: r.id, url: r.url, events: r.events, decide: r.decide, secretHint: r.secret_hint, createdAt: r.created_at, createdBy: r.created_by,
});

const toDelivery = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id, subscriptionId: r.subscription_id, eventId: r.event_id, type: r.type, kind: r.kind, status: r.status, series: r.series,
  attempts: r.attempts, lastStatusCode: r.last_status_code, lastError: r.last_error, firstAttemptAt: r.first_attempt_at,
  nextAttemptAt: r.next_attempt_at, deliveredAt: r.delivered_at, createdAt: r.created_at,
});

/** base64(iv ‖ tag ‖ ciphertext), AES-256-GCM. */
function seal(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function unseal(key: Buffer, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
