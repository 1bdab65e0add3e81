import { twilioSignature } from './signature.ts';
import type { MediaFaults } from './store.ts';

/** The caller asked for something the emulator cannot do (unknown account, no webhook URL, ...). */
export class EmulatorUsageError extends Error {
  override name = 'EmulatorUsageError';
}

export interface InboundMediaInput {
  contentType: string;
  bytes: Buffer;
  /** Faults for fetches of this media, as with `setMediaFaults`. */
  faults?: MediaFaults;
}

export interface InboundInput {
  /** Defaults to the first configured account. */
  accountSid?: string;
  from: string;
  to: string;
  body?: string;
  media?: InboundMediaInput[];
  /** Reuse an earlier SID to emulate Twilio retrying a webhook; media omitted here are resent. */
  messageSid?: string;
  /** Added to (and overriding) the standard parameters. */
  extraParams?: Record<string, string>;
  /** Overrides the emulator's webhook URL for this message only. */
  webhookUrl?: string;
  /** Sign with this token instead of the account's, to forge a request. */
  signWith?: string;
  omitSignature?: boolean;
}

export interface InboundResult {
  messageSid: string;
  /** The webhook's HTTP status, body and content type. */
  status: number;
  body: string;
  contentType: string | undefined;
  /** What was POSTed, as the app should see it once form-decoded. */
  params: Record<string, string>;
  mediaUrls: string[];
}

export interface InboundParamsInput {
  accountSid: string;
  messageSid: string;
  from: string;
  to: string;
  body: string;
  media: { url: string; contentType: string }[];
  extraParams: Record<string, string>;
}

/**
 * The form parameters of Twilio's "A message comes in" webhook. Optional geography
 * (FromCountry, ToCity, ...) is left out: Twilio sends it only when known, so apps must not rely on it.
 */
export function inboundParams(input: InboundParamsInput): Record<string, string> {
  const params: Record<string, string> = {
    MessageSid: input.messageSid,
    SmsSid: input.messageSid,
    SmsMessageSid: input.messageSid,
    AccountSid: input.accountSid,
    From: input.from,
    To: input.to,
    Body: input.body,
    NumMedia: String(input.media.length),
    NumSegments: '1',
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
  };
  input.media.forEach((media, i) => {
    params[`MediaUrl${i}`] = media.url;
    params[`MediaContentType${i}`] = media.contentType;
  });
  return { ...params, ...input.extraParams };
}

export interface WebhookResponse {
  status: number;
  body: string;
  contentType: string | undefined;
}

/** Twilio gives up on a webhook after 15 seconds. */
const WEBHOOK_TIMEOUT_MS = 15_000;

/** POSTs the form like Twilio does; `signingToken` undefined sends no signature header. */
export async function postWebhook(url: string, params: Record<string, string>, signingToken: string | undefined): Promise<WebhookResponse> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'User-Agent': 'TwilioProxy/1.1',
  };
  if (signingToken !== undefined) headers['X-Twilio-Signature'] = twilioSignature(signingToken, url, params);
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params).toString(),
    // A redirect is reported, not followed, so a misrouted webhook URL is visible in the result.
    redirect: 'manual',
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type') ?? undefined,
  };
}
