import { escapeHtml } from './html.ts';
import { formatPhone } from './phone.ts';

const SUBJECT_WORDS = 8;
const SUBJECT_MAX = 80;

/** Subject from the first words of the text; media-only texts get a subject naming the sender. */
export function subjectFor(body: string, from: string, mediaCount: number): string {
  const words = body.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return mediaCount > 0 ? `MMS from ${formatPhone(from)}` : `SMS from ${formatPhone(from)}`;
  }
  let subject = words.slice(0, SUBJECT_WORDS).join(' ');
  const cut = words.length > SUBJECT_WORDS || subject.length > SUBJECT_MAX;
  if (subject.length > SUBJECT_MAX) subject = subject.slice(0, SUBJECT_MAX - 1).trimEnd();
  return cut ? `${subject}…` : subject;
}

export interface MissingMedia {
  index: number;
  contentType: string | null;
  reason: string;
}

export interface IncomingSmsHtml {
  body: string;
  from: string;
  to: string;
  missing: MissingMedia[];
}

/**
 * The description of a new ticket and the body of each follow-up note: the same table under the heading
 * `INCOMING SMS: via Twilio Webhook`, every value escaped, line breaks in the text kept.
 */
export function incomingSmsHtml(msg: IncomingSmsHtml): string {
  const row = (label: string, valueHtml: string) =>
    `<tr><th style="text-align:left;vertical-align:top">${label}</th><td>${valueHtml}</td></tr>`;
  const bodyHtml = msg.body ? escapeHtml(msg.body).replace(/\r?\n/g, '<br>') : '<i>(no text)</i>';
  const rows = [row('Body', bodyHtml), row('From', escapeHtml(msg.from)), row('To', escapeHtml(msg.to))];
  for (const m of msg.missing) {
    const type = m.contentType ? ` (${escapeHtml(m.contentType)})` : '';
    rows.push(row('Missing attachment', `Attachment ${m.index + 1}${type} could not be fetched from Twilio: ${escapeHtml(m.reason)}`));
  }
  return `<h3>INCOMING SMS: via Twilio Webhook</h3><table>${rows.join('')}</table>`;
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'image/heic': 'heic',
  'video/mp4': 'mp4', 'video/3gpp': '3gp', 'audio/mpeg': 'mp3', 'audio/amr': 'amr', 'audio/ogg': 'ogg',
  'text/vcard': 'vcf', 'text/x-vcard': 'vcf', 'text/plain': 'txt', 'application/pdf': 'pdf',
};

/** A file name for an MMS attachment: the message SID, its position and an extension from the type. */
export function attachmentFilename(messageSid: string, index: number, contentType: string): string {
  const ext = EXTENSIONS[contentType.split(';')[0]!.trim().toLowerCase()] ?? 'bin';
  return `${messageSid}-${index + 1}.${ext}`;
}

/** The ticket note for an SMS smsdesk sent: what, from and to which number, and Twilio's SID. */
export function outgoingSmsHtml(msg: { body: string; from: string; to: string; sid: string }): string {
  const row = (label: string, value: string) => `<tr><th style="text-align:left;vertical-align:top">${label}</th><td>${value}</td></tr>`;
  const body = msg.body ? escapeHtml(msg.body).replace(/\r?\n/g, '<br>') : '<i>(no text)</i>';
  return `<h3>OUTGOING SMS: via Twilio</h3><table>${row('Body', body)}${row('From', escapeHtml(msg.from))}${row('To', escapeHtml(msg.to))}${row('Message SID', escapeHtml(msg.sid))}</table>`;
}

/** The private note for an SMS that could not be delivered: what happened and what to do about it. */
export function deliveryProblemHtml(p: { to: string; status: string; errorCode: number | null; title: string; explanation: string; fix: string; moreInfo: string | null }): string {
  const code = p.errorCode === null ? '' : ` (Twilio error ${p.errorCode})`;
  const link = p.moreInfo ? ` <a href="${escapeHtml(p.moreInfo)}">${escapeHtml(p.moreInfo)}</a>` : '';
  return `<p><b>SMS to ${escapeHtml(p.to)} ${escapeHtml(p.status)}${code}: ${escapeHtml(p.title)}.</b></p>` +
    `<p>${escapeHtml(p.explanation)}</p><p>What to do: ${escapeHtml(p.fix)}${link}</p>`;
}

/** The private note for an agent's helpdesk reply that auto-SMS could not send, and why. */
export function autoSmsRefusedHtml(p: { to: string; reason: string }): string {
  const to = p.to ? ` to ${escapeHtml(p.to)}` : '';
  return `<p><b>This reply was not sent by SMS${to}.</b></p><p>${escapeHtml(p.reason)}</p>`;
}

/** The private note for a scheduled text that was not sent when it came due, and why. */
export function scheduledNotSentHtml(p: { to: string; sendAt: Date; reason: string }): string {
  return `<p><b>The text scheduled for ${escapeHtml(p.sendAt.toISOString())} to ${escapeHtml(p.to)} was not sent.</b></p>` +
    `<p>${escapeHtml(p.reason)}</p>`;
}

/** The private note of a CSAT rating (the customer's text itself lands beside it as their message). */
export function csatNoteHtml(r: { rating: number; comment: string }): string {
  const stars = '★'.repeat(r.rating) + '☆'.repeat(5 - r.rating);
  return `<p><strong>CSAT rating: ${r.rating} of 5</strong> ${stars}</p>${r.comment ? `<p>${escapeHtml(r.comment)}</p>` : ''}`;
}
