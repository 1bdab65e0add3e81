import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { MESSAGE_STATUSES, type Status } from '../../domain/message-status.ts';

/** The parts of Twilio's inbound-message webhook smsdesk uses, validated; everything else is kept raw. */
export interface InboundWebhook {
  messageSid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  media: { url: string; contentType: string | null }[];
  messagingServiceSid: string | null;
}

export const MAX_MEDIA = 10;
/** Twilio caps a message at 1,600 characters; more than a few times that is not a real text. */
export const MAX_BODY_CHARS = 5_000;

// `error` words the message for an absent field (zod's default is "Invalid input: expected string, received undefined").
const sid = (prefix: string) => z.string({ error: 'is required' }).regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `must be ${prefix} followed by 32 hex digits`);
const address = z.string({ error: 'is required' }).trim().min(1, 'is required').max(64, 'is longer than any phone number or sender id (64 characters)');

const schema = z.object({
  MessageSid: sid('(SM|MM)'),
  AccountSid: sid('AC'),
  From: address,
  To: address,
  Body: z.string().max(MAX_BODY_CHARS, `is over ${MAX_BODY_CHARS} characters`).default(''),
  NumMedia: z
    .string()
    .regex(/^\d{1,2}$/, 'must be a whole number from 0 to 10')
    .transform(Number)
    .refine((n) => n <= MAX_MEDIA, `must be at most ${MAX_MEDIA} (Twilio's MMS limit)`)
    .default(0),
  MessagingServiceSid: sid('MG').optional(),
});

/** A malformed Twilio webhook: answered 400 `malformed_webhook` by the HTTP edge, like any invalid input. */
export class WebhookError extends AppError {
  constructor(message: string) {
    super('invalid', 'malformed_webhook', message);
    this.name = 'WebhookError';
  }
}

/**
 * Validates the form fields. Throws WebhookError with a message naming each bad field, e.g.
 * "From is required; NumMedia must be a whole number from 0 to 10".
 */
export function parseInboundWebhook(params: Record<string, string>): InboundWebhook {
  const result = schema.safeParse(params);
  if (!result.success) {
    throw new WebhookError(result.error.issues.map((i) => `${i.path.join('.') || 'form'} ${i.message}`).join('; '));
  }
  const p = result.data;
  const media: InboundWebhook['media'] = [];
  const problems: string[] = [];
  for (let i = 0; i < p.NumMedia; i++) {
    const url = params[`MediaUrl${i}`];
    if (!url) {
      problems.push(`MediaUrl${i} is missing while NumMedia is ${p.NumMedia}`);
      continue;
    }
    if (url.length > 2048 || !/^https?:\/\//.test(url) || !URL.canParse(url)) {
      problems.push(`MediaUrl${i} must be an http(s) URL of at most 2048 characters`);
      continue;
    }
    const type = params[`MediaContentType${i}`];
    if (type !== undefined && (type.length > 255 || !/^[\w.+-]+\/[\w.+-]+(\s*;[^\r\n]*)?$/.test(type))) {
      problems.push(`MediaContentType${i} is not a media type`);
      continue;
    }
    media.push({ url, contentType: type ?? null });
  }
  if (problems.length) throw new WebhookError(problems.join('; '));
  return {
    messageSid: p.MessageSid,
    accountSid: p.AccountSid,
    from: p.From,
    to: p.To,
    body: p.Body,
    media,
    messagingServiceSid: p.MessagingServiceSid ?? null,
  };
}

const statusSchema = z.object({
  MessageSid: sid('(SM|MM)'),
  MessageStatus: z.enum(MESSAGE_STATUSES, { error: `must be one of ${MESSAGE_STATUSES.join(', ')}` }),
  ErrorCode: z.string().regex(/^\d{1,6}$/, 'must be a number').transform(Number).optional(),
});

/** Twilio's status callback for a sent message: which message, its new status and any error code. */
export function parseStatusCallback(params: Record<string, string>): { sid: string; status: Status; errorCode: number | null } {
  const result = statusSchema.safeParse(params);
  if (!result.success) {
    throw new WebhookError(result.error.issues.map((i) => `${i.path.join('.') || 'form'} ${i.message}`).join('; '));
  }
  return { sid: result.data.MessageSid, status: result.data.MessageStatus, errorCode: result.data.ErrorCode ?? null };
}
