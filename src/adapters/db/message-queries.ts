import type { Sql } from './sql.ts';
import { MEDIA_JSON, toBlob, type BlobRow, type MediaRow } from './media-rows.ts';
import type { BlobRecord } from '../../ports/message-store.ts';

export interface MessageView {
  id: number;
  sid: string | null;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  body: string;
  status: string;
  statusHistory: { status: string; at: string; errorCode: number | null }[];
  errorCode: number | null;
  errorMessage: string | null;
  ticketId: number | null;
  routing: unknown;
  media: { blob: BlobRecord | null; state: string; error: string | null; contentType: string | null }[];
  createdAt: Date;
  sendAt: Date | null;
  heldBy: string | null;
  origin: string | null;
  createdBy: number | null;
}

interface Row {
  id: number; sid: string | null; direction: 'inbound' | 'outbound'; from_number: string; to_number: string; body: string;
  status: string; status_history: MessageView['statusHistory']; error_code: number | null; error_message: string | null;
  ticket_id: number | null; routing: unknown; created_at: Date;
  send_at: Date | null; held_by: string | null; origin: string | null; created_by: number | null;
  media: MediaRow[];
}

/** Read side of messages and blobs for the API. */
export class MessageQueries {
  constructor(private readonly sql: Sql) {}

  async byId(id: number): Promise<MessageView | null> {
    return (await this.list({ id }, 1))[0] ?? null;
  }

  /**
   * Messages oldest first; `number`: sent from or to this Twilio number; `since`/`until`: created in [since, until).
   * With `newest`, the newest `limit` of them (still oldest first): the SMS log's window.
   */
  async list(
    filter: {
      id?: number; ticketId?: number; contactKey?: string; status?: string; number?: string; since?: Date; until?: Date; newest?: boolean;
      createdBy?: number;
    },
    limit = 1000,
  ): Promise<MessageView[]> {
    // The pending scheduled messages come soonest first (the Scheduled screen); everything else oldest first.
    const scheduled = filter.status === 'scheduled';
    const order = scheduled ? 'm.send_at, m.id' : filter.newest ? 'm.created_at DESC, m.id DESC' : 'm.created_at, m.id';
    // Only the filters given are in the statement: a catch-all "($n IS NULL OR …)" form defeats the indexes once
    // the embedded database plans the prepared statement generically (a scan of every message for one id).
    const params: unknown[] = [limit];
    const where: string[] = [];
    const param = (v: unknown, cast: string) => {
      params.push(v);
      return `$${params.length}::${cast}`;
    };
    if (filter.id !== undefined) where.push(`m.id = ${param(filter.id, 'int')}`);
    if (filter.ticketId !== undefined) where.push(`m.ticket_id = ${param(filter.ticketId, 'bigint')}`);
    if (filter.contactKey !== undefined) where.push(`m.contact_key = ${param(filter.contactKey, 'text')}`);
    if (filter.status !== undefined) where.push(`m.status = ${param(filter.status, 'text')}`);
    if (filter.number !== undefined) {
      const n = param(filter.number, 'text');
      where.push(`((m.direction = 'inbound' AND m.to_number = ${n}) OR (m.direction = 'outbound' AND m.from_number = ${n}))`);
    }
    if (filter.since !== undefined) where.push(`m.created_at >= ${param(filter.since, 'timestamptz')}`);
    if (filter.until !== undefined) where.push(`m.created_at < ${param(filter.until, 'timestamptz')}`);
    if (filter.createdBy !== undefined) where.push(`m.created_by = ${param(filter.createdBy, 'int')}`);
    const rows = await this.sql.query<Row>(
      `SELECT * FROM (
         SELECT m.id, m.sid, m.direction, m.from_number, m.to_number, m.body, m.status, m.status_history, m.error_code,
                m.error_message, m.ticket_id, m.routing, m.created_at, m.send_at, m.held_by, m.origin, m.created_by,
                ${MEDIA_JSON} AS media
           FROM messages m
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY ${order}
          LIMIT $1) page
        ORDER BY ${scheduled ? 'send_at, id' : 'created_at, id'}`,
      params,
    );
    return rows.map((r) => ({
      id: r.id, sid: r.sid, direction: r.direction, from: r.from_number, to: r.to_number, body: r.body, status: r.status,
      statusHistory: r.status_history, errorCode: r.error_code, errorMessage: r.error_message, ticketId: r.ticket_id,
      routing: r.routing, createdAt: r.created_at, sendAt: r.send_at, heldBy: r.held_by, origin: r.origin, createdBy: r.created_by,
      media: r.media.map((m) => ({ state: m.state, error: m.error, contentType: m.content_type, blob: m.blob ? toBlob(m.blob) : null })),
    }));
  }

  /** Counts for operators and benchmarks: what arrived, what is on a ticket, what the queue holds. */
  async stats(): Promise<{ messages: { inbound: number; routed: number }; jobs: { ready: number; running: number; failed: number } }> {
    const rows = await this.sql.query<{ inbound: number; routed: number; ready: number; running: number; failed: number }>(
      `SELECT (SELECT count(*)::int FROM messages WHERE direction = 'inbound') AS inbound,
              (SELECT count(*)::int FROM messages WHERE direction = 'inbound' AND routed_at IS NOT NULL) AS routed,
              (SELECT count(*)::int FROM jobs WHERE state = 'ready') AS ready,
              (SELECT count(*)::int FROM jobs WHERE state = 'running') AS running,
              (SELECT count(*)::int FROM jobs WHERE state = 'failed') AS failed`,
    );
    const r = rows[0]!;
    return { messages: { inbound: r.inbound, routed: r.routed }, jobs: { ready: r.ready, running: r.running, failed: r.failed } };
  }

  async blob(id: number): Promise<BlobRecord | null> {
    const rows = await this.sql.query<BlobRow>('SELECT id, storage_key, filename, content_type, size, sha256 FROM blobs WHERE id = $1', [id]);
    return rows[0] ? toBlob(rows[0]) : null;
  }
}
