import type { Sql } from './sql.ts';
import type { TicketFacts } from '../../ports/ticket-facts.ts';
import type { RemoteHelpdesk } from '../../ports/helpdesk.ts';
import type { TemplateValues } from '../../domain/templates.ts';
import { localTimeLabel, nextOpening, type CompiledSchedule } from '../../domain/hours.ts';
import type { Clock } from '../../ports/clock.ts';

/** Where an agent opens ticket `id`: the console for the built-in helpdesk, else the helpdesk's own page. */
export function ticketUrl(kind: string, helpdeskUrl: string | null, publicUrl: string, id: number): string {
  const base = (helpdeskUrl ?? '').replace(/\/+$/, '');
  if (kind === 'zendesk') return `${base}/agent/tickets/${id}`;
  if (kind === 'freshdesk' || kind === 'freshservice') return `${base}/a/tickets/${id}`;
  return `${publicUrl}/#/tickets/${id}`;
}

/**
 * Ticket facts from smsdesk's own tables (bindings, number groups), the built-in helpdesk's tags, or a remote
 * helpdesk's ticket (tags, read only when an automation's condition needs them).
 */
export class SqlTicketFacts implements TicketFacts {
  constructor(
    private readonly sql: Sql,
    private readonly opts: {
      helpdesk: string;
      helpdeskUrl: string | null;
      remote: RemoteHelpdesk | null;
      publicUrl: () => string;
      schedule: () => Promise<CompiledSchedule>;
      clock: Clock;
      /** Settings → Numbers: number → its group. */
      groups: () => Promise<Record<string, string>>;
    },
  ) {}

  async tags(ticketId: number): Promise<string[]> {
    if (this.opts.remote) return (await this.opts.remote.ticketForEvent(ticketId))?.tags ?? [];
    const [r] = await this.sql.query<{ tags: string[] }>('SELECT tags FROM hd_tickets WHERE id = $1', [ticketId]);
    return r?.tags ?? [];
  }

  async twilioNumber(ticketId: number): Promise<string | null> {
    const [r] = await this.sql.query<{ twilio_number: string }>(
      'SELECT twilio_number FROM ticket_links WHERE helpdesk = $1 AND ticket_id = $2',
      [this.opts.helpdesk, ticketId],
    );
    return r?.twilio_number ?? null;
  }

  async groupsOf(number: string): Promise<string[]> {
    const group = (await this.opts.groups())[number];
    return group ? [group] : [];
  }

  async values(ticketId: number | null): Promise<TemplateValues> {
    const s = await this.opts.schedule();
    const open = s.hours ? nextOpening(this.opts.clock.now(), s.defaultTimezone, s.hours) : null;
    return {
      'ticket.url': ticketId === null ? null : ticketUrl(this.opts.helpdesk, this.opts.helpdeskUrl, this.opts.publicUrl(), ticketId),
      'business.next_open': open ? localTimeLabel(open, s.defaultTimezone) : null,
    };
  }
}
