import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parse } from './validation.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { OptOutStore } from '../ports/opt-out-store.ts';
import type { ConversationQueries } from '../adapters/db/conversation-queries.ts';
import type { ConsoleEvents } from '../app/console-events.ts';
import { invalid } from '../domain/errors.ts';
import { phoneInput } from '../domain/phone.ts';
import { optOutReason } from '../domain/opt-out.ts';
import { TICKET_STATUSES } from '../ports/helpdesk.ts';
import { authenticate, type AuthOptions } from './auth.ts';
import type { AttachmentLinks } from './attachments.ts';
import type { NumberGroupsStore } from '../adapters/db/settings-store.ts';

export interface ConsoleOptions {
  auth: AuthOptions;
  helpdesk: string;
  conversations: ConversationQueries;
  events: ConsoleEvents;
  optOuts: OptOutStore;
  store: MessageStore;
  blobs: BlobStore;
  links: AttachmentLinks;
  groups: NumberGroupsStore;
}

/** An MMS carries 5 MB in all (Twilio's limit); one upload is one file of it. */
const UPLOAD_LIMIT = 5 * 1024 * 1024;
const UPLOAD_TYPES = /^(image\/(jpeg|png|gif|webp|heic)|video\/(mp4|3gpp)|audio\/(mpeg|amr|ogg)|application\/pdf|text\/(vcard|x-vcard|plain))$/;
const PING_MS = 15_000;

/** The signed-in user (read marks are theirs); null for a bearer token. */
const userId = (request: FastifyRequest) => (request.principal?.kind === 'session' ? request.principal.user.id : null);

/** What the agent console needs beyond the integration API: the inbox, read marks, live events, uploads. */
export async function consoleApi(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.auth));

  app.get('/api/v1/conversations', async (request) => {
    const q = parse(z.object({
      status: z.enum(TICKET_STATUSES).optional(), number: z.string().optional(), q: z.string().max(200).optional(), group: z.string().max(50).optional(),
    }), request.query, 'query');
    const number = q.number ? phoneInput(q.number, 'number', { sender: true }) : undefined;
    const text = q.q?.trim();
    // A phone number however it is written ("(415) 555-0111", "+1 415…"): its digits, found inside the E.164.
    const digits = text && /^[\d\s()+.-]+$/.test(text) ? text.replace(/\D/g, '') : '';
    const groups = await opts.groups.all();
    const inGroup = q.group ? Object.keys(groups).filter((n) => groups[n] === q.group) : undefined;
    const conversations = await opts.conversations.list({
      helpdesk: opts.helpdesk, userId: userId(request), status: q.status, number: number ?? undefined, numbers: inGroup,
      q: digits.length >= 3 ? digits : text || undefined,
    });
    return { conversations: conversations.map((c) => ({ ...c, group: groups[c.twilioNumber] ?? null })) };
  });

  app.post<{ Params: { id: string } }>('/api/v1/conversations/:id/read', async (request, reply) => {
    if (!/^\d{1,15}$/.test(request.params.id)) throw invalid('invalid_id', 'The ticket id must be a number.');
    const id = userId(request);
    if (id !== null) await opts.conversations.markRead(id, opts.helpdesk, Number(request.params.id));
    return reply.code(204).send();
  });

  app.get('/api/v1/opt-outs', async (request) => {
    const phone = phoneInput((request.query as { phone?: string }).phone ?? '', 'phone');
    return { optOuts: (await opts.optOuts.activeFor(phone)).map((o) => ({ ...o, reason: optOutReason(o) })) };
  });

  /** Server-Sent Events: one `event:` + `data:` JSON per console event, a ping comment every 15 s. */
  app.get('/api/v1/events', async (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const unsubscribe = opts.events.subscribe((e) => res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`));
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    const stop = () => {
      clearInterval(ping);
      unsubscribe();
    };
    request.raw.on('close', stop);
    res.on('error', stop);
  });

  await app.register(async (uploads) => {
    // The bytes as sent, whatever the type: Fastify's own parsers would take text/plain (and JSON) as strings.
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT }, (_req, body, done) => done(null, body));
    uploads.post('/api/v1/uploads', async (request, reply) => {
      const contentType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!UPLOAD_TYPES.test(contentType)) {
        throw invalid('unsupported_media_type', `Twilio cannot send ${contentType || 'a file without a Content-Type'} by MMS; send an image (JPEG, PNG, GIF), a short video, audio, a PDF or a vCard.`);
      }
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (bytes.length === 0) throw invalid('empty_upload', 'The file is empty.');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const storageKey = `uploads/${randomUUID()}`;
      await opts.blobs.put(storageKey, bytes, contentType);
      const name = String(request.headers['x-filename'] ?? 'upload').replace(/[^\w.-]/g, '_').slice(0, 100) || 'upload';
      const blob = await opts.store.saveBlob({ storageKey, filename: name, contentType, size: bytes.length, sha256 });
      return reply.code(201).send({ id: blob.id, url: opts.links.url(blob.id), contentType, size: bytes.length, sha256 });
    });
  });
}
