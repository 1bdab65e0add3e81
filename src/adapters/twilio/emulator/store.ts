import { randomBytes } from 'node:crypto';

/**
 * Failures to inject into media fetches on the API origin, to exercise the app's retry logic:
 * real Twilio answers 404 for a short while after the webhook, until the media has propagated.
 * With neither `failFirst` nor `permanent`, nothing fails (this is how faults are cleared).
 */
export interface MediaFaults {
  /** How many of the next fetches fail before one succeeds. */
  failFirst?: number;
  /** The status failing fetches answer; default 404. */
  status?: number;
  /** Every fetch fails, whatever `failFirst` says. */
  permanent?: boolean;
}

/** Twilio's Message statuses (`scheduled`, `read`, ... exist too, but the emulator never produces them). */
export type MessageStatus =
  | 'accepted'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'canceled'
  | 'received';

export interface StatusChange {
  status: MessageStatus;
  at: Date;
  errorCode: number | null;
}

export interface StoredMessage {
  sid: string;
  accountSid: string;
  /** Media the emulator holds bytes for (inbound); outbound MediaUrls are in `mediaUrls`. */
  mediaSids: string[];
  createdAt: Date;
  direction: 'inbound' | 'outbound-api';
  /** Null for an outbound message sent through a Messaging Service until a sender is picked. */
  from: string | null;
  to: string;
  body: string;
  messagingServiceSid: string | null;
  status: MessageStatus;
  history: StatusChange[];
  updatedAt: Date;
  /** Twilio's `date_sent`: when an outbound message left its sender's queue, once it is `sent`. */
  dateSent: Date | null;
  errorCode: number | null;
  errorMessage: string | null;
  numSegments: number;
  /** Outbound only: the MediaUrl parameters as given. */
  mediaUrls: string[];
  statusCallback: string | null;
}

export interface StoredMedia {
  sid: string;
  accountSid: string;
  messageSid: string;
  contentType: string;
  bytes: Buffer;
  createdAt: Date;
}

/** Twilio SIDs: a two-letter type prefix and 32 lowercase hex digits. */
export function newSid(prefix: 'SM' | 'MM' | 'ME' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}

interface ActiveFault {
  remainingFailures: number;
  status: number;
  permanent: boolean;
}

/** Messages and media, kept in memory for the emulator's lifetime. */
export class EmulatorStore {
  /** In creation order (a Map keeps insertion order), which the Messages list relies on. */
  readonly messages = new Map<string, StoredMessage>();
  readonly media = new Map<string, StoredMedia>();
  private readonly faults = new Map<string, ActiveFault>();
  /** CDN token → media SID; a fresh token per redirect, as Twilio signs a fresh CDN URL each time. */
  private readonly cdnTokens = new Map<string, string>();

  addMedia(message: StoredMessage, contentType: string, bytes: Buffer): StoredMedia {
    const media: StoredMedia = {
      sid: newSid('ME'),
      accountSid: message.accountSid,
      messageSid: message.sid,
      contentType,
      // Copied so a caller reusing its buffer cannot change what was "received".
      bytes: Buffer.from(bytes),
      createdAt: new Date(),
    };
    this.media.set(media.sid, media);
    message.mediaSids.push(media.sid);
    return media;
  }

  /** As Twilio's DELETE: the file and its resource are gone, the message lists it no more, CDN links die. */
  deleteMedia(mediaSid: string): void {
    const media = this.media.get(mediaSid);
    if (!media) return;
    this.media.delete(mediaSid);
    this.faults.delete(mediaSid);
    const message = this.messages.get(media.messageSid);
    if (message) message.mediaSids = message.mediaSids.filter((sid) => sid !== mediaSid);
    for (const [token, sid] of this.cdnTokens) if (sid === mediaSid) this.cdnTokens.delete(token);
  }

  setFaults(mediaSid: string, faults: MediaFaults): void {
    const failFirst = faults.failFirst ?? 0;
    const status = faults.status ?? 404;
    if (!Number.isInteger(failFirst) || failFirst < 0) throw new RangeError(`failFirst must be a non-negative integer, got ${failFirst}`);
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`fault status must be 4xx or 5xx, got ${status}`);
    const permanent = faults.permanent ?? false;
    if (failFirst === 0 && !permanent) this.faults.delete(mediaSid);
    else this.faults.set(mediaSid, { remainingFailures: failFirst, status, permanent });
  }

  /** The status this fetch must fail with, if any; counts the failure against `failFirst`. */
  takeFault(mediaSid: string): number | undefined {
    const fault = this.faults.get(mediaSid);
    if (!fault) return undefined;
    if (fault.permanent) return fault.status;
    fault.remainingFailures -= 1;
    if (fault.remainingFailures <= 0) this.faults.delete(mediaSid);
    return fault.status;
  }

  issueCdnToken(mediaSid: string): string {
    const token = randomBytes(24).toString('base64url');
    this.cdnTokens.set(token, mediaSid);
    return token;
  }

  mediaForCdnToken(token: string): StoredMedia | undefined {
    const mediaSid = this.cdnTokens.get(token);
    return mediaSid === undefined ? undefined : this.media.get(mediaSid);
  }
}
