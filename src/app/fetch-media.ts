import { createHash } from 'node:crypto';
import type { BlobStore } from '../ports/blob-store.ts';
import type { AttachmentInput } from '../ports/helpdesk.ts';
import type { InboundForRouting, MessageStore } from '../ports/message-store.ts';
import type { MissingMedia } from '../domain/ticket-format.ts';
import { attachmentFilename } from '../domain/ticket-format.ts';
import { MediaDownloadError, type DownloadMedia } from '../ports/media-download.ts';

/**
 * Brings a message's MMS media into the blob store. Idempotent: media already stored is not fetched again,
 * so a replayed job costs nothing. A file that cannot be had for good (or still fails once the job gives up)
 * is marked missing and reported, so the text still lands; a transient failure throws and the job retries.
 */
export class FetchMedia {
  constructor(
    private readonly store: MessageStore,
    private readonly blobs: BlobStore,
    private readonly download: DownloadMedia,
  ) {}

  /**
   * `giveUp`: mark media that is still failing transiently as missing (the job's last media attempt);
   * otherwise such a failure throws, and the job retries later with backoff.
   */
  async forMessage(msg: InboundForRouting, giveUp: boolean): Promise<{ attachments: AttachmentInput[]; missing: MissingMedia[] }> {
    const attachments: AttachmentInput[] = [];
    const missing: MissingMedia[] = [];
    for (const media of msg.media) {
      if (media.state === 'missing') {
        missing.push({ index: media.idx, contentType: media.contentType, reason: media.error ?? 'unavailable' });
        continue;
      }
      let blob = media.blob;
      if (!blob) {
        try {
          const { bytes, contentType } = await this.download(msg.accountSid, media.sourceUrl);
          const type = contentType || media.contentType || 'application/octet-stream';
          const storageKey = `media/${msg.sid}/${media.idx}`;
          await this.blobs.put(storageKey, bytes, type);
          blob = await this.store.saveBlob({
            storageKey,
            filename: attachmentFilename(msg.sid, media.idx, type),
            contentType: type,
            size: bytes.length,
            sha256: createHash('sha256').update(bytes).digest('hex'),
          });
          await this.store.markMediaStored(media.id, blob.id, type);
        } catch (err) {
          if (!(err instanceof MediaDownloadError) || (!err.permanent && !giveUp)) throw err;
          await this.store.markMediaMissing(media.id, err.message);
          missing.push({ index: media.idx, contentType: media.contentType, reason: err.message });
          continue;
        }
      }
      const key = blob.storageKey;
      attachments.push({
        blobId: blob.id, filename: blob.filename, contentType: blob.contentType, size: blob.size, sha256: blob.sha256,
        read: () => this.readAll(key),
      });
    }
    return { attachments, missing };
  }

  private async readAll(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.blobs.get(key)) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks);
  }
}
