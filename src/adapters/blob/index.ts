import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../../ports/blob-store.ts';
import { AzureBlobStore } from './azure-blob-store.ts';
import { FsBlobStore } from './fs-blob-store.ts';

export { AzureBlobStore, type AzureBlobStoreOptions } from './azure-blob-store.ts';
export { FsBlobStore, assertSafeBlobKey } from './fs-blob-store.ts';

export const DEFAULT_AZURE_CONTAINER = 'smsdesk-media';

export interface BlobStoreConfig {
  dataDir: string;
  /** From AZURE_STORAGE_CONNECTION_STRING; when set (non-empty), media goes to Azure instead of disk. */
  azureConnectionString?: string;
  /** From AZURE_STORAGE_CONTAINER. */
  azureContainer?: string;
}

export async function blobStoreFromConfig(cfg: BlobStoreConfig): Promise<BlobStore> {
  // An empty env var means "unset" here, so `AZURE_STORAGE_CONNECTION_STRING=` in a .env falls back to disk.
  if (cfg.azureConnectionString) {
    return AzureBlobStore.connect({
      connectionString: cfg.azureConnectionString,
      container: cfg.azureContainer || DEFAULT_AZURE_CONTAINER,
    });
  }
  const root = path.join(cfg.dataDir, 'media');
  // Checked eagerly, although put() creates directories itself, so an unwritable DATA_DIR fails at
  // startup rather than on the first inbound MMS.
  await mkdir(root, { recursive: true });
  await access(root, constants.W_OK);
  return new FsBlobStore(root);
}
