import type { Readable } from 'node:stream';

/** Where media bytes live once fetched from Twilio. Keys are chosen by the caller and never reused. */
export interface BlobStore {
  /** Stores bytes under `key`. Writing the same key twice with the same bytes is harmless (replays). */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The bytes as a stream; throws BlobNotFoundError when absent. */
  get(key: string): Promise<Readable>;
  /** Whether `key` is stored. */
  has(key: string): Promise<boolean>;
  close?(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no blob stored under ${key}`);
    this.name = 'BlobNotFoundError';
  }
}
