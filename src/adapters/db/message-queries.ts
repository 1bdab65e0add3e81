import type { Sql } from './sql.ts';
import type { BlobRecord } from '../../ports/message-store.ts';

export interface MessageView {
  id: number;
  sid: string;
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
}

interface Row {
  id: number; sid: string; direction: 'inbound' | 'outbound'; from_number: string; to_number: string; body: string;
  status: string; status_history: MessageView['statusHistory']; error_code: number | null; error_message: string | null;
  ticket_id: number | null; routing: unknown; created_at: Date;
  media: { state: string; error: string | null; content_type: string | null;
    blob: { id: number; storage_key: string; filename: string; content_type: string; size: number; sha256: string } | null }[];
}

/** Read side of messages and blobs for the API. */
export class MessageQueries {
  constructor(private readonly sql: Sql) {}

  async list(filter: { ticketId?: number; contactKey?: string }, limit = 1000): Promise<MessageView[]> {
    const rows = await this.sql.query<Row>(
      `SELECT m.id, m.sid, m.direction, m.from_number, m.to_number, m.body, m.status, m.status_history, m.error_code,
              m.error_message, m.ticket_id, m.routing, m.created_at,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('state', md.state, 'error', md.error, 'content_type', md.content_type,
                  'blob', CASE WHEN b.id IS NULL THEN NULL ELSE jsonb_build_object('id', b.id, 'storage_key', b.storage_key,
                    'filename', b.filename, 'content_type', b.content_type, 'size', b.size, 'sha256', b.sha256) END) ORDER BY md.idx)
                 FROM media md LEFT JOIN blobs b ON b.id = md.blob_id WHERE md.message_id = m.id), '[]') AS media
         FROM messages m
        WHERE ($1::int IS NULL OR m.ticket_id = $1) AND ($2::text IS NULL OR m.contact_key = $2)
        ORDER BY m.created_at, m.id
        LIMIT $3`,
      [filter.ticketId ?? null, filter.contactKey ?? null, limit],
    );
    return rows.map((r) => ({
      id: r.id, sid: r.sid, direction: r.direction, from: r.from_number, to: r.to_number, body: r.body, status: r.status,
      statusHistory: r.status_history, errorCode: r.error_code, errorMessage: r.error_message, ticketId: r.ticket_id,
      routing: r.routing, createdAt: r.created_at,
      media: r.media.map((m) => ({
        state: m.state, error: m.error, contentType: m.content_type,
        blob: m.blob ? { id: m.blob.id, storageKey: m.blob.storage_key, filename: m.blob.filename, contentType: m.blob.content_type, size: m.blob.size, sha256: m.blob.sha256 } : null,
      })),
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
    const rows = await this.sql.query<{ id: number; storage_key: string; filename: string; content_type: string; size: number; sha256: string }>(
      'SELECT id, storage_key, filename, content_type, size, sha256 FROM blobs WHERE id = $1', [id]);
    const b = rows[0];
    return b ? { id: b.id, storageKey: b.storage_key, filename: b.filename, contentType: b.content_type, size: b.size, sha256: b.sha256 } : null;
  }
}
