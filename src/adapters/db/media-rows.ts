import type { BlobRecord, StoredMedia } from '../../ports/message-store.ts';

/** A message's media with their blobs as one JSON array, for any query that selects from `messages m`. */
export const MEDIA_JSON = `
  CASE WHEN m.num_media = 0 THEN '[]'::jsonb ELSE
  COALESCE((SELECT jsonb_agg(jsonb_build_object(
      'id', md.id, 'idx', md.idx, 'source_url', md.source_url, 'content_type', md.content_type,
      'state', md.state, 'error', md.error,
      'blob', CASE WHEN b.id IS NULL THEN NULL ELSE jsonb_build_object('id', b.id, 'storage_key', b.storage_key,
              'filename', b.filename, 'content_type', b.content_type, 'size', b.size, 'sha256', b.sha256) END)
      ORDER BY md.idx)
     FROM media md LEFT JOIN blobs b ON b.id = md.blob_id WHERE md.message_id = m.id), '[]') END`;

export interface BlobRow {
  id: number;
  storage_key: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
}

export interface MediaRow {
  id: number;
  idx: number;
  source_url: string;
  content_type: string | null;
  state: StoredMedia['state'];
  error: string | null;
  blob: BlobRow | null;
}

export function toBlob(b: BlobRow): BlobRecord {
  return { id: b.id, storageKey: b.storage_key, filename: b.filename, contentType: b.content_type, size: b.size, sha256: b.sha256 };
}

export function toStoredMedia(m: MediaRow): StoredMedia {
  return {
    id: m.id, idx: m.idx, sourceUrl: m.source_url, contentType: m.content_type, state: m.state, error: m.error,
    blob: m.blob ? toBlob(m.blob) : null,
  };
}
