import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idParam, parse } from './validation.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import { TICKET_STATUSES, type Helpdesk, type HelpdeskAttachment, type HelpdeskTicket } from '../ports/helpdesk.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { MessageQueries, MessageView } from '../adapters/db/message-queries.ts';
import { notFound } from '../domain/errors.ts';
import type { AwaitingReplies, CsatRating } from '../ports/awaiting-replies.ts';

const csatJson = (r: CsatRating | undefined) => (r ? { rating: r.rating, comment: r.comment, at: r.at } : null);
import { phoneInput } from '../domain/phone.ts';
import { segmentInfo } from '../domain/segments.ts';
import { explainTwilioError } from '../domain/twilio-errors.ts';
import { MAX_BODY_CHARS, outboundProblems } from '../domain/message-limits.ts';
import { authenticate, type AuthOptions } from './auth.ts';
import { sendAttachment } from './attachments.ts';
import type { ConsoleEvents } from '../app/console-events.ts';
import type { StatusHistory } from '../ports/status-history.ts';
import type { SendMessage } from '../app/send-message.ts';
import type { ScheduledMessages } from '../app/scheduled-messages.ts';
import { parseSendAt } from '../domain/schedule.ts';

export interface ApiOptions {
  auth: AuthOptions;
  /** The console's live events (a ticket's status changed here). */
  events?: ConsoleEvents;
  /** Where status changes are recorded for the console's thread. */
  history?: StatusHistory;
  /** CSAT ratings (Ticket.csat: the latest). */
  csat?: Pick<AwaitingReplies, 'latestCsat'>;
  send: SendMessage;
  scheduled: ScheduledMessages;
  publicUrl: () => string;
  helpdesk: Helpdesk;
  store: MessageStore;
  queries: MessageQueries;
  blobs: BlobStore;
}

