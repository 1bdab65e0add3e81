import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BlobStore } from '../ports/blob-store.ts';
import { BlobNotFoundError } from '../ports/blob-store.ts';
import type { MessageQueries } from '../adapters/db/message-queries.ts';
import { notFound } from '../domain/errors.ts';

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

  verify(blobId: number, signature: string): boolean {
    const expected = Buffer.from(this.sign(blobId));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(blobId: number): string {
    return createHmac('sha256', this.key).update(`attachment:${blobId}`).digest('base64url').slice(0, 32);
  }
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
