import type { Sql } from './sql.ts';
import type { TicketStatus, TicketSummary } from '../../ports/helpdesk.ts';
import type { CachedTicket, HelpdeskRecords, WriteRecord } from '../../ports/helpdesk-records.ts';

interface CacheRow {
  ticket_id: number; status: TicketStatus; requester_id: number; requester_phone: string; updated_at: Date; seen_at: Date; attachment_bytes: number; priority: string | null;
}

export class SqlHelpdeskRecords implements HelpdeskRecords {
  constructor(private readonly sql: Sql) {}

  async startWrite(helpdesk: string, key: string, kind: 'ticket' | 'note'): Promise<WriteRecord | null> {
    const inserted = await this.sql.query(
      `INSERT INTO helpdesk_writes (helpdesk, key, kind, state) VALUES ($1, $2, $3, 'started') ON CONFLICT DO NOTHING RETURNING key`,
      [helpdesk, key, kind],
    );
    if (inserted.length) return null;
    const [row] = await this.sql.query<{ state: 'started' | 'done'; remote_id: number | null }>(
      'SELECT state, remote_id FROM helpdesk_writes WHERE helpdesk = $1 AND key = $2', [helpdesk, key],
    );
    return row ? { state: row.state, remoteId: row.remote_id } : null;
  }

  async finishWrite(helpdesk: string, key: string, remoteId: number): Promise<void> {
    await this.sql.query(`UPDATE helpdesk_writes SET state = 'done', remote_id = $3 WHERE helpdesk = $1 AND key = $2`, [helpdesk, key, remoteId]);
  }

  async ownNotes(helpdesk: string, noteIds: number[]): Promise<Set<number>> {
    if (!noteIds.length) return new Set();
    const rows = await this.sql.query<{ remote_id: number }>(
      `SELECT remote_id FROM helpdesk_writes WHERE helpdesk = $1 AND kind = 'note' AND remote_id = ANY($2::bigint[])`, [helpdesk, noteIds],
    );
    return new Set(rows.map((r) => r.remote_id));
  }

  async cachedTicket(helpdesk: string, ticketId: number): Promise<CachedTicket | null> {
    const [r] = await this.sql.query<CacheRow>(
      `SELECT ticket_id, status, requester_id, requester_phone, updated_at, seen_at, attachment_bytes, priority FROM ticket_cache WHERE helpdesk = $1 AND ticket_id = $2`,
      [helpdesk, ticketId],
    );
    if (!r) return null;
    return {
      id: r.ticket_id, status: r.status, requesterId: r.requester_id, requesterPhone: r.requester_phone,
      updatedAt: new Date(r.updated_at), seenAt: new Date(r.seen_at), attachmentBytes: r.attachment_bytes, priority: r.priority,
    };
  }

  async cacheTicket(helpdesk: string, s: TicketSummary, addAttachmentBytes = 0): Promise<void> {
    await this.sql.query(
      `INSERT INTO ticket_cache (helpdesk, ticket_id, status, requester_id, requester_phone, updated_at, seen_at, attachment_bytes, priority)
       VALUES ($1, $2, $3, $4, $5, $6, now(), $7, $8)
       ON CONFLICT (helpdesk, ticket_id) DO UPDATE SET status = EXCLUDED.status, requester_id = EXCLUDED.requester_id,
         requester_phone = CASE WHEN EXCLUDED.requester_phone = '' THEN ticket_cache.requester_phone ELSE EXCLUDED.requester_phone END,
         updated_at = EXCLUDED.updated_at, seen_at = now(), attachment_bytes = ticket_cache.attachment_bytes + EXCLUDED.attachment_bytes,
         priority = COALESCE(EXCLUDED.priority, ticket_cache.priority)`,
      [helpdesk, s.id, s.status, s.requesterId, s.requesterPhone, s.updatedAt, addAttachmentBytes, s.priority ?? null],
    );
  }

  async touchTicket(helpdesk: string, ticketId: number, change: { status?: TicketStatus; updatedAt: Date; addAttachmentBytes?: number }): Promise<void> {
    await this.sql.query(
      `UPDATE ticket_cache SET status = COALESCE($3, status), updated_at = GREATEST(updated_at, $4), attachment_bytes = attachment_bytes + $5
        WHERE helpdesk = $1 AND ticket_id = $2`,
      [helpdesk, ticketId, change.status ?? null, change.updatedAt, change.addAttachmentBytes ?? 0],
    );
  }

  async handledThrough(helpdesk: string, ticketId: number): Promise<number | null> {
    const [r] = await this.sql.query<{ handled_through: number }>(
      'SELECT handled_through FROM helpdesk_event_marks WHERE helpdesk = $1 AND ticket_id = $2', [helpdesk, ticketId],
    );
    return r?.handled_through ?? null;
  }

  async markHandled(helpdesk: string, ticketId: number, messageId: number): Promise<void> {
    await this.sql.query(
      `INSERT INTO helpdesk_event_marks (helpdesk, ticket_id, handled_through) VALUES ($1, $2, $3)
       ON CONFLICT (helpdesk, ticket_id) DO UPDATE SET handled_through = GREATEST(helpdesk_event_marks.handled_through, EXCLUDED.handled_through), updated_at = now()`,
      [helpdesk, ticketId, messageId],
    );
  }
}
