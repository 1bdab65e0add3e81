import { Readable } from 'node:stream';
import { BlobServiceClient, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { BlobNotFoundError, type BlobStore } from '../../ports/blob-store.ts';
import { assertSafeBlobKey } from './fs-blob-store.ts';

export interface AzureBlobStoreOptions {
  /** Account or SAS connection string. Secret: never logged, never put in an error message. */
  connectionString: string;
  container: string;
}

/**
 * Blobs in one Azure Storage container (or Azurite), one block blob per key, with the content type kept as
 * the blob's Content-Type so it is also served correctly by anything reading the container directly.
 */
export class AzureBlobStore implements BlobStore {
  private constructor(private readonly container: ContainerClient) {}

  /** Creating the container here makes a fresh storage account usable without a manual setup step. */
  static async connect(opts: AzureBlobStoreOptions): Promise<AzureBlobStore> {
    // The SDK's own parse errors only describe the malformed part, never echo the string, so they can
    // propagate as they are.
    const service = BlobServiceClient.fromConnectionString(opts.connectionString);
    const container = service.getContainerClient(opts.container);
    try {
      await container.createIfNotExists();
    } catch (err) {
      // Name the account, not service.url: for a SAS connection string the URL carries the signature.
      throw new Error(
        `cannot open Azure blob container ${JSON.stringify(opts.container)} in account ` +
          `${JSON.stringify(service.accountName)}: ${describe(err)}`,
        { cause: err },
      );
    }
    return new AzureBlobStore(container);
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.blob(key).uploadData(bytes, { blobHTTPHeaders: { blobContentType: contentType } });
  }

  async get(key: string): Promise<Readable> {
    const blob = this.blob(key);
    try {
      const response = await blob.download();
      const body = response.readableStreamBody;
      // Only absent in browsers; in Node the SDK always hands back a stream for a successful download.
      if (!body) throw new Error(`Azure returned no body for blob ${JSON.stringify(key)}`);
      // The SDK types the body as a bare NodeJS.ReadableStream; it is a Readable in practice, and wrap()
      // keeps the declared Readable contract honest if that ever changes.
      return body instanceof Readable ? body : new Readable().wrap(body);
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async has(key: string): Promise<boolean> {
    return this.blob(key).exists();
  }

  /** The Content-Type stored with the blob. Not part of the port; see FsBlobStore.contentType. */
  async contentType(key: string): Promise<string | undefined> {
    try {
      return (await this.blob(key).getProperties()).contentType;
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  private blob(key: string): BlockBlobClient {
    // The SDK escapes each segment but leaves ".." intact, and URL normalisation then resolves it, so
    // "../x" would address a blob in a different container.
    assertSafeBlobKey(key);
    return this.container.getBlockBlobClient(key);
  }
}

function isNotFound(err: unknown): boolean {
  // Structural rather than `instanceof RestError`: a second copy of @azure/core-rest-pipeline in the tree
  // would make instanceof silently false and turn every miss into an unexpected error.
  if (typeof err !== 'object' || err === null) return false;
  const status = 'statusCode' in err ? err.statusCode : undefined;
  const code = 'code' in err ? err.code : undefined;
  return status === 404 || code === 'BlobNotFound' || code === 'ContainerNotFound';
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
