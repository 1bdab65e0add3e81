import { segmentInfo } from '../../domain/segments.ts';
import { SqlEventOutbox } from './event-outbox.ts';
import type { NewEvent } from '../../domain/events.ts';
import type { Sql } from './sql.ts';
import { enqueueing, enqueueJobs, jobInsert } from '../queue/job-queue.ts';
import type { Status } from '../../domain/message-status.ts';
import { billableSegments, usageMonth } from '../../domain/usage.ts';
import { countryOf } from '../../domain/phone.ts';
import { chargeUsage, usageUpsert } from './usage-store.ts';
import {
  SidTaken, type EarlyCallback, type JobOnChange, type NewOutboundMessage, type OutboundForSending, type OutboundStore, type Release, type Schedule,
  type SendJob, type StatusChange, type StatusEntry,
} from '../../ports/outbound-store.ts';

interface Row {
  id: number;
  sid: string | null;
  account_sid: string;
  from_number: string;
  to_number: string;
  body: string;
  media_urls: string[];
  ticket_id: number | null;
  send_state: OutboundForSending['sendState'];
  attempt_started_at: Date | null;
  send_slot_at: Date | null;
  origin_key: string | null;
  origin: string | null;
  status: Status;
  error_code: number | null;
  send_at: Date | null;
  error_message: string | null;
}

/**
 * Serializes a callback for a SID not yet recorded with the recording of that SID, so a callback is either
 * applied to the message or kept for markAccepted, never lost between the two (PostgreSQL; the embedded
 * database runs one transaction at a time anyway).
 */
