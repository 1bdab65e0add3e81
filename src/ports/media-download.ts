/** Fetches one inbound MediaUrl with the account's credentials (adapters/twilio/media-download.ts). */
export type DownloadMedia = (accountSid: string, url: string) => Promise<{ bytes: Buffer; contentType: string }>;

/** A media file that could not be fetched. */
export class MediaDownloadError extends Error {
  constructor(
    message: string,
    /** false: worth another attempt later; true: this file cannot be had. */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MediaDownloadError';
  }
}
