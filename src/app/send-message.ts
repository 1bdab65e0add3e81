import { randomUUID } from 'node:crypto';
import type { Helpdesk } from '../ports/helpdesk.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { Origin, OutboundStore } from '../ports/outbound-store.ts';
import { conflict, invalid, notFound } from '../domain/errors.ts';
import { formatPhone, phoneInput, toE164 } from '../domain/phone.ts';
import { segmentInfo } from '../domain/segments.ts';
import { checkOutbound } from '../domain/message-limits.ts';
import { escapeHtml } from '../domain/html.ts';
import { htmlToText } from '../domain/html-to-text.ts';
import type { OptOutStore } from '../ports/opt-out-store.ts';
import { optOutReason } from '../domain/opt-out.ts';
import type { NumberCapabilities, TwilioAccount } from '../ports/messaging.ts';
import type { MediaProbe } from '../ports/media-probe.ts';
import type { TemplateStore } from '../ports/template-store.ts';
import { checkValueNames, renderTemplate, ticketValues, type TemplateValues } from '../domain/templates.ts';
import type { NewEvent } from '../ports/event-outbox.ts';

export const SEND_QUEUE = 'send-message';
/** Timers of scheduled messages (key message:<id>): when one is due, the message joins SEND_QUEUE. */
export const SCHEDULE_QUEUE = 'scheduled-message';

/** The send job of a message: one conversation's messages leave in the order they were written. */
export const sendJob = (m: { from: string; to: string }) => ({ queue: SEND_QUEUE, key: `${m.from}>${m.to}` });

export interface ReplyInput {
  body?: string;
  /** Helpdesk HTML (an agent's reply as the helpdesk keeps it): sent as plain text, line breaks kept. */
  bodyHtml?: string;
  templateId?: number;
  /** A template's text given inline (an automation's body): filled in for the ticket like a stored template. */
  template?: string;
  values?: TemplateValues;
  mediaUrls?: string[];
  from?: string;
  /** What made this reply when not an API call (auto-SMS: the helpdesk message); one message per origin. */
  originKey?: string;
  /** Send later: the message waits as scheduled until then (checked by the caller: domain/schedule parseSendAt). */
  sendAt?: Date;
  /** Who asked (default api), and the agent, if one. */
  origin?: Origin;
  createdBy?: number | null;
}

/** Who asked for a message and when it is to go, for messages started outside a ticket. */
export type Sending = Pick<ReplyInput, 'sendAt' | 'origin' | 'createdBy'>;

export interface SendOptions {
  accounts: () => readonly TwilioAccount[];
  /** The number replies come from when a ticket is bound to none (TWILIO_DEFAULT_NUMBER). */
  defaultNumber: string | null;
  /** The sending number's capabilities as Twilio lists them (null: unknown, Twilio decides). */
  capabilities: (accountSid: string, number: string) => Promise<NumberCapabilities | null>;
  /** Sizes of outbound media, asked of their servers before the message is accepted. */
  mediaProbe: MediaProbe;
  templates: TemplateStore;
  /** A message was stored: queued to send now, or scheduled (only a queued one is work for the sender). */
  onQueued: (ticketId: number | null, scheduled: boolean) => void;
  /** SMS_MONTHLY_LIMIT as set now (Settings over the environment); null: none. */
  monthlyLimit: () => Promise<number | null>;
  /** A message was scheduled for `at` (the timer worker may want to wake then). */
  onScheduled?: (at: Date) => void;
  /** Placeholders that depend on the installation, not the ticket: {{ticket.url}}, {{business.next_open}}. */
  contextValues?: (ticketId: number | null) => Promise<TemplateValues>;
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

  /**
   * A reply on a ticket: to its requester, from the number the ticket is bound to unless `from` says otherwise.
   * The body is given as text, or as helpdesk HTML (turned into text), or is a template filled in for this
   * ticket (`values` adds or overrides placeholders, e.g. agent.name).
   */
  async reply(ticketId: number, input: ReplyInput): Promise<number> {
    return (await this.replyTo(ticketId, input)).id;
  }

