import type { TicketStatus } from './helpdesk.ts';

export interface StatusChange {
  status: TicketStatus;
  previous: TicketStatus | null;
  /** Who or what changed it: an agent's name, "a text from the customer", "freshdesk", "API". */
  changedBy: string;
  at: Date;
  /** Automations whose actions made this change (its event carries them: no automation reacts to its own doing). */
  causedBy?: number[];
}

/**
 * The status changes of tickets as smsdesk saw them: the console's thread shows them among the texts, and
 * each change is also a ticket.status_changed event (recorded in the same transaction).
 */
export interface StatusHistory {
  record(helpdesk: string, ticketId: number, change: Omit<StatusChange, 'at'>): Promise<void>;
  list(helpdesk: string, ticketId: number): Promise<StatusChange[]>;
}
