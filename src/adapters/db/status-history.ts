import type { Sql } from './sql.ts';
import type { TicketStatus } from '../../ports/helpdesk.ts';
import type { StatusChange, StatusHistory } from '../../ports/status-history.ts';
import { SqlEventOutbox } from './event-outbox.ts';

export class SqlStatusHistory implements StatusHistory {
  constructor(private readonly sql: Sql, private readonly onRecorded?: () => void) {}

  /** The change and its ticket.status_changed event commit together (the event's dedupe key is the change's row). */
  async record(helpdesk: string, ticketId: number, c: Omit<StatusChange, 'at'>): Promise<void> {
    if (c.previous === c.status) return;
    await this.sql.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number }>(
        'INSERT INTO ticket_status_events (helpdesk, ticket_id, status, previous, changed_by) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [helpdesk, ticketId, c.status, c.previous, c.changedBy],
      );
      await new SqlEventOutbox(tx).record([{
        type: 'ticket.status_changed', dedupeKey: `ticket.status_changed:${helpdesk}:${row!.id}`, helpdesk, ticketId,
        data: { ticket: { id: ticketId, status: c.status, previousStatus: c.previous }, changedBy: c.changedBy }, causedBy: c.causedBy ?? [],
      }]);
    });
    this.onRecorded?.();
  }

  async list(helpdesk: string, ticketId: number): Promise<StatusChange[]> {
    const rows = await this.sql.query<{ status: TicketStatus; previous: TicketStatus | null; changed_by: string; at: Date }>(
      'SELECT status, previous, changed_by, at FROM ticket_status_events WHERE helpdesk = $1 AND ticket_id = $2 ORDER BY id',
      [helpdesk, ticketId],
    );
    return rows.map((r) => ({ status: r.status, previous: r.previous, changedBy: r.changed_by, at: r.at }));
  }
}
