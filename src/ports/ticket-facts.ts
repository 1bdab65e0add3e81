import type { TemplateValues } from '../domain/templates.ts';

/** What automations read about a ticket beyond the event (looked up only when a condition or action needs it). */
export interface TicketFacts {
  /** The ticket's tags now (a remote helpdesk is asked). */
  tags(ticketId: number): Promise<string[]>;
  /** The Twilio number the ticket's texts use (its binding), if any. */
  twilioNumber(ticketId: number): Promise<string | null>;
  /** The number groups (Settings → Numbers) a Twilio number belongs to. */
  groupsOf(number: string): Promise<string[]>;
  /** Values of {{ticket.url}} and {{business.next_open}} for this ticket now. */
  values(ticketId: number | null): Promise<TemplateValues>;
}