  /** reply(), saying who the message goes to and from. */
  async replyTo(ticketId: number, input: ReplyInput): Promise<{ id: number; to: string; from: string }> {
    const ticket = await this.helpdesk.getTicketSummary(ticketId);
    if (!ticket) throw notFound('ticket_not_found', `No ticket ${ticketId}.`);
    const from = await this.sender(ticketId, input.from);
    const given = [input.body, input.bodyHtml, input.templateId, input.template].filter((v) => v !== undefined && v !== '').length;
    if (given > 1) throw invalid('body_and_template', 'Send one of "body", "bodyHtml" or "templateId", not several.');
    let body = input.body ?? '';
    if (input.bodyHtml !== undefined) body = htmlToText(input.bodyHtml);
    if (input.templateId !== undefined) body = await this.render(await this.templateText(input.templateId), ticketId, from, input.values ?? {});
    if (input.template !== undefined) body = await this.render(input.template, ticketId, from, input.values ?? {});
    const to = toE164(ticket.requesterPhone);
    if (!to) {
      throw invalid('requester_not_textable',
        `The requester of ticket ${ticketId} has no mobile number smsdesk can text (${ticket.requesterPhone ? `"${ticket.requesterPhone}"` : 'none'}); add one in E.164 form, e.g. +14155550100.`);
    }
    // An agent's reply (console or API) is an event, recorded with the message; the helpdesk's own replies are
    // reported by helpdesk-events, an automation's texts are its own doing.
    const origin = input.origin ?? (input.originKey ? 'helpdesk' : 'api');
    const event = origin === 'agent' || origin === 'api'
      ? (id: number): NewEvent => ({
          type: 'ticket.agent_replied', dedupeKey: `ticket.agent_replied:message:${id}`, helpdesk: this.helpdesk.name, ticketId,
          data: { ticket: { id: ticketId, status: ticket.status, twilioNumber: from, requesterPhone: to }, message: { id, direction: 'outbound', from, to, body } },
        })
      : undefined;
    const id = await this.queue({ to, from, body, mediaUrls: input.mediaUrls ?? [], ticketId, originKey: input.originKey }, input, undefined, event);
    return { id, to, from };
  }

  /** A template filled in as a reply on this ticket would be (the composer's preview). */
  async renderForTicket(templateId: number, ticketId: number, values: TemplateValues, from?: string): Promise<string> {
    // A ticket bound to no number previews with twilio.number empty; sending it would ask for "from".
    const number = from ? this.number('from', from) : await this.sender(ticketId, undefined).catch(() => null);
    return this.render(await this.templateText(templateId), ticketId, number, values);
  }

  /** A template's text filled in for this ticket as its reply would be (an automation editor's preview). */
  async previewForTicket(template: string, ticketId: number): Promise<string> {
    return this.fillIn(template, ticketId);
  }

  /**
   * A text with its placeholders filled in as a reply on this ticket would be (without a ticket, only the
   * installation's: {{ticket.url}}, {{business.next_open}}); `html`: the values escaped, for a note's HTML.
   */
  async fillIn(template: string, ticketId: number | null, opts: { html?: boolean } = {}): Promise<string> {
    if (ticketId === null) return renderTemplate(template, escapedIf((await this.options.contextValues?.(null)) ?? {}, opts.html));
    const from = await this.sender(ticketId, undefined).catch(() => null);
    return this.render(template, ticketId, from, {}, opts.html);
  }

  private async templateText(templateId: number): Promise<string> {
    const template = await this.options.templates.get(templateId);
    if (!template) throw notFound('template_not_found', `No template ${templateId}.`);
    return template.body;
  }

