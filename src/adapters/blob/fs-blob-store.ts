import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobNotFoundError, type BlobStore } from '../../ports/blob-store.ts';

/**
 * Rejects keys that could address anything but a plain, canonical, relative location. Shared by every
 * adapter: on the filesystem `..` escapes rootDir, and in Azure the SDK puts the key into a URL path where
 * `..` segments get normalised away and can reach another container. Forbidding empty and `.` segments as
 * well means one blob has exactly one spelling, so `has` and `get` cannot disagree with `put`.
 */
export function assertSafeBlobKey(key: string): void {
  const reject = (why: string): never => {
    // JSON.stringify so control characters in a hostile key cannot forge log lines.
    throw new Error(`unsafe blob key ${JSON.stringify(key)}: ${why}`);
  };
  if (typeof key !== 'string' || key.length === 0) reject('key is empty');
  if (key.includes('\0')) reject('key contains a NUL byte');
  if (key.includes('\\')) reject('key contains a backslash');
  // Forward slash covers POSIX roots; path.win32 also catches drive letters and UNC roots.
  if (key.startsWith('/') || path.win32.isAbsolute(key)) reject('key is absolute');
  for (const segment of key.split('/')) {
    if (segment === '..') reject('key contains a ".." segment');
    if (segment === '.') reject('key contains a "." segment');
    if (segment === '') reject('key contains an empty segment');
  }
}

/** Suffix of the sidecar file that holds a blob's content type. */
const META_SUFFIX = '.meta.json';

interface BlobMeta {
  contentType: string;
}

/**
 * Blobs as plain files under rootDir, e.g. `<rootDir>/media/<MessageSid>/<index>`, so an operator can copy
 * or inspect them with ordinary tools.
 *
 * The content type lives in a sidecar `<file>.meta.json` rather than a header inside the blob file, to keep
 * blob files byte-identical to what Twilio served. Each file is written to a temp name in the same
 * directory, fsynced and renamed over the final name, so a crash leaves either the old or the new complete
 * file, never a torn one. The sidecar is written before the blob: since `has` looks only at the blob, a
 * blob that exists always has a sidecar, and a crash between the two writes just looks like "not stored
 * yet" to the replay logic, which then refetches.
 *
 * Leftover temp files from a crash are named `.<name>.<random>.tmp`; they are never read and can be deleted
 * at any time. Keys whose segments start with "." or end with the sidecar suffix are refused so that no key
 * can alias a temp file or another blob's sidecar.
 */
export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const file = this.pathFor(key);
    await mkdir(path.dirname(file), { recursive: true });
    const meta: BlobMeta = { contentType };
    await writeAtomically(file + META_SUFFIX, Buffer.from(JSON.stringify(meta)));
    await writeAtomically(file, bytes);
    await syncDirectory(path.dirname(file));
  }

  async get(key: string): Promise<Readable> {
    const handle = await this.openBlob(key);
    // Streaming from the handle we already checked (rather than reopening by path) means a concurrent
    // overwrite cannot turn a successful lookup into a stream error: the old inode stays readable.
    return handle.createReadStream();
  }

  async has(key: string): Promise<boolean> {
    const file = this.pathFor(key);
    try {
      return (await stat(file)).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /**
   * The content type given to `put`. Not part of the BlobStore port (whose `get` yields only bytes); it is
   * here for whatever serves media over HTTP and for the contract tests.
   */
  async contentType(key: string): Promise<string> {
    const file = this.pathFor(key);
    if (!(await this.has(key))) throw new BlobNotFoundError(key);
    const parsed: unknown = JSON.parse(await readFile(file + META_SUFFIX, 'utf8'));
    if (isBlobMeta(parsed)) return parsed.contentType;
    throw new Error(`corrupt blob metadata for ${JSON.stringify(key)}`);
  }

  private async openBlob(key: string): Promise<FileHandle> {
    const file = this.pathFor(key);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new BlobNotFoundError(key);
      throw err;
    }
    // Opening a directory read-only succeeds on Linux, and `media/<sid>` is a directory when
    // `media/<sid>/0` exists, so only a regular file counts as a stored blob.
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new BlobNotFoundError(key);
    }
    return handle;
  }

  private pathFor(key: string): string {
    assertSafeBlobKey(key);
    for (const segment of key.split('/')) {
      if (segment.startsWith('.')) {
        throw new Error(`unsafe blob key ${JSON.stringify(key)}: segment starts with "." (reserved for temp files)`);
      }
    }
    if (key.endsWith(META_SUFFIX)) {
      throw new Error(`unsafe blob key ${JSON.stringify(key)}: ends with "${META_SUFFIX}" (reserved for metadata)`);
    }
    const file = path.join(this.root, ...key.split('/'));
    // Defence in depth: the checks above should make this unreachable.
    const rel = path.relative(this.root, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new Error(`unsafe blob key ${JSON.stringify(key)}: resolves outside the store`);
    }
    return file;
  }
}

async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx' so two concurrent writers can never share a temp file, however unlikely the name collision.
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      // Without this, a power cut after the rename can leave the final name pointing at an empty file
      // on filesystems that delay allocation.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Makes the renames themselves durable. Best effort: some platforms cannot open a directory. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // The data is already in place; only its survival across a power cut is less certain.
  } finally {
    await handle?.close();
  }
}

function isMissing(err: unknown): boolean {
  // ENOTDIR: a parent "directory" in the key is actually a blob file, so this key cannot exist.
  return err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

function isBlobMeta(value: unknown): value is BlobMeta {
  return typeof value === 'object' && value !== null && 'contentType' in value && typeof value.contentType === 'string';
}