async function lockSid(tx: Sql, sid: string): Promise<void> {
  if (tx.kind === 'postgres') await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('sid:' || $1, 0))`, [sid]);
}

function usageCharge(m: { accountSid: string; from: string; to: string; segments: number; mediaUrls: unknown[] }, limit: number | null) {
  return {
    accountSid: m.accountSid, month: usageMonth(new Date()), number: m.from, country: countryOf(m.to) ?? '',
    segments: billableSegments({ segments: m.segments, mediaCount: m.mediaUrls.length }), limit,
  };
}

interface StatusRow { id: number; status: Status; status_history: StatusEntry[]; ticket_id: number | null; from_number: string; to_number: string; body: string }

export class SqlOutboundStore implements OutboundStore {
  /** `onEvents`: events were recorded with a message (wakes this process's dispatcher). */
  constructor(private readonly sql: Sql, private readonly onEvents?: () => void) {}

  async create(m: NewOutboundMessage, send: SendJob, schedule?: Schedule, usage?: { limit: number | null }, event?: (id: number) => NewEvent): Promise<number> {
    const insert = (tx: Sql) => tx.query<{ id: number; inserted: boolean }>(
      `WITH ins AS (
         INSERT INTO messages (account_sid, direction, from_number, to_number, contact_key, body, num_media, params, status,
                               status_history, encoding, segments, ticket_id, media_urls, send_state, origin_key,
                               send_at, origin, created_by)
         VALUES ($1, 'outbound', $2, $3, $3, $4, $5, '{}'::jsonb, CASE WHEN $13::timestamptz IS NULL THEN 'queued' ELSE 'scheduled' END,
                 jsonb_build_array(jsonb_build_object('status', CASE WHEN $13::timestamptz IS NULL THEN 'queued' ELSE 'scheduled' END, 'at', now(), 'errorCode', NULL)),
                 $6, $7, $8, $9::jsonb, 'pending', $12, $13, $15, $16)
         ON CONFLICT (origin_key) DO NOTHING
         RETURNING id
       ), job AS (
         ${jobInsert({
           queue: 'CASE WHEN $13::timestamptz IS NULL THEN $10 ELSE $14 END',
           key: `CASE WHEN $13::timestamptz IS NULL THEN $11 ELSE 'message:' || id END`,
           payload: "jsonb_build_object('messageId', id)", runAt: '$13', from: 'ins',
         })}
       )
       SELECT id, true AS inserted FROM ins
       UNION ALL
       SELECT id, false FROM messages WHERE $12::text IS NOT NULL AND origin_key = $12 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [m.accountSid, m.from, m.to, m.body, m.mediaUrls.length, m.encoding, m.segments, m.ticketId, JSON.stringify(m.mediaUrls),
        send.queue, send.key, m.originKey ?? null, schedule?.at ?? null, schedule?.queue ?? null, m.origin, m.createdBy ?? null],
    );
    // A scheduled message's timer has a key of its own: it waits for nobody, and nobody waits for it.
    const keys = schedule ? [] : [send.key];
    // A message queued now counts against the month in the same transaction (a scheduled one when it is due).
    if (!event && (schedule || !usage)) return (await enqueueing(this.sql, send.queue, keys, insert))[0]!.id;
    const id = await this.sql.transaction(async (tx) => {
      const [row] = await enqueueing(tx, send.queue, keys, insert);
      if (row!.inserted && usage && !schedule) await chargeUsage(tx, usageCharge(m, usage.limit));
      if (row!.inserted && event) await new SqlEventOutbox(tx).record([event(row!.id)]);
      return row!.id;
    });
    if (event) this.onEvents?.();
    return id;
  }

  async releaseDue(m: OutboundForSending, send: SendJob, usage: { limit: number | null }): Promise<Release> {
    const id = m.id;
    // Without a limit there is nothing to check: scheduled → queued, the month's count and the send job in one
    // statement, charged for the text as loaded (an edit since makes it release nothing: the job comes back for it).
    if (usage.limit === null) {
      const charge = usageCharge({ ...m, segments: segmentInfo(m.body).segments }, null);
      const [released] = await enqueueing(this.sql, send.queue, [send.key], (tx) => tx.query<{ id: number }>(
        `WITH rel AS (
           UPDATE messages SET status = 'queued',
                  status_history = status_history || jsonb_build_array(jsonb_build_object('status', 'queued', 'at', now(), 'errorCode', NULL))
            WHERE id = $1 AND status = 'scheduled' AND send_at <= now() AND body = $4
            RETURNING id
         ), counted AS (
           ${usageUpsert('SELECT $5, $6, $7, $8, $9, 1 FROM rel')}
         ), job AS (
           ${jobInsert({ queue: '$2', key: '$3', payload: "jsonb_build_object('messageId', rel.id)", from: 'rel' })}
         )
         SELECT id FROM rel`,
        [id, send.queue, send.key, m.body, charge.accountSid, charge.month, charge.number, charge.country, charge.segments],
      ));
      if (released) return { outcome: 'released' };
      return this.notReleased(this.sql, id);
    }
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query<{ account_sid: string; from_number: string; to_number: string; segments: number; num_media: number }>(
        `UPDATE messages SET status = 'queued',
                status_history = status_history || jsonb_build_array(jsonb_build_object('status', 'queued', 'at', now(), 'errorCode', NULL))
          WHERE id = $1 AND status = 'scheduled' AND send_at <= now() RETURNING account_sid, from_number, to_number, segments, num_media`,
        [id],
      );
      const r = rows[0];
      if (r) {
        await chargeUsage(tx, usageCharge({ accountSid: r.account_sid, from: r.from_number, to: r.to_number, segments: r.segments, mediaUrls: Array(r.num_media) }, usage.limit));
        await enqueueJobs(tx, send.queue, [{ key: send.key, payload: { messageId: id } }]);
        return { outcome: 'released' } as const;
      }
      return this.notReleased(tx, id);
    });
  }

  /** Why a due message was not released: moved later (its new time), or no longer scheduled. */
  private async notReleased(sql: Sql, id: number): Promise<Release> {
    const [now] = await sql.query<{ status: Status; send_at: Date | null }>('SELECT status, send_at FROM messages WHERE id = $1', [id]);
    if (now?.status === 'scheduled' && now.send_at) return { outcome: 'later', at: now.send_at };
    return { outcome: 'gone', status: now?.status ?? 'canceled' };
  }

  async reschedule(id: number, change: { sendAt?: Date; body?: string; encoding?: string; segments?: number }, timerQueue: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query<{ send_at: Date }>(
        `UPDATE messages SET send_at = COALESCE($2, send_at), body = COALESCE($3, body), encoding = COALESCE($4, encoding),
                segments = COALESCE($5, segments), held_by = CASE WHEN $2::timestamptz IS NULL THEN held_by END
          WHERE id = $1 AND status = 'scheduled' RETURNING send_at`,
        [id, change.sendAt ?? null, change.body ?? null, change.encoding ?? null, change.segments ?? null],
      );
      if (!rows.length) return false;
      // A timer already claimed finds the new time itself (releaseDue answers "later").
      await tx.query(`UPDATE jobs SET run_at = $3 WHERE queue = $1 AND key = $2 AND state = 'ready'`, [timerQueue, `message:${id}`, rows[0]!.send_at]);
      return true;
    });
  }

  async cancelScheduled(id: number, timerQueue: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE messages SET status = 'canceled', send_state = 'rejected',
                status_history = status_history || jsonb_build_array(jsonb_build_object('status', 'canceled', 'at', now(), 'errorCode', NULL))
          WHERE id = $1 AND status = 'scheduled' RETURNING id`,
        [id],
      );
      if (!rows.length) return false;
      await tx.query(`DELETE FROM jobs WHERE queue = $1 AND key = $2 AND state = 'ready'`, [timerQueue, `message:${id}`]);
      return true;
    });
  }

  async hold(id: number, until: Date, heldBy: string, timerQueue: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query(`UPDATE messages SET send_at = $2, held_by = $3 WHERE id = $1 AND status = 'scheduled' RETURNING id`, [id, until, heldBy]);
      if (!rows.length) return false;
      await tx.query(`UPDATE jobs SET run_at = $3 WHERE queue = $1 AND key = $2 AND state = 'ready'`, [timerQueue, `message:${id}`, until]);
      return true;
    });
  }

  async failScheduled(id: number, message: string): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE messages SET status = 'failed', send_state = 'rejected', error_message = $2,
              status_history = status_history || jsonb_build_array(jsonb_build_object('status', 'failed', 'at', now(), 'errorCode', NULL))
        WHERE id = $1 AND status = 'scheduled' RETURNING id`,
      [id, message],
    );
    return rows.length > 0;
  }

  async loadForSending(id: number): Promise<OutboundForSending | null> {
    const rows = await this.sql.query<Row>(
      `SELECT id, sid, account_sid, from_number, to_number, body, media_urls, ticket_id, send_state, attempt_started_at, send_slot_at, origin_key, status, error_code, send_at, error_message, origin
         FROM messages WHERE id = $1 AND direction = 'outbound'`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id, sid: r.sid, accountSid: r.account_sid, from: r.from_number, to: r.to_number, body: r.body,
      mediaUrls: r.media_urls, ticketId: r.ticket_id, originKey: r.origin_key, status: r.status, errorCode: r.error_code, errorMessage: r.error_message, sendState: r.send_state, attemptStartedAt: r.attempt_started_at,
      sendSlotAt: r.send_slot_at, sendAt: r.send_at, origin: r.origin,
    };
  }

  async bookSlot(id: number, at: Date): Promise<void> {
    await this.sql.query('UPDATE messages SET send_slot_at = $2 WHERE id = $1', [id, at]);
  }

  async markAttempting(id: number): Promise<Date> {
    const rows = await this.sql.query<{ at: Date }>(
      `UPDATE messages SET send_state = 'attempting', send_attempts = send_attempts + 1, attempt_started_at = now(),
              send_slot_at = NULL
        WHERE id = $1 RETURNING attempt_started_at AS at`,
      [id],
    );
    return rows[0]!.at;
  }

  async markAccepted(id: number, sid: string): Promise<EarlyCallback[]> {
    return this.sql.transaction(async (tx) => {
      await lockSid(tx, sid);
      // One statement: refused if another message holds the SID; else recorded, and the callbacks that beat it taken.
      const rows = await tx.query<{ taken: number; sid: string | null; status: Status | null; error_code: number | null; at: Date | null }>(
        `WITH taken AS (SELECT 1 FROM messages WHERE sid = $2 AND id <> $1),
              upd AS (UPDATE messages SET send_state = 'accepted', sid = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM taken) RETURNING id),
              early AS (DELETE FROM early_status_callbacks WHERE sid = $2 AND EXISTS (SELECT 1 FROM upd) RETURNING sid, status, error_code, at)
         SELECT (SELECT count(*) FROM taken)::int AS taken, early.* FROM (SELECT 1) one LEFT JOIN early ON true`,
        [id, sid],
      );
      if (rows[0]!.taken > 0) throw new SidTaken(sid);
      return rows
        .filter((e) => e.sid !== null)
        .map((e) => ({ sid: e.sid!, status: e.status!, errorCode: e.error_code, at: e.at! }))
        .sort((a, b) => a.at.getTime() - b.at.getTime());
    });
  }

  async markRejected(id: number, code: number | null, message: string): Promise<void> {
    await this.sql.query(
      `UPDATE messages SET send_state = 'rejected', status = 'failed', error_code = $2, error_message = $3,
              status_history = status_history || jsonb_build_array(jsonb_build_object('status', 'failed', 'at', now(), 'errorCode', $2::int))
        WHERE id = $1`,
      [id, code, message],
    );
  }

  async markGivenUp(id: number, message: string, job: JobOnChange | null): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE messages SET send_state = 'rejected', status = 'failed', error_code = NULL, error_message = $2,
                status_history = status_history || jsonb_build_array(jsonb_build_object('status', 'failed', 'at', now(), 'errorCode', NULL))
          WHERE id = $1 AND direction = 'outbound' AND send_state IN ('pending', 'attempting')
          RETURNING id`,
        [id, message],
      );
      if (!rows.length) return false;
      if (!job) return true;
      await enqueueJobs(tx, job.queue, [{ key: job.key, payload: job.payload }]);
      return true;
    });
  }

  async knownSids(sids: readonly string[]): Promise<Set<string>> {
    if (!sids.length) return new Set();
    const rows = await this.sql.query<{ sid: string }>('SELECT sid FROM messages WHERE sid = ANY($1::text[])', [sids]);
    return new Set(rows.map((r) => r.sid));
  }

  async callbackSids(id: number): Promise<string[]> {
    const rows = await this.sql.query<{ sid: string }>(
      `SELECT sid FROM early_status_callbacks e
        WHERE message_id = $1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.sid = e.sid)
        GROUP BY sid ORDER BY min(at)`,
      [id],
    );
    return rows.map((r) => r.sid);
  }

  async markPending(id: number, slot: Date): Promise<void> {
    await this.sql.query(`UPDATE messages SET send_state = 'pending', send_slot_at = $2 WHERE id = $1`, [id, slot]);
  }

  async updateStatus(
    sid: string,
    event: StatusEntry,
    compute: (current: { status: Status; history: StatusEntry[] }) => { status: Status; history: StatusEntry[] },
    errorMessage: string | null,
    jobOnChange?: (result: StatusChange) => JobOnChange | null,
    messageId: number | null = null,
  ): Promise<StatusChange | null> {
    // The common case in two statements, no transaction and no lock: read, fold, and write only if the history
    // is still what was read (compare and set; a concurrent callback for the same message makes it read again).
    // A message not recorded yet (the callback beat the SID) and a change that queues a job take the locked path.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [row] = await this.sql.query<StatusRow>(
        'SELECT id, status, status_history, ticket_id, from_number, to_number, body FROM messages WHERE sid = $1',
        [sid],
      );
      if (!row) break;
      const next = compute({ status: row.status, history: row.status_history });
      const result = { id: row.id, ticketId: row.ticket_id, from: row.from_number, to: row.to_number, body: row.body, before: row.status, status: next.status };
      if (jobOnChange?.(result)) break;
      const updated = await this.sql.query(
        `UPDATE messages SET status = $2, status_history = $3::jsonb,
                error_code = COALESCE($4, error_code), error_message = COALESCE($5, error_message)
          WHERE id = $1 AND status_history = $6::jsonb RETURNING id`,
        [row.id, next.status, JSON.stringify(next.history), event.errorCode, errorMessage, JSON.stringify(row.status_history)],
      );
      if (updated.length) return result;
    }
    return this.sql.transaction(async (tx) => {
      await lockSid(tx, sid);
      const rows = await tx.query<StatusRow>(
        'SELECT id, status, status_history, ticket_id, from_number, to_number, body FROM messages WHERE sid = $1 FOR UPDATE',
        [sid],
      );
      const row = rows[0];
      if (!row) {
        await tx.query(
          `INSERT INTO early_status_callbacks (sid, status, error_code, at, message_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [sid, event.status, event.errorCode, event.at, messageId],
        );
        return null;
      }
      const next = compute({ status: row.status, history: row.status_history });
      await tx.query(
        `UPDATE messages SET status = $2, status_history = $3::jsonb,
                error_code = COALESCE($4, error_code), error_message = COALESCE($5, error_message)
          WHERE id = $1`,
        [row.id, next.status, JSON.stringify(next.history), event.errorCode, errorMessage],
      );
      const result = { id: row.id, ticketId: row.ticket_id, from: row.from_number, to: row.to_number, body: row.body, before: row.status, status: next.status };
      const job = jobOnChange?.(result);
      if (job) {
        await enqueueJobs(tx, job.queue, [{ key: job.key, payload: job.payload }]);
      }
      return result;
    });
  }

  async accountForNumber(number: string): Promise<string | null> {
    const rows = await this.sql.query<{ account_sid: string }>(
      `SELECT account_sid FROM messages WHERE direction = 'inbound' AND to_number = $1 ORDER BY id DESC LIMIT 1`,
      [number],
    );
    return rows[0]?.account_sid ?? null;
  }
}
