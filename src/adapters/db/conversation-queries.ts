import type { Sql } from './sql.ts';

export interface ConversationRow {
  ticketId: number;
  subject: string | null;
  status: string | null;
  contact: { name: string | null; phone: string };
  twilioNumber: string;
  lastMessage: { id: number; direction: string; body: string; status: string; createdAt: Date } | null;
  unread: boolean;
  lastActivityAt: Date;
}

interface Row {
  ticket_id: number; contact_key: string; twilio_number: string; last_activity_at: Date; subject: string | null; status: string | null;
  contact_name: string | null; m_id: number | null; m_direction: string | null; m_body: string | null; m_status: string | null;
  m_created_at: Date | null; unread: boolean;
}

/**
 * The console's inbox, read from smsdesk's own tables (the tickets texts were bound to, their last message,
 * the status smsdesk last saw), so listing never calls a remote helpdesk.
 */
export class ConversationQueries {
  constructor(private readonly sql: Sql) {}

  /** `numbers`: only conversations on these Twilio numbers (a group's). */
  async list(f: { helpdesk: string; userId: number | null; status?: string; number?: string; numbers?: string[]; q?: string; limit?: number }): Promise<ConversationRow[]> {
    const like = f.q ? `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const rows = await this.sql.query<Row>(
      `SELECT tl.ticket_id, tl.contact_key, tl.twilio_number, tl.last_activity_at,
              ht.subject, COALESCE(ht.status, tc.status) AS status, hc.name AS contact_name,
              m.id AS m_id, m.direction AS m_direction, m.body AS m_body, m.status AS m_status, m.created_at AS m_created_at,
              COALESCE((SELECT max(i.id) FROM messages i WHERE i.ticket_id = tl.ticket_id AND i.direction = 'inbound'), 0)
                > COALESCE(r.read_through, 0) AS unread
         FROM ticket_links tl
         LEFT JOIN LATERAL (SELECT id, direction, body, status, created_at FROM messages
                             WHERE ticket_id = tl.ticket_id ORDER BY id DESC LIMIT 1) m ON true
         LEFT JOIN hd_tickets ht ON $1 = 'builtin' AND ht.id = tl.ticket_id
         LEFT JOIN hd_contacts hc ON hc.id = ht.requester_id
         LEFT JOIN ticket_cache tc ON tc.helpdesk = tl.helpdesk AND tc.ticket_id = tl.ticket_id
         LEFT JOIN ticket_reads r ON r.user_id = $2 AND r.helpdesk = tl.helpdesk AND r.ticket_id = tl.ticket_id
        WHERE tl.helpdesk = $1
          AND ($3::text IS NULL OR COALESCE(ht.status, tc.status) = $3)
          AND ($4::text IS NULL OR tl.twilio_number = $4)
          AND ($5::text IS NULL OR tl.contact_key LIKE $5 OR ht.subject ILIKE $5
               OR EXISTS (SELECT 1 FROM messages s WHERE s.ticket_id = tl.ticket_id AND s.body ILIKE $5))
          AND ($7::text[] IS NULL OR tl.twilio_number = ANY($7::text[]))
        ORDER BY tl.last_activity_at DESC, tl.ticket_id DESC
        LIMIT $6`,
      [f.helpdesk, f.userId, f.status ?? null, f.number ?? null, like, f.limit ?? 100, f.numbers ?? null],
    );
    return rows.map((r) => ({
      ticketId: r.ticket_id,
      subject: r.subject,
      status: r.status,
      contact: { name: r.contact_name, phone: r.contact_key },
      twilioNumber: r.twilio_number,
      lastMessage: r.m_id === null ? null : { id: r.m_id, direction: r.m_direction!, body: r.m_body!, status: r.m_status!, createdAt: r.m_created_at! },
      unread: r.unread,
      lastActivityAt: r.last_activity_at,
    }));
  }

  async markRead(userId: number, helpdesk: string, ticketId: number): Promise<void> {
    await this.sql.query(
      `INSERT INTO ticket_reads (user_id, helpdesk, ticket_id, read_through)
       SELECT $1, $2, $3, COALESCE(max(id), 0) FROM messages WHERE ticket_id = $3
       ON CONFLICT (user_id, helpdesk, ticket_id) DO UPDATE SET read_through = GREATEST(ticket_reads.read_through, EXCLUDED.read_through)`,
      [userId, helpdesk, ticketId],
    );
  }

  /** The Twilio numbers texts have been bound to (for accounts Twilio cannot list, and the sandbox). */
  async numbers(helpdesk: string): Promise<string[]> {
    const rows = await this.sql.query<{ n: string }>('SELECT DISTINCT twilio_number AS n FROM ticket_links WHERE helpdesk = $1 ORDER BY 1', [helpdesk]);
    return rows.map((r) => r.n);
  }
}
