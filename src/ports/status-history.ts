import type { TicketStatus } from './helpdesk.ts';

export interface StatusChange {
  status: TicketStatus;
  previous: TicketStatus | null;
  /** Who or what changed it: an agent's name, "a text from the customer", "freshdesk", "API". */
  changedBy: string;
  at: Date;
}

/** The status changes of tickets as smsdesk saw them: the console's thread shows them among the texts. */
export interface StatusHistory {
  record(helpdesk: string, ticketId: number, change: Omit<StatusChange, 'at'>): Promise<void>;
  list(helpdesk: string, ticketId: number): Promise<StatusChange[]>;
}