  private async render(template: string, ticketId: number, from: string | null, values: TemplateValues, html = false): Promise<string> {
    checkValueNames(values);
    const ticket = await this.helpdesk.getTicketHeader(ticketId);
    if (!ticket) throw notFound('ticket_not_found', `No ticket ${ticketId}.`);
    return renderTemplate(template, escapedIf({ ...(await this.options.contextValues?.(ticketId)), ...ticketValues(ticket, from), ...values }, html));
  }

  /** The number a reply on this ticket comes from: `from`, else the ticket's bound number, else the default. */
  private async sender(ticketId: number, from: string | undefined): Promise<string> {
    if (from) return this.number('from', from);
    const [link] = await this.messages.links(this.helpdesk.name, [ticketId]);
    const number = link?.twilioNumber ?? this.options.defaultNumber;
    if (!number) throw invalid('no_sender', `Ticket ${ticketId} is bound to no Twilio number: pass "from", or set TWILIO_DEFAULT_NUMBER.`);
    return number;
  }

  /**
   * A new conversation from `from` (default: TWILIO_DEFAULT_NUMBER) to `to`: continues the customer's open or
   * pending ticket on that number if there is one, else opens a ticket bound to the pair.
   */
  async start(input: { to: string; from?: string; body: string; mediaUrls?: string[] } & Sending): Promise<number> {
    const to = this.number('to', input.to);
    const from = input.from ? this.number('from', input.from) : this.options.defaultNumber;
    if (!from) throw invalid('no_sender', 'Pass "from" (a number of your Twilio account), or set TWILIO_DEFAULT_NUMBER.');
    const mediaUrls = input.mediaUrls ?? [];
    const accountSid = await this.check({ to, from, body: input.body, mediaUrls });
    const { ticketId, opened } = await this.conversationTicket(to, from);
    // A ticket this conversation opened is a ticket.created, recorded with its first message.
    const event = opened
      ? (id: number): NewEvent => ({
          type: 'ticket.created', dedupeKey: `ticket.created:${this.helpdesk.name}:${ticketId}`, helpdesk: this.helpdesk.name, ticketId,
          data: { ticket: { id: ticketId, status: 'open', twilioNumber: from, requesterPhone: to }, message: { id, direction: 'outbound', from, to, body: input.body } },
        })
      : undefined;
    return this.queue({ to, from, body: input.body, mediaUrls, ticketId }, input, accountSid, event);
  }

  /**
   * A text to a number that is not the ticket's requester (an automation's alert to an on-call phone): it opens
   * no conversation; when it is about a ticket, its record lands there as a private note once sent.
   */
  async notify(input: { to: string; from?: string; body?: string; templateId?: number; ticketId: number | null; originKey: string } & Sending): Promise<number> {
    const to = this.number('to', input.to);
    const from = input.from ? this.number('from', input.from) : this.options.defaultNumber;
    if (!from) throw invalid('no_sender', 'Give "from" (a number of your Twilio account), or set TWILIO_DEFAULT_NUMBER.');
    let body = input.body ?? '';
    if (input.templateId !== undefined) {
      body = input.ticketId === null
        ? renderTemplate(await this.templateText(input.templateId), (await this.options.contextValues?.(null)) ?? {})
        : await this.render(await this.templateText(input.templateId), input.ticketId, from, {});
    }
    return this.queue({ to, from, body, mediaUrls: [], ticketId: input.ticketId, originKey: input.originKey }, input);
  }

  private async conversationTicket(to: string, from: string): Promise<{ ticketId: number; opened: boolean }> {
    const link = await this.messages.recentLink(this.helpdesk.name, to, from);
    const current = link ? await this.helpdesk.getTicketSummary(link.ticketId) : null;
    if (current && (current.status === 'open' || current.status === 'pending')) return { ticketId: current.id, opened: false };
    const contact = (await this.helpdesk.findContactByPhone(to)) ?? (await this.helpdesk.createContact({ phone: to, name: formatPhone(to) }));
    await this.messages.rememberContact(this.helpdesk.name, to, contact.id);
    const { id } = await this.helpdesk.createTicket({
      idempotencyKey: `conversation:${randomUUID()}`,
      requesterId: contact.id,
      requesterPhone: to,
      subject: `SMS to ${formatPhone(to)}`,
      descriptionHtml: `<p>Conversation started by an agent from ${escapeHtml(from)}.</p>`,
      attachments: [],
    });
    await this.messages.bindTicket({ helpdesk: this.helpdesk.name, ticketId: id, contactKey: to, twilioNumber: from });
    return { ticketId: id, opened: true };
  }

