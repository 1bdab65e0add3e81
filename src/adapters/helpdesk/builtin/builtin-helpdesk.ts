import type { Sql } from '../../db/sql.ts';
import type {
  AddNoteInput, AttachmentInput, CreateTicketInput, Helpdesk, HelpdeskAttachment, HelpdeskContact, HelpdeskNote,
  HelpdeskTicket, TicketHeader, TicketQuery, TicketStatus, TicketSummary,
} from '../../../ports/helpdesk.ts';

interface TicketRow {
  id: number;
  subject: string;
  status: TicketStatus;
  description_html: string;
  created_at: Date;
  updated_at: Date;
  requester_id: number;
  requester_name: string;
  requester_phone: string;
}

interface NoteRow {
  id: number;
  ticket_id: number;
  body_html: string;
  incoming: boolean;
  private: boolean;
  created_at: Date;
}

interface AttachmentRow {
  ticket_id: number;
  note_id: number | null;
  blob_id: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
}

const TICKET_SELECT = `
  SELECT t.id, t.subject, t.status, t.description_html, t.created_at, t.updated_at,
         c.id AS requester_id, c.name AS requester_name, c.phone AS requester_phone
    FROM hd_tickets t JOIN hd_contacts c ON c.id = t.requester_id`;

/**
 * The helpdesk that ships with smsdesk: contacts, tickets, notes and attachments in smsdesk's own database.
 * Attachments reference smsdesk's blobs rather than copying them, so an attachment's id is its blob id.
 * Writes are keyed by the caller's idempotency key (unique `source_key`), so a replay returns the first result.
 */
export class BuiltinHelpdesk implements Helpdesk {
  readonly name = 'builtin';

  constructor(private readonly sql: Sql) {}

  async findContactByPhone(phone: string): Promise<HelpdeskContact | null> {
    const rows = await this.sql.query<HelpdeskContact>('SELECT id, name, phone FROM hd_contacts WHERE phone = $1', [phone]);
    return rows[0] ?? null;
  }

  async createContact(input: { phone: string; name: string }): Promise<HelpdeskContact> {
    // One statement either inserts or, when another writer got there first, reads the existing row.
    const rows = await this.sql.query<HelpdeskContact>(
      `WITH ins AS (INSERT INTO hd_contacts (phone, name) VALUES ($1, $2) ON CONFLICT (phone) DO NOTHING
                    RETURNING id, name, phone)
       SELECT id, name, phone FROM ins UNION ALL SELECT id, name, phone FROM hd_contacts WHERE phone = $1`,
      [input.phone, input.name],
    );
    if (rows[0]) return rows[0];
    // Under READ COMMITTED the losing insert may not see the winner's row in the same snapshot: read again.
    const existing = await this.findContactByPhone(input.phone);
    if (!existing) throw new Error(`contact ${input.phone} neither created nor found`);
    return existing;
  }

  // Each write is one statement (row, attachments and touch together): atomic on its own, and one round trip
  // on the embedded database, where every statement costs a fixed few hundred microseconds.
  async createTicket(input: CreateTicketInput): Promise<{ id: number }> {
    const created = await this.sql.query<{ id: number }>(
      `WITH ins AS (
         INSERT INTO hd_tickets (subject, status, requester_id, description_html, follow_up_of, tags, source_key)
         VALUES ($1, 'open', $2, $3, $4, $5, $6) ON CONFLICT (source_key) DO NOTHING RETURNING id
       )${input.attachments.length ? `, att AS (
         INSERT INTO hd_attachments (ticket_id, note_id, blob_id, filename, content_type, size, sha256)
         SELECT ins.id, NULL, a.blob_id, a.filename, a.content_type, a.size, a.sha256 FROM ins CROSS JOIN ${attachmentRows(7)}
       )` : ''}
       SELECT id FROM ins`,
      [input.subject, input.requesterId, input.descriptionHtml, input.followUpOf ?? null, input.tags ?? [], input.idempotencyKey,
        ...(input.attachments.length ? [attachmentsJson(input.attachments)] : [])],
    );
    return created[0] ?? this.bySourceKey('hd_tickets', input.idempotencyKey);
  }

