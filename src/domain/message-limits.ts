import { invalid } from './errors.ts';

/**
 * Checks an outbound message against Twilio's per-message limits before it is sent, so an agent gets a clear
 * reason in the helpdesk instead of a Twilio error code after the fact. Nothing here changes the message:
 * a body that is too long is refused, never truncated, because a cut-off reply can say the opposite of what
 * the agent wrote.
 */

/**
 * Twilio's limit on Body (error 21617). Counted in UTF-16 code units, i.e. JavaScript's `length`: an emoji
 * outside the Basic Multilingual Plane counts as 2. Twilio documents "1,600 characters" without defining a
 * character; UTF-16 units are never fewer than code points, so a body that passes here passes Twilio under
 * either reading, and the worst case is refusing a very long, emoji-heavy body that Twilio might have taken.
 * It is also how segments are counted for UCS-2 (src/domain/segments.ts).
 */
export const MAX_BODY_CHARS = 1600;
/** Twilio's limit on MediaUrl entries per message (error 21623). */
export const MAX_MEDIA = 10;
/** Twilio's limit on the total size of a message's media. */
export const MAX_MEDIA_BYTES = 5 * 1024 * 1024;

export interface OutboundMedia {
  url: string;
  /** Size in bytes when known (from the URL's headers, or the helpdesk's attachment metadata); unknown sizes are not checked. */
  size?: number;
  /** Why the URL cannot be fetched, when its server said so (e.g. "answered 404 Not Found"). */
  unreachable?: string;
  /** Why smsdesk will not fetch the URL at all (e.g. "resolves to a loopback address (127.0.0.1)"). */
  refused?: string;
  /** The URL may use plain http (smsdesk's own attachment link, or a development host on SMSDESK_FETCH_ALLOW). */
  plainHttp?: boolean;
}

export interface OutboundMessage {
  body: string;
  media?: readonly OutboundMedia[];
  /** The sending number, named in the MMS error. */
  from: string;
  /** Whether the sending number can send MMS (Twilio's capabilities.mms for the number). */
  mmsCapable: boolean;
}

export type OutboundProblemCode =
  | 'empty_message'
  | 'body_too_long'
  | 'mms_not_supported'
  | 'too_many_media'
  | 'invalid_media_url'
  | 'media_url_not_allowed'
  | 'media_unreachable'
  | 'media_too_large';

export interface OutboundProblem {
  code: OutboundProblemCode;
  message: string;
}

/** Every problem with the message, in the order an agent should fix them; empty when it can be sent. */
export function outboundProblems(message: OutboundMessage): OutboundProblem[] {
  const { body, from, mmsCapable } = message;
  const media = message.media ?? [];
  const problems: OutboundProblem[] = [];
  const problem = (code: OutboundProblemCode, text: string) => problems.push({ code, message: text });

  // Whitespace alone is not a message: Twilio would send a blank text, which reads as a mistake.
  if (body.trim() === '' && media.length === 0) {
    problem('empty_message', 'The message is empty: write some text or attach a file.');
  }
  if (body.length > MAX_BODY_CHARS) {
    problem(
      'body_too_long',
      `Body is ${formatCount(body.length)} characters; Twilio accepts at most ${formatCount(MAX_BODY_CHARS)} per message. ` +
        'Shorten it or split it into several messages.',
    );
  }
  if (media.length > 0 && !mmsCapable) {
    problem(
      'mms_not_supported',
      `The number ${from} cannot send MMS: send the text without attachments, or send from an MMS-capable number.`,
    );
  }
  if (media.length > MAX_MEDIA) {
    problem(
      'too_many_media',
      `The message has ${media.length} attachments; Twilio accepts at most ${MAX_MEDIA} per message. ` +
        'Send the rest in another message.',
    );
  }
  for (const { url, plainHttp } of media) {
    if (!isAllowedMediaUrl(url, plainHttp === true)) {
      problem(
        'invalid_media_url',
        `Attachment URL "${url}" is not a valid https:// URL: Twilio fetches each attachment from its URL, which must be public and use https.`,
      );
    }
  }
  for (const { url, refused } of media) {
    if (refused) {
      problem(
        'media_url_not_allowed',
        `Attachment URL "${url}" ${refused}: smsdesk fetches attachments only over https from public addresses, as Twilio does. ` +
          'Link a file on a public https:// server (a development server can be listed in SMSDESK_FETCH_ALLOW).',
      );
    }
  }
  for (const { url, unreachable } of media) {
    if (unreachable) {
      problem(
        'media_unreachable',
        `Attachment URL "${url}" ${unreachable}: Twilio could not fetch it either. Check the link, and that it is public (no sign-in needed).`,
      );
    }
  }
  const totalBytes = media.reduce((sum, m) => sum + (isSize(m.size) ? m.size : 0), 0);
  if (totalBytes > MAX_MEDIA_BYTES) {
    problem(
      'media_too_large',
      `Attachments total ${formatMegabytes(totalBytes)}; Twilio accepts at most ${formatMegabytes(MAX_MEDIA_BYTES)} per message. ` +
        'Send fewer or smaller files, or spread them over several messages.',
    );
  }
  return problems;
}

/** Throws `invalid(code, message)` for the first problem; returns when the message can be sent. */
export function checkOutbound(message: OutboundMessage): void {
  const [first] = outboundProblems(message);
  if (first) throw invalid(first.code, first.message);
}

function isAllowedMediaUrl(raw: string, plainHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return url.hostname !== '';
  return url.protocol === 'http:' && plainHttp && url.hostname !== '';
}

function isSize(size: number | undefined): size is number {
  return typeof size === 'number' && Number.isFinite(size) && size > 0;
}

/** "1,742": grouped by hand so the text does not depend on the runtime's ICU data or locale. */
function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Megabytes (MiB, as Twilio's 5 MB is 5 × 1024 × 1024) rounded up to one decimal, so 5 MB + 1 byte is not "5 MB". */
function formatMegabytes(bytes: number): string {
  const mb = Math.ceil((bytes / (1024 * 1024)) * 10) / 10;
  return `${Number.isInteger(mb) ? mb.toFixed(0) : mb.toFixed(1)} MB`;
}
