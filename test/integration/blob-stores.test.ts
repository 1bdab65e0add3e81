import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStore } from '../../src/adapters/blob/azure-blob-store.ts';
import { FsBlobStore } from '../../src/adapters/blob/fs-blob-store.ts';
import { blobStoreFromConfig } from '../../src/adapters/blob/index.ts';
import { BlobNotFoundError, type BlobStore } from '../../src/ports/blob-store.ts';
import { startAzurite, type Azurite } from '../helpers/azurite.ts';

/** Both adapters expose the stored content type beyond the port; the contract checks it through this. */
type InspectableStore = BlobStore & { contentType(key: string): Promise<string | undefined> };

const UNSAFE_KEYS = ['../x', '/etc/passwd', 'a/../../b', 'a\\b', '', 'a\0b', 'a//b', './a', 'a/'];

/** Every byte value, so any text decoding or newline translation on the way would show. */
const ALL_BYTES = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

const read = (stream: Readable): Promise<Buffer> => buffer(stream);

/** A fresh key per test: the Azurite container and the temp dir are shared within a suite. */
const freshKey = (): string => `media/${randomUUID()}/0`;

function blobStoreContract(name: string, open: () => InspectableStore): void {
  describe(`${name} (BlobStore contract)`, () => {
    it('round-trips binary bytes and keeps the content type', async () => {
      const store = open();
      const key = freshKey();
      await store.put(key, ALL_BYTES, 'image/jpeg');
      expect((await read(await store.get(key))).equals(ALL_BYTES)).toBe(true);
      expect(await store.contentType(key)).toBe('image/jpeg');
    });

    it('round-trips a 2 MB blob', async () => {
      const store = open();
      const key = `media/2026/11/23/${randomBytes(32).toString('hex')}`;
      const bytes = randomBytes(2 * 1024 * 1024);
      await store.put(key, bytes, 'video/mp4');
      const back = await read(await store.get(key));
      expect(back.length).toBe(bytes.length);
      expect(back.equals(bytes)).toBe(true);
      expect(await store.contentType(key)).toBe('video/mp4');
    });

    it('round-trips an empty blob', async () => {
      const store = open();
      const key = freshKey();
      await store.put(key, Buffer.alloc(0), 'text/plain');
      expect(await store.has(key)).toBe(true);
      expect((await read(await store.get(key))).length).toBe(0);
    });

    it('reports has() false before put and true after', async () => {
      const store = open();
      const key = freshKey();
      expect(await store.has(key)).toBe(false);
      await store.put(key, Buffer.from('x'), 'text/plain');
      expect(await store.has(key)).toBe(true);
    });

    it('throws BlobNotFoundError for a missing key', async () => {
      const store = open();
      const key = freshKey();
      const err: unknown = await store.get(key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlobNotFoundError);
      expect(err).toMatchObject({ key });
      await expect(store.contentType(key)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('treats a key prefix ("directory") as absent', async () => {
      const store = open();
      const sid = `media/${randomUUID()}`;
      await store.put(`${sid}/0`, Buffer.from('x'), 'text/plain');
      expect(await store.has(sid)).toBe(false);
      await expect(store.get(sid)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('overwrites an existing key, bytes and content type', async () => {
      const store = open();
      const key = freshKey();
      await store.put(key, Buffer.from('first version, longer than the second'), 'text/plain');
      await store.put(key, Buffer.from('second'), 'application/octet-stream');
      expect((await read(await store.get(key))).toString()).toBe('second');
      expect(await store.contentType(key)).toBe('application/octet-stream');
    });

    it('rejects keys that are not plain relative paths', async () => {
      const store = open();
      for (const key of UNSAFE_KEYS) {
        await expect(store.put(key, Buffer.from('x'), 'text/plain'), JSON.stringify(key)).rejects.toThrow(/unsafe blob key/);
        await expect(store.get(key), JSON.stringify(key)).rejects.toThrow(/unsafe blob key/);
        await expect(store.has(key), JSON.stringify(key)).rejects.toThrow(/unsafe blob key/);
      }
    });
  });
}

describe('FsBlobStore', () => {
  let parent: string;
  let root: string;
  let store: FsBlobStore;

  beforeAll(async () => {
    // The store lives one level down so escapes into its parent directory would be visible.
    parent = await mkdtemp(path.join(tmpdir(), 'smsdesk-blob-'));
    root = path.join(parent, 'media');
    store = new FsBlobStore(root);
  });

  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  blobStoreContract('FsBlobStore', () => store);

  it('writes nothing outside its root when given escaping keys', async () => {
    for (const key of ['../x', '/etc/passwd', 'a/../../b', 'a\\b', '../media-evil/x']) {
      await expect(store.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow(/unsafe blob key/);
    }
    expect(await readdir(parent)).toEqual(['media']);
  });

  it('refuses keys that would alias temp files or metadata sidecars', async () => {
    await expect(store.put('media/.x.abc.tmp', Buffer.from('x'), 'text/plain')).rejects.toThrow(/reserved/);
    await expect(store.put('media/x.meta.json', Buffer.from('x'), 'text/plain')).rejects.toThrow(/reserved/);
  });

  it('leaves no temp files behind, even with concurrent puts of one key', async () => {
    const key = freshKey();
    const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, i));
    await Promise.all(versions.map((bytes) => store.put(key, bytes, 'image/png')));
    await store.put(freshKey(), Buffer.from('y'), 'text/plain');

    const back = await read(await store.get(key));
    // Whichever rename landed last, the file is one complete version, never a mix.
    expect(versions.some((v) => v.equals(back))).toBe(true);

    const files = await readdir(root, { recursive: true });
    expect(files.filter((f) => path.basename(f).startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('is what blobStoreFromConfig builds without an Azure connection string', async () => {
    const built = await blobStoreFromConfig({ dataDir: parent, azureConnectionString: '' });
    expect(built).toBeInstanceOf(FsBlobStore);
    const key = freshKey();
    await built.put(key, Buffer.from('via config'), 'text/plain');
    expect((await read(await store.get(key))).toString()).toBe('via config');
  });
});

describe('AzureBlobStore on Azurite', () => {
  let azurite: Azurite;
  let store: AzureBlobStore;
  const container = `test-${randomUUID()}`;

  beforeAll(async () => {
    azurite = await startAzurite();
    store = await AzureBlobStore.connect({ connectionString: azurite.connectionString, container });
  });

  afterAll(async () => {
    await azurite?.stop();
  });

  blobStoreContract('AzureBlobStore', () => store);

  it('connect() is idempotent on an existing container and shares its blobs', async () => {
    const key = freshKey();
    await store.put(key, Buffer.from('shared'), 'text/plain');
    const again = await AzureBlobStore.connect({ connectionString: azurite.connectionString, container });
    expect((await read(await again.get(key))).toString()).toBe('shared');
  });

  it('is what blobStoreFromConfig builds with a connection string', async () => {
    const built = await blobStoreFromConfig({
      dataDir: '/nonexistent-should-not-be-touched',
      azureConnectionString: azurite.connectionString,
      azureContainer: container,
    });
    expect(built).toBeInstanceOf(AzureBlobStore);
  });

  it('keeps the account key out of connection errors', async () => {
    // A wrong key: Azurite answers 403 at once, where an unreachable host would sit in SDK retries.
    const wrongKey = randomBytes(64).toString('base64');
    const badString = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`);
    const err: unknown = await AzureBlobStore.connect({ connectionString: badString, container }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const message = err instanceof Error ? err.message : '';
    expect(message).toMatch(/cannot open Azure blob container/);
    expect(message).not.toContain(wrongKey);
    expect(message).not.toContain('AccountKey');
  });
});