  /**
   * Everything that would make Twilio (or the customer) refuse the message, checked before anything is
   * stored: Twilio's limits, MMS capability, what the media URLs' servers say (missing files, 5 MB in all;
   * URLs smsdesk will not fetch, such as private addresses), and opt-outs (409). Cheap checks first; Twilio and the media servers are asked only for a message that
   * passes them. Returns the account to send with.
   */
  private async check(m: { to: string; from: string; body: string; mediaUrls: string[] }): Promise<string> {
    const probe = this.options.mediaProbe;
    const message = { body: m.body, from: m.from, media: m.mediaUrls.map((url) => ({ url, plainHttp: probe.plainHttpAllowed(url) })), mmsCapable: true };
    checkOutbound(message);
    const accountSid = (await this.outbound.accountForNumber(m.from)) ?? this.options.accounts()[0]?.sid;
    if (!accountSid) throw invalid('no_twilio_account', 'No Twilio account is configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.');
    const optOut = await this.optOuts.activeOptOut(accountSid, [m.from], m.to);
    if (optOut) {
      throw conflict('opted_out',
        `${m.to} has opted out of messages from ${optOut.sender}: ${optOutReason(optOut)} on ${optOut.at.toISOString().slice(0, 10)}. ` +
        `Nothing was sent. They can text START to ${m.from} to receive messages again.`);
    }
    if (m.mediaUrls.length > 0) {
      const capabilities = await this.options.capabilities(accountSid, m.from);
      checkOutbound({ ...message, mmsCapable: capabilities?.mms ?? true });
      const found = await Promise.all(m.mediaUrls.map((url) => probe.probe(url)));
      checkOutbound({
        ...message,
        media: message.media.map((media, i) => ({
          ...media, size: found[i]!.size ?? undefined, unreachable: found[i]!.unreachable ?? undefined, refused: found[i]!.refused ?? undefined,
        })),
      });
    }
    return accountSid;
  }

  private async queue(
    m: { to: string; from: string; body: string; mediaUrls: string[]; ticketId: number | null; originKey?: string },
    sending: Sending,
    checkedAccount?: string,
    event?: (id: number) => NewEvent,
  ): Promise<number> {
    const accountSid = checkedAccount ?? (await this.check(m));
    const seg = segmentInfo(m.body);
    const id = await this.outbound.create(
      {
        accountSid, from: m.from, to: m.to, body: m.body, mediaUrls: m.mediaUrls, ticketId: m.ticketId, originKey: m.originKey,
        encoding: seg.encoding, segments: seg.segments, origin: sending.origin ?? (m.originKey ? 'helpdesk' : 'api'), createdBy: sending.createdBy ?? null,
      },
      sendJob(m),
      sending.sendAt ? { queue: SCHEDULE_QUEUE, at: sending.sendAt } : undefined,
      { limit: await this.options.monthlyLimit() },
      event,
    );
    if (sending.sendAt) this.options.onScheduled?.(sending.sendAt);
    this.options.onQueued(m.ticketId, Boolean(sending.sendAt));
    return id;
  }

  /** `to` is a customer's phone; `from` may also be a short code of the account. */
  private number(field: 'to' | 'from', raw: string): string {
    return phoneInput(raw, field, { sender: field === 'from' });
  }
}

/** Template values as they land in HTML (a note): escaped, the template's own markup kept. */
function escapedIf(values: TemplateValues, html: boolean | undefined): TemplateValues {
  if (!html) return values;
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === null || v === undefined ? v : escapeHtml(String(v))]));
}
