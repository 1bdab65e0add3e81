import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerCreate, FORM_LIMIT_BYTES, formValue } from './create-request.ts';
import type { Hold } from '../../event-log.ts';
import { isAuthorized, readForm, sendJson, sendTwilioError, sendTwilioNotFound, sendUnauthorized } from './http-util.ts';
import { inDateRanges, listPage, PAGING_ERROR, readDateFilters, readPaging } from './listing.ts';
import { mediaPath } from './media.ts';
import type { OutboundEngine, TwilioApiError } from './outbound.ts';
import type { Scheduler } from './scheduler.ts';
import type { EmulatorStore, MessageStatus, StoredMessage } from './store.ts';

export interface MessagesRouteContext {
  store: EmulatorStore;
  /** Account SID → auth token. */
  authTokens: ReadonlyMap<string, string>;
  engine: OutboundEngine;
  scheduler: Scheduler;
  /** Create requests being handled right now, for `maxConcurrentRequests`. */
  concurrency: { active: number };
  /** While set, create requests wait here (counted as handled) until it is released. */
  hold: () => Hold<CreateRequestLog> | null;
}

/** A create request as a hold sees it. */
export interface CreateRequestLog {
  accountSid: string;
  to: string | null;
  from: string | null;
  body: string | null;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;

/** Twilio's REST dates: RFC 2822 with a numeric zone. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function messageUri(message: StoredMessage): string {
  return `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}.json`;
}

/** The Message resource as the 2010-04-01 API renders it. */
export function messageResource(message: StoredMessage): Record<string, unknown> {
  const numMedia = message.direction === 'inbound' ? message.mediaSids.length : message.mediaUrls.length;
  return {
    account_sid: message.accountSid,
    api_version: '2010-04-01',
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_sent: message.dateSent ? rfc2822(message.dateSent) : null,
    date_updated: rfc2822(message.updatedAt),
    direction: message.direction,
    error_code: message.errorCode,
    error_message: message.errorMessage,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid,
    num_media: String(numMedia),
    num_segments: String(message.numSegments),
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status,
    subresource_uris: { media: `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}/Media.json` },
    to: message.to,
    uri: messageUri(message),
  };
}

/** What `GET /__emulator/messages` and `emulator.messages()` show of a message. */
export interface EmulatorMessageView {
  sid: string;
  accountSid: string;
  direction: 'inbound' | 'outbound-api';
  from: string | null;
  to: string;
  body: string;
  status: MessageStatus;
  messagingServiceSid: string | null;
  numSegments: number;
  /** Outbound: the MediaUrls as given; inbound: the emulator's media URLs. */
  mediaUrls: string[];
  statusCallback: string | null;
  errorCode: number | null;
  errorMessage: string | null;
  /** ISO 8601. */
  dateCreated: string;
  dateSent: string | null;
  statusHistory: { status: MessageStatus; at: string; errorCode: number | null }[];
}

/** All messages, inbound and outbound, oldest first. */
export function messageViews(store: EmulatorStore, apiBaseUrl: string): EmulatorMessageView[] {
  return [...store.messages.values()].map((message) => messageView(store, apiBaseUrl, message));
}

/** One message as it is now (a copy: later changes do not show in it). */
export function messageView(store: EmulatorStore, apiBaseUrl: string, message: StoredMessage): EmulatorMessageView {
  return {
    sid: message.sid,
    accountSid: message.accountSid,
    direction: message.direction,
    from: message.from,
    to: message.to,
    body: message.body,
    status: message.status,
    messagingServiceSid: message.messagingServiceSid,
    numSegments: message.numSegments,
    mediaUrls:
      message.direction === 'inbound'
        ? message.mediaSids.flatMap((sid) => {
            const media = store.media.get(sid);
            return media ? [apiBaseUrl + mediaPath(media)] : [];
          })
        : [...message.mediaUrls],
    statusCallback: message.statusCallback,
    errorCode: message.errorCode,
    errorMessage: message.errorMessage,
    dateCreated: message.createdAt.toISOString(),
    dateSent: message.dateSent?.toISOString() ?? null,
    statusHistory: message.history.map((change) => ({ status: change.status, at: change.at.toISOString(), errorCode: change.errorCode })),
  };
}

/** Answers the Messages routes; false when the URL is not one of them. */
export async function handleMessagesRoute(ctx: MessagesRouteContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const list = MESSAGES_PATH.exec(url.pathname);
  const single = list ? null : MESSAGE_PATH.exec(url.pathname);
  const accountSid = (list ?? single)?.[1];
  if (accountSid === undefined) return false;
  const method = req.method ?? 'GET';
  if (!(method === 'GET' || method === 'POST')) {
    sendTwilioError(res, 405, 20004, 'Method not allowed');
    return true;
  }
  if (!isAuthorized(ctx.authTokens, req.headers.authorization, accountSid)) {
    sendUnauthorized(res);
    return true;
  }
  if (list) {
    if (method === 'POST') await createMessage(ctx, req, res, accountSid);
    else listMessages(ctx, res, url, accountSid);
    return true;
  }
  const message = ctx.store.messages.get(single?.[2] ?? '');
  if (!message || message.accountSid !== accountSid) sendTwilioNotFound(res, url.pathname);
  else if (method === 'POST') await updateMessage(ctx, req, res, message);
  else sendJson(res, 200, messageResource(message));
  return true;
}

function sendApiError(res: ServerResponse, error: TwilioApiError, headers: Record<string, string> = {}): void {
  sendTwilioError(res, error.status, error.code, error.message, headers);
}

async function createMessage(ctx: MessagesRouteContext, req: IncomingMessage, res: ServerResponse, accountSid: string): Promise<void> {
  const { engine, scheduler, concurrency } = ctx;
  await answerCreate({
    req, res, concurrency, scheduler, maxConcurrentRequests: engine.settings.maxConcurrentRequests, requestLatencyMs: engine.settings.requestLatencyMs,
    takeFault: () => engine.takeCreateFault(),
    received: async (form) => ctx.hold()?.enter({ accountSid, to: form.get('To'), from: form.get('From'), body: form.get('Body') }),
  }, (form) => {
    const result = engine.create({
      accountSid,
      to: formValue(form, 'To'),
      from: formValue(form, 'From'),
      messagingServiceSid: formValue(form, 'MessagingServiceSid'),
      body: form.get('Body'),
      mediaUrls: form.getAll('MediaUrl').filter((u) => u !== ''),
      statusCallback: formValue(form, 'StatusCallback'),
    });
    return result.ok ? { ok: true, resource: messageResource(result.message) } : result;
  });
}

async function updateMessage(ctx: MessagesRouteContext, req: IncomingMessage, res: ServerResponse, message: StoredMessage): Promise<void> {
  const form = await readForm(req, FORM_LIMIT_BYTES);
  const status = form.get('Status');
  const body = form.get('Body');
  if (status !== null && status !== 'canceled') {
    // Twilio's update accepts only `canceled`; the error code for another value is the emulator's choice.
    sendTwilioError(res, 400, 20001, `Status can only be set to canceled, not ${status}`);
    return;
  }
  if (body !== null && body !== '') {
    sendTwilioError(res, 400, 20001, 'Body can only be set to the empty string, to redact the message');
    return;
  }
  if (status === 'canceled') {
    const error = ctx.engine.cancel(message);
    if (error) {
      sendApiError(res, error);
      return;
    }
  }
  if (body === '') {
    message.body = '';
    message.updatedAt = new Date();
  }
  sendJson(res, 200, messageResource(message));
}

/**
 * Newest first, with Twilio's paging envelope (listing.ts). `DateSent>` means on or after, `DateSent<` on or
 * before; a message without `date_sent` (not sent yet) matches no DateSent filter.
 */
function listMessages(ctx: MessagesRouteContext, res: ServerResponse, url: URL, accountSid: string): void {
  const query = url.searchParams;
  const filters = new URLSearchParams();
  const to = query.get('To');
  const from = query.get('From');
  if (to !== null) filters.set('To', to);
  if (from !== null) filters.set('From', from);
  const dateSent = readDateFilters(query, 'DateSent', filters);
  if (typeof dateSent === 'string') {
    sendTwilioError(res, 400, 20001, dateSent);
    return;
  }
  const paging = readPaging(query);
  if (!paging) {
    sendTwilioError(res, 400, 20001, PAGING_ERROR);
    return;
  }

  const matching = [...ctx.store.messages.values()]
    .filter(
      (m) =>
        m.accountSid === accountSid &&
        (to === null || m.to === to) &&
        (from === null || m.from === from) &&
        inDateRanges(m.dateSent, dateSent),
    )
    .reverse();
  sendJson(res, 200, listPage({ url, filters, matching, key: 'messages', render: messageResource, ...paging }));
}
