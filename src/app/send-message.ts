import { randomUUID } from 'node:crypto';
import type { TwilioAccount } from '../config.ts';
import type { Helpdesk } from '../ports/helpdesk.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { OutboundStore } from '../ports/outbound-store.ts';
import { conflict, invalid, notFound } from '../domain/errors.ts';
import { formatPhone, toE164 } from '../domain/phone.ts';
import { segmentInfo } from '../domain/segments.ts';
import { checkOutbound } from '../domain/message-limits.ts';
import { escapeHtml } from '../domain/html.ts';
import type { OptOutStore } from '../ports/opt-out-store.ts';

export const SEND_QUEUE = 'send-message';

export interface SendOptions {
  accounts: () => readonly TwilioAccount[];
  /** The number replies come from when a ticket is bound to none (TWILIO_DEFAULT_NUMBER). */
  defaultNumber: string | null;
  /** Numbers known to lack MMS (media to them is refused before any Twilio call). */
  mmsCapable: (number: string) => boolean;
  onQueued: () => void;
}

/**
 * Accepts an SMS/MMS to send: checks it against Twilio's rules before anything is stored, then stores it
 * with its send job (status queued). Delivery happens in deliver-message, from the durable queue.
 * Jobs are keyed by conversation (from → to), so replies to one customer leave in the order they were written.
 */
export class SendMessage {
  constructor(
    private readonly outbound: OutboundStore,
    private readonly messages: MessageStore,
    private readonly helpdesk: Helpdesk,
    private readonly optOuts: OptOutStore,
    private readonly options: SendOptions,
  ) {}

  /** A reply on a ticket: to its requester, from the number the ticket is bound to unless `from` says otherwise. */
  async reply(ticketId: number, input: { body: string; mediaUrls?: string[]; from?: string }): Promise<number> {
    const ticket = await this.helpdesk.getTicketSummary(ticketId);
    if (!ticket) throw notFound('ticket_not_found', `No ticket ${ticketId}.`);
    const [link] = await this.messages.links(this.helpdesk.name, [ticketId]);
    const from = input.from ? this.number('from', input.from) : (link?.twilioNumber ?? this.options.defaultNumber);
    if (!from) {
      throw invalid('no_sender', `Ticket ${ticketId} is bound to no Twilio number: pass "from", or set TWILIO_DEFAULT_NUMBER.`);
    }
    return this.queue({ to: ticket.requesterPhone, from, body: input.body, mediaUrls: input.mediaUrls ?? [], ticketId });
  }

  /**
   * A new conversation from `from` (default: TWILIO_DEFAULT_NUMBER) to `to`: continues the customer's open or
   * pending ticket on that number if there is one, else opens a ticket bound to the pair.
   */
  async start(input: { to: string; from?: string; body: string; mediaUrls?: string[] }): Promise<number> {
    const to = this.number('to', input.to);
    const from = input.from ? this.number('from', input.from) : this.options.defaultNumber;
    if (!from) throw invalid('no_sender', 'Pass "from" (a number of your Twilio account), or set TWILIO_DEFAULT_NUMBER.');
    const mediaUrls = input.mediaUrls ?? [];
    const accountSid = await this.check({ to, from, body: input.body, mediaUrls });
    const ticketId = await this.conversationTicket(to, from);
    return this.queue({ to, from, body: input.body, mediaUrls, ticketId }, accountSid);
  }

  private async conversationTicket(to: string, from: string): Promise<number> {
    const link = await this.messages.recentLink(this.helpdesk.name, to, from);
    const current = link ? await this.helpdesk.getTicketSummary(link.ticketId) : null;
    if (current && (current.status === 'open' || current.status === 'pending')) return current.id;
    const contact = (await this.helpdesk.findContactByPhone(to)) ?? (await this.helpdesk.createContact({ phone: to, name: formatPhone(to) }));
    await this.messages.rememberContact(this.helpdesk.name, to, contact.id);
    const { id } = await this.helpdesk.createTicket({
      idempotencyKey: `conversation:${randomUUID()}`,
      requesterId: contact.id,
      subject: `SMS to ${formatPhone(to)}`,
      descriptionHtml: `<p>Conversation started by an agent from ${escapeHtml(from)}.</p>`,
      attachments: [],
      tags: ['sms'],
    });
    await this.messages.bindTicket({ helpdesk: this.helpdesk.name, ticketId: id, contactKey: to, twilioNumber: from });
    return id;
  }

  /**
   * Everything that would make Twilio (or the customer) refuse the message, checked before anything is
   * stored: Twilio's limits, MMS capability, and opt-outs (409). Returns the account to send with.
   */
  private async check(m: { to: string; from: string; body: string; mediaUrls: string[] }): Promise<string> {
    checkOutbound({ body: m.body, media: m.mediaUrls.map((url) => ({ url })), mmsCapable: this.options.mmsCapable(m.from), from: m.from });
    const accountSid = (await this.outbound.accountForNumber(m.from)) ?? this.options.accounts()[0]?.sid;
    if (!accountSid) throw invalid('no_twilio_account', 'No Twilio account is configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.');
    const optOut = await this.optOuts.activeOptOut(accountSid, [m.from], m.to);
    if (optOut) {
      const how = optOut.keyword === '21610' ? 'Twilio reported them unsubscribed (error 21610)' : `they texted ${optOut.keyword}`;
      throw conflict('opted_out',
        `${m.to} has opted out of messages from ${optOut.sender}: ${how} on ${optOut.at.toISOString().slice(0, 10)}. ` +
        `Nothing was sent. They can text START to ${m.from} to receive messages again.`);
    }
    return accountSid;
  }

  private async queue(m: { to: string; from: string; body: string; mediaUrls: string[]; ticketId: number | null }, checkedAccount?: string): Promise<number> {
    const accountSid = checkedAccount ?? (await this.check(m));
    const seg = segmentInfo(m.body);
    const id = await this.outbound.create(
      { accountSid, from: m.from, to: m.to, body: m.body, mediaUrls: m.mediaUrls, ticketId: m.ticketId, encoding: seg.encoding, segments: seg.segments },
      SEND_QUEUE,
      `${m.from}>${m.to}`,
    );
    this.options.onQueued();
    return id;
  }

  private number(field: string, raw: string): string {
    const e164 = toE164(raw);
    if (!e164) throw invalid('invalid_phone', `${field} "${raw}" is not a phone number; use E.164, e.g. +14155550100.`);
    return e164;
  }
}
