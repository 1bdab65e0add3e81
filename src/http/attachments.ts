import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BlobStore } from '../ports/blob-store.ts';
import { BlobNotFoundError } from '../ports/blob-store.ts';
import type { MessageQueries } from '../adapters/db/message-queries.ts';
import { notFound } from '../domain/errors.ts';
import type { OwnAttachments } from '../ports/media-probe.ts';

/** Types a browser may render inline; anything else downloads, so a hostile upload cannot run as a page. */
const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** Sends a stored attachment's bytes with headers that keep a hostile file inert. */
export async function sendAttachment(reply: FastifyReply, id: number, queries: MessageQueries, blobs: BlobStore): Promise<FastifyReply> {
  const blob = await queries.blob(id);
  if (!blob) throw notFound('attachment_not_found', `No attachment ${id}.`);
  let stream;
  try {
    stream = await blobs.get(blob.storageKey);
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw notFound('attachment_not_found', `Attachment ${id} is recorded but its bytes are gone from the blob store.`);
    throw err;
  }
  const disposition = INLINE_TYPES.has(blob.contentType) ? 'inline' : 'attachment';
  return reply
    .header('content-type', blob.contentType)
    .header('content-length', String(blob.size))
    .header('content-disposition', `${disposition}; filename="${blob.filename.replace(/[^\w.-]/g, '_')}"`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('etag', `"${blob.sha256}"`)
    .send(stream);
}

/**
 * Links to smsdesk's copy of an attachment that a helpdesk could not hold (over its per-ticket cap), opened
 * from the ticket by agents who have no smsdesk token: `/attachments/:id/:signature`, the signature an HMAC of
 * the id under a key smsdesk keeps in its database. They do not expire (a ticket is read for years); rotating
 * the key (deleting the `attachment-links` secret) revokes them all.
 */
export class AttachmentLinks {
  constructor(
    private readonly key: Buffer,
    private readonly publicUrl: () => string,
  ) {}

  url(blobId: number): string {
    return `${this.publicUrl()}/attachments/${blobId}/${this.sign(blobId)}`;
  }

  /** Whether a URL is under PUBLIC_URL, i.e. smsdesk's own, whatever its path. */
  owns(raw: string): boolean {
    return this.pathUnderBase(raw) !== null;
  }

  /** The attachment a link of ours names, when its signature holds; null for any other URL. */
  blobIdOf(raw: string): number | null {
    const m = /^\/attachments\/(\d{1,15})\/([\w-]+)$/.exec(this.pathUnderBase(raw) ?? '');
    if (!m) return null;
    const id = Number(m[1]);
    return this.verify(id, m[2]!) ? id : null;
  }

  /** The URL's path below PUBLIC_URL's ('' for PUBLIC_URL itself); null when the URL is not under it. */
  private pathUnderBase(raw: string): string | null {
    const base = this.publicUrl();
    if (!base) return null;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return null;
    }
    const root = new URL(base);
    const prefix = root.pathname.replace(/\/+$/, '');
    if (url.origin !== root.origin) return null;
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return null;
    return url.pathname.slice(prefix.length);
  }

  verify(blobId: number, signature: string): boolean {
    const expected = Buffer.from(this.sign(blobId));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(blobId: number): string {
    return createHmac('sha256', this.key).update(`attachment:${blobId}`).digest('base64url').slice(0, 32);
  }
}

/** smsdesk's own links as outbound media: the blob's size and type from the database, no HTTP request. */
export function ownAttachments(links: AttachmentLinks, queries: MessageQueries): OwnAttachments {
  return {
    owns: (url) => links.owns(url),
    async find(url) {
      const id = links.blobIdOf(url);
      const blob = id === null ? null : await queries.blob(id);
      return blob ? { size: blob.size, contentType: blob.contentType } : null;
    },
  };
}

export async function attachmentLinks(app: FastifyInstance, opts: { links: AttachmentLinks; queries: MessageQueries; blobs: BlobStore }): Promise<void> {
  app.get<{ Params: { id: string; signature: string } }>('/attachments/:id/:signature', async (request, reply) => {
    const id = Number(request.params.id);
    // One answer for a bad id and a bad signature: a link either works or tells nothing.
    if (!/^\d{1,15}$/.test(request.params.id) || !opts.links.verify(id, request.params.signature)) {
      throw notFound('attachment_not_found', 'No such attachment link: copy the whole link from the ticket.');
    }
    return sendAttachment(reply, id, opts.queries, opts.blobs);
  });
}
