/** A ticket's status as smsdesk speaks of it, whichever helpdesk holds the ticket. */
export type TicketStatus = 'open' | 'pending' | 'resolved' | 'closed';
export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'pending', 'resolved', 'closed'];