  async addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }> {
    const created = await this.sql.query<{ id: number }>(
      `WITH ins AS (
         INSERT INTO hd_notes (ticket_id, body_html, incoming, private, source_key)
         SELECT id, $2, $3, $4, $5 FROM hd_tickets WHERE id = $1
         ON CONFLICT (source_key) DO NOTHING RETURNING id, ticket_id
       )${input.attachments.length ? `, att AS (
         INSERT INTO hd_attachments (ticket_id, note_id, blob_id, filename, content_type, size, sha256)
         SELECT ins.ticket_id, ins.id, a.blob_id, a.filename, a.content_type, a.size, a.sha256 FROM ins CROSS JOIN ${attachmentRows(6)}
       )` : ''}, touch AS (
         UPDATE hd_tickets SET updated_at = now() WHERE id IN (SELECT ticket_id FROM ins)
       )
       SELECT id FROM ins`,
      [ticketId, input.bodyHtml, input.incoming, input.private, input.idempotencyKey,
        ...(input.attachments.length ? [attachmentsJson(input.attachments)] : [])],
    );
    if (created[0]) return created[0];
    if (!(await this.getTicketSummary(ticketId))) throw new Error(`ticket ${ticketId} does not exist`);
    return this.bySourceKey('hd_notes', input.idempotencyKey);
  }

  async setStatus(ticketId: number, status: TicketStatus): Promise<void> {
    const rows = await this.sql.query('UPDATE hd_tickets SET status = $2, updated_at = now() WHERE id = $1 RETURNING id', [ticketId, status]);
    if (!rows.length) throw new Error(`ticket ${ticketId} does not exist`);
  }

  async getTicketSummary(ticketId: number): Promise<TicketSummary | null> {
    const rows = await this.sql.query<{ id: number; status: TicketStatus; requester_id: number; requester_phone: string; updated_at: Date }>(
      `SELECT t.id, t.status, t.requester_id, c.phone AS requester_phone, t.updated_at
         FROM hd_tickets t JOIN hd_contacts c ON c.id = t.requester_id WHERE t.id = $1`,
      [ticketId],
    );
    const r = rows[0];
    return r ? { id: r.id, status: r.status, requesterId: r.requester_id, requesterPhone: r.requester_phone, updatedAt: r.updated_at } : null;
  }

  async getTicket(ticketId: number): Promise<HelpdeskTicket | null> {
    const rows = await this.sql.query<TicketRow>(`${TICKET_SELECT} WHERE t.id = $1`, [ticketId]);
    const [ticket] = await this.hydrate(rows);
    return ticket ?? null;
  }

  async getTicketHeader(ticketId: number): Promise<TicketHeader | null> {
    const [r] = await this.sql.query<TicketRow>(`${TICKET_SELECT} WHERE t.id = $1`, [ticketId]);
    return r ? {
      id: r.id, subject: r.subject, status: r.status, requester: { id: r.requester_id, name: r.requester_name, phone: r.requester_phone },
      createdAt: r.created_at, updatedAt: r.updated_at,
    } : null;
  }

  async listTickets(query: TicketQuery): Promise<HelpdeskTicket[]> {
    const rows = await this.sql.query<TicketRow>(
      `${TICKET_SELECT} WHERE ($1::text IS NULL OR c.phone = $1) AND ($2::text IS NULL OR t.status = $2)
        ORDER BY t.updated_at DESC, t.id DESC LIMIT 500`,
      [query.requesterPhone ?? null, query.status ?? null],
    );
    return this.hydrate(rows);
  }

  async listContacts(query: { phone?: string }): Promise<HelpdeskContact[]> {
    return this.sql.query<HelpdeskContact>(
      'SELECT id, name, phone FROM hd_contacts WHERE ($1::text IS NULL OR phone = $1) ORDER BY id LIMIT 500',
      [query.phone ?? null],
    );
  }

  /** The row an earlier write with this idempotency key made (a replay, or a concurrent twin). */
  private async bySourceKey(table: 'hd_tickets' | 'hd_notes', key: string): Promise<{ id: number }> {
    const rows = await this.sql.query<{ id: number }>(`SELECT id FROM ${table} WHERE source_key = $1`, [key]);
    if (!rows[0]) throw new Error(`no ${table} row for ${key}`);
    return rows[0];
  }

  /** Notes and attachments for a page of tickets in two queries, whatever the page size. */
  private async hydrate(rows: TicketRow[]): Promise<HelpdeskTicket[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [notes, attachments] = await Promise.all([
      this.sql.query<NoteRow>('SELECT id, ticket_id, body_html, incoming, private, created_at FROM hd_notes WHERE ticket_id = ANY($1::int[]) ORDER BY id', [ids]),
      this.sql.query<AttachmentRow>(
        'SELECT ticket_id, note_id, blob_id, filename, content_type, size, sha256 FROM hd_attachments WHERE ticket_id = ANY($1::int[]) ORDER BY id',
        [ids],
      ),
    ]);
    const toAttachment = (a: AttachmentRow): HelpdeskAttachment => ({
      id: a.blob_id, filename: a.filename, contentType: a.content_type, size: a.size, sha256: a.sha256,
    });
    return rows.map((r) => ({
      id: r.id,
      subject: r.subject,
      status: r.status,
      requester: { id: r.requester_id, name: r.requester_name, phone: r.requester_phone },
      descriptionHtml: r.description_html,
      notes: notes.filter((n) => n.ticket_id === r.id).map((n): HelpdeskNote => ({
        id: n.id,
        bodyHtml: n.body_html,
        incoming: n.incoming,
        private: n.private,
        createdAt: n.created_at,
        attachments: attachments.filter((a) => a.note_id === n.id).map(toAttachment),
      })),
      attachments: attachments.filter((a) => a.ticket_id === r.id && a.note_id === null).map(toAttachment),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }
}

/** The attachments parameter ($n, a JSON array) as rows, for the INSERT … SELECT of a write statement. */
const attachmentRows = (n: number) =>
  `jsonb_to_recordset($${n}::jsonb) AS a(blob_id int, filename text, content_type text, size int, sha256 text)`;

function attachmentsJson(attachments: AttachmentInput[]): string {
  return JSON.stringify(attachments.map((a) => ({
    blob_id: a.blobId, filename: a.filename, content_type: a.contentType, size: a.size, sha256: a.sha256,
  })));
}
