import type { Sql } from './sql.ts';
import type { TicketStatus } from '../../ports/helpdesk.ts';
import type { StatusChange, StatusHistory } from '../../ports/status-history.ts';

export class SqlStatusHistory implements StatusHistory {
  constructor(private readonly sql: Sql) {}

  async record(helpdesk: string, ticketId: number, c: Omit<StatusChange, 'at'>): Promise<void> {
    if (c.previous === c.status) return;
    await this.sql.query(
      'INSERT INTO ticket_status_events (helpdesk, ticket_id, status, previous, changed_by) VALUES ($1, $2, $3, $4, $5)',
      [helpdesk, ticketId, c.status, c.previous, c.changedBy],
    );
  }

  async list(helpdesk: string, ticketId: number): Promise<StatusChange[]> {
    const rows = await this.sql.query<{ status: TicketStatus; previous: TicketStatus | null; changed_by: string; at: Date }>(
      'SELECT status, previous, changed_by, at FROM ticket_status_events WHERE helpdesk = $1 AND ticket_id = $2 ORDER BY id',
      [helpdesk, ticketId],
    );
    return rows.map((r) => ({ status: r.status, previous: r.previous, changedBy: r.changed_by, at: r.at }));
  }
}