export async function api(app: FastifyInstance, opts: ApiOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.auth));

  const attachmentUrl = (id: number) => `${opts.publicUrl()}/api/v1/attachments/${id}`;
  const attachmentJson = (a: HelpdeskAttachment) => ({ ...a, url: a.url ?? attachmentUrl(a.id) });

  async function ticketJson(tickets: HelpdeskTicket[]) {
    const links = new Map((await opts.store.links(opts.helpdesk.name, tickets.map((t) => t.id))).map((l) => [l.ticketId, l]));
    const csat = (await opts.csat?.latestCsat(opts.helpdesk.name, tickets.map((t) => t.id))) ?? new Map();
    return tickets.map((t) => ({
      id: t.id,
      subject: t.subject,
      status: t.status,
      requester: t.requester,
      twilioNumber: links.get(t.id)?.twilioNumber ?? null,
      csat: csatJson(csat.get(t.id)),
      descriptionHtml: t.descriptionHtml,
      notes: t.notes.map((n) => ({
        id: n.id, bodyHtml: n.bodyHtml, incoming: n.incoming, private: n.private, createdAt: n.createdAt,
        attachments: n.attachments.map(attachmentJson),
      })),
      attachments: t.attachments.map(attachmentJson),
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
    }));
  }

  const messageJson = (m: MessageView) => {
    const seg = segmentInfo(m.body);
    return {
      id: m.id, sid: m.sid, direction: m.direction, from: m.from, to: m.to, body: m.body, status: m.status,
      statusHistory: m.statusHistory, encoding: seg.encoding, segments: seg.segments, errorCode: m.errorCode,
      errorMessage: m.errorMessage, errorExplanation: explanation(m.errorCode), ticketId: m.ticketId, routing: m.routing,
      media: m.media.map((x) =>
        x.blob
          ? { id: x.blob.id, contentType: x.blob.contentType, size: x.blob.size, sha256: x.blob.sha256, url: attachmentUrl(x.blob.id), state: 'stored' }
          : { id: null, contentType: x.contentType, size: null, sha256: null, url: null, state: x.state, error: x.error },
      ),
      createdAt: m.createdAt,
      sendAt: m.sendAt,
      heldBy: m.heldBy,
      origin: m.origin ?? (m.direction === 'outbound' ? 'api' : null),
      createdBy: m.createdBy,
    };
  };

  /** Who asks: an agent in the console, or an integration with a token; and when the message is to go. */
  const sending = (request: FastifyRequest, sendAt: string | undefined) => {
    const p = request.principal;
    return {
      sendAt: sendAt === undefined ? undefined : parseSendAt(sendAt, new Date()),
      origin: p?.kind === 'session' ? ('agent' as const) : ('api' as const),
      createdBy: p?.kind === 'session' ? p.user.id : null,
    };
  };
  const sendAtField = z.string().max(40).optional();

  app.get('/api/v1/tickets', async (request) => {
    const q = parse(z.object({ phone: z.string().optional(), status: z.enum(TICKET_STATUSES).optional() }), request.query, 'query');
    const tickets = await opts.helpdesk.listTickets({ requesterPhone: q.phone ? phoneInput(q.phone, 'phone') : undefined, status: q.status });
    return { tickets: await ticketJson(tickets) };
  });

  app.get('/api/v1/tickets/:id', async (request) => {
    const ticket = await opts.helpdesk.getTicket(idParam(request));
    if (!ticket) throw notFound('ticket_not_found', `No ticket ${idParam(request)}.`);
    return (await ticketJson([ticket]))[0];
  });

  app.patch('/api/v1/tickets/:id', async (request) => {
    const id = idParam(request);
    const body = parse(z.object({ status: z.enum(TICKET_STATUSES) }), request.body, 'body');
    const before = await opts.helpdesk.getTicketSummary(id);
    if (!before) throw notFound('ticket_not_found', `No ticket ${id}.`);
    await opts.helpdesk.setStatus(id, body.status);
    const p = request.principal;
    await opts.history?.record(opts.helpdesk.name, id, { status: body.status, previous: before.status, changedBy: p?.kind === 'session' ? p.user.name : 'API' });
    opts.events?.publish({ event: 'ticket', data: { id } });
    const ticket = await opts.helpdesk.getTicket(id);
    return (await ticketJson([ticket!]))[0];
  });

  app.get('/api/v1/tickets/:id/history', async (request) => {
    const id = idParam(request);
    return { statusChanges: (await opts.history?.list(opts.helpdesk.name, id)) ?? [] };
  });

  app.post('/api/v1/tickets/:id/replies', async (request, reply) => {
    const input = parse(
      z.object({
        body: z.string().optional(),
        bodyHtml: z.string().max(100_000).optional(),
        templateId: z.number().int().positive().optional(),
        values: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
        mediaUrls: z.array(z.string()).optional(),
        from: z.string().optional(),
        sendAt: sendAtField,
      }),
      request.body,
      'body',
    );
    const { sendAt, ...rest } = input;
    const id = await opts.send.reply(idParam(request), { ...rest, ...sending(request, sendAt) });
    const message = await opts.queries.byId(id);
    return reply.code(202).send({ message: messageJson(message!) });
  });

  app.post('/api/v1/messages', async (request, reply) => {
    const input = parse(
      z.object({ to: z.string(), from: z.string().optional(), body: z.string().default(''), mediaUrls: z.array(z.string()).optional(), sendAt: sendAtField }),
      request.body,
      'body',
    );
    const { sendAt, ...rest } = input;
    const id = await opts.send.start({ ...rest, ...sending(request, sendAt) });
    const message = await opts.queries.byId(id);
    return reply.code(202).send({ message: messageJson(message!) });
  });

  app.get('/api/v1/messages/:id', async (request) => {
    const id = idParam(request);
    const message = await opts.queries.byId(id);
    if (!message) throw notFound('message_not_found', `No message ${id}.`);
    return messageJson(message);
  });

  // A scheduled message: new time or text while it waits, or canceled; 409 not_scheduled once it left.
  app.patch('/api/v1/messages/:id', async (request) => {
    const id = idParam(request);
    const change = parse(z.object({ sendAt: z.string().max(40).optional(), body: z.string().optional() }).strict(), request.body, 'body');
    await opts.scheduled.edit(id, change);
    const message = (await opts.queries.byId(id))!;
    // With its ticket, so a thread open in another console shows the change.
    opts.events?.publish({ event: 'message', data: { id, direction: 'outbound', status: 'scheduled', ticketId: message.ticketId } });
    return messageJson(message);
  });

  app.post('/api/v1/messages/:id/cancel', async (request) => {
    const id = idParam(request);
    await opts.scheduled.cancel(id);
    const message = (await opts.queries.byId(id))!;
    opts.events?.publish({ event: 'message', data: { id, direction: 'outbound', status: 'canceled', ticketId: message.ticketId } });
    return messageJson(message);
  });

  app.post('/api/v1/messages/preview', async (request) => {
    const { body } = parse(z.object({ body: z.string() }), request.body, 'body');
    const seg = segmentInfo(body);
    return {
      encoding: seg.encoding,
      segments: seg.segments,
      characters: body.length,
      maxCharacters: MAX_BODY_CHARS,
      nonGsmCharacters: seg.nonGsmCharacters,
      problems: outboundProblems({ body, media: [], from: '', mmsCapable: true }).map((p) => ({ code: p.code, message: p.message })),
    };
  });

  app.get('/api/v1/messages', async (request) => {
    const date = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/, 'must be a date (2026-12-01) or an ISO 8601 time').optional();
    const q = parse(z.object({
      ticketId: z.string().regex(/^\d{1,15}$/, 'must be a ticket id').optional(), phone: z.string().optional(),
      status: z.string().regex(/^[a-z_]{1,20}$/, 'must be a status such as delivered').optional(), number: z.string().optional(), since: date, until: date,
      createdBy: z.string().regex(/^\d{1,9}$/, 'must be a user id').optional(),
    }), request.query, 'query');
    const log = Boolean(q.status || q.number || q.since || q.until || q.createdBy);
    const messages = await opts.queries.list({
      ticketId: q.ticketId ? Number(q.ticketId) : undefined, contactKey: q.phone ? phoneInput(q.phone, 'phone') : undefined,
      status: q.status, number: q.number ? phoneInput(q.number, 'number', { sender: true }) : undefined, createdBy: q.createdBy ? Number(q.createdBy) : undefined,
      since: q.since ? new Date(q.since) : undefined,
      // A bare date as "until" includes that whole day.
      until: q.until ? new Date(q.until.length === 10 ? Date.parse(q.until) + 86_400_000 : Date.parse(q.until)) : undefined,
      // The SMS log (filtered) shows the newest 500; a ticket's or a customer's messages come whole.
      newest: log,
    }, log ? 500 : 1000);
    return { messages: messages.map(messageJson) };
  });

  app.get('/api/v1/contacts', async (request) => {
    const q = parse(z.object({ phone: z.string().optional() }), request.query, 'query');
    const contacts = await opts.helpdesk.listContacts({ phone: q.phone ? phoneInput(q.phone, 'phone') : undefined });
    return { contacts: contacts.map((c) => ({ id: c.id, name: c.name, phone: c.phone })) };
  });

  app.get('/api/v1/stats', async () => opts.queries.stats());

  app.get('/api/v1/attachments/:id', async (request, reply) => sendAttachment(reply, idParam(request), opts.queries, opts.blobs));
}

/** For the SMS log: what a Twilio error code means and how to fix it. */
function explanation(code: number | null) {
  const e = explainTwilioError(code);
  return e ? { title: e.title, explanation: e.explanation, fix: e.fix, moreInfo: e.moreInfo } : null;
}


