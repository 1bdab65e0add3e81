import type { Sql } from './sql.ts';
import { lockKeysForEnqueue } from '../queue/job-queue.ts';
import type { Status } from '../../domain/message-status.ts';
import { SidTaken, type EarlyCallback, type JobOnChange, type NewOutboundMessage, type OutboundForSending, type OutboundStore, type StatusChange, type StatusEntry } from '../../ports/outbound-store.ts';

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
  status: Status;
  error_code: number | null;
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

export class SqlOutboundStore implements OutboundStore {
  constructor(private readonly sql: Sql) {}

  async create(m: NewOutboundMessage, queue: string, key: string): Promise<number> {
    const insert = (tx: Sql) => tx.query<{ id: number }>(
      `WITH ins AS (
         INSERT INTO messages (account_sid, direction, from_number, to_number, contact_key, body, num_media, params, status,
                               status_history, encoding, segments, ticket_id, media_urls, send_state, origin_key)
         VALUES ($1, 'outbound', $2, $3, $3, $4, $5, '{}'::jsonb, 'queued',
                 jsonb_build_array(jsonb_build_object('status', 'queued', 'at', now(), 'errorCode', NULL)),
                 $6, $7, $8, $9::jsonb, 'pending', $12)
         ON CONFLICT (origin_key) DO NOTHING
         RETURNING id
       ), job AS (
         INSERT INTO jobs (queue, key, payload) SELECT $10, $11, jsonb_build_object('messageId', id) FROM ins
       )
       SELECT id FROM ins
       UNION ALL
       SELECT id FROM messages WHERE $12::text IS NOT NULL AND origin_key = $12 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [m.accountSid, m.from, m.to, m.body, m.mediaUrls.length, m.encoding, m.segments, m.ticketId, JSON.stringify(m.mediaUrls), queue, key, m.originKey ?? null],
    );
    const rows = this.sql.kind === 'postgres'
      ? await this.sql.transaction(async (tx) => {
          await lockKeysForEnqueue(tx, queue, [key]);
          return insert(tx);
        })
      : await insert(this.sql);
    return rows[0]!.id;
  }

  async loadForSending(id: number): Promise<OutboundForSending | null> {
    const rows = await this.sql.query<Row>(
      `SELECT id, sid, account_sid, from_number, to_number, body, media_urls, ticket_id, send_state, attempt_started_at, send_slot_at, origin_key, status, error_code, error_message
         FROM messages WHERE id = $1 AND direction = 'outbound'`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id, sid: r.sid, accountSid: r.account_sid, from: r.from_number, to: r.to_number, body: r.body,
      mediaUrls: r.media_urls, ticketId: r.ticket_id, originKey: r.origin_key, status: r.status, errorCode: r.error_code, errorMessage: r.error_message, sendState: r.send_state, attemptStartedAt: r.attempt_started_at,
      sendSlotAt: r.send_slot_at,
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
      const taken = await tx.query('SELECT 1 FROM messages WHERE sid = $2 AND id <> $1', [id, sid]);
      if (taken.length) throw new SidTaken(sid);
      await tx.query(`UPDATE messages SET send_state = 'accepted', sid = $2 WHERE id = $1`, [id, sid]);
      const early = await tx.query<{ sid: string; status: Status; error_code: number | null; at: Date }>(
        'DELETE FROM early_status_callbacks WHERE sid = $1 RETURNING sid, status, error_code, at', [sid]);
      return early
        .map((e) => ({ sid: e.sid, status: e.status, errorCode: e.error_code, at: e.at }))
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
      await lockKeysForEnqueue(tx, job.queue, [job.key]);
      await tx.query('INSERT INTO jobs (queue, key, payload) VALUES ($1, $2, $3::jsonb)', [job.queue, job.key, JSON.stringify(job.payload)]);
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
    return this.sql.transaction(async (tx) => {
      await lockSid(tx, sid);
      const rows = await tx.query<{ id: number; status: Status; status_history: StatusEntry[]; ticket_id: number | null; to_number: string }>(
        'SELECT id, status, status_history, ticket_id, to_number FROM messages WHERE sid = $1 FOR UPDATE',
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
      const result = { id: row.id, ticketId: row.ticket_id, to: row.to_number, before: row.status, status: next.status };
      const job = jobOnChange?.(result);
      if (job) {
        await lockKeysForEnqueue(tx, job.queue, [job.key]);
        await tx.query('INSERT INTO jobs (queue, key, payload) VALUES ($1, $2, $3::jsonb)', [job.queue, job.key, JSON.stringify(job.payload)]);
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
