import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAuthorized, sendJson, sendTwilioError, sendTwilioNotFound, sendTwilioStatus, sendUnauthorized } from './http-util.ts';
import type { EmulatorStore, StoredMedia, StoredMessage } from './store.ts';

export interface MediaRouteContext {
  store: EmulatorStore;
  /** Account SID → auth token. */
  authTokens: ReadonlyMap<string, string>;
  cdnBaseUrl: string;
}

const MEDIA_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\/Media\/([^/]+)$/;
const MEDIA_LIST_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\/Media\.json$/;
const CDN_PATH = /^\/v1\/media\/([A-Za-z0-9_-]+)$/;

/** The path `MediaUrl{i}` points at (no `.json`: that suffix would ask for metadata, not bytes). */
export function mediaPath(media: StoredMedia): string {
  return `/2010-04-01/Accounts/${media.accountSid}/Messages/${media.messageSid}/Media/${media.sid}`;
}

/** Accepts a bare `ME…` SID or a whole MediaUrl, so tests can pass whichever they hold. */
export function mediaSidOf(mediaSidOrUrl: string): string {
  if (!mediaSidOrUrl.includes('/')) return mediaSidOrUrl;
  const pathname = new URL(mediaSidOrUrl, 'http://emulator.invalid').pathname;
  return pathname.slice(pathname.lastIndexOf('/') + 1);
}

/** Answers the API origin's media routes; false when `pathname` is not one of them. */
export function handleMediaRoute(ctx: MediaRouteContext, req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  const single = MEDIA_PATH.exec(pathname);
  const list = single ? null : MEDIA_LIST_PATH.exec(pathname);
  const match = single ?? list;
  if (!match) return false;
  const method = req.method ?? 'GET';
  if (!(method === 'GET' || (single && method === 'DELETE'))) {
    sendTwilioError(res, 405, 20004, 'Method not allowed');
    return true;
  }
  const message = authorizedMessage(ctx, req, res, match[1] ?? '', match[2] ?? '', pathname);
  if (!message) return true;
  if (!single) {
    sendMediaList(ctx, res, message, pathname);
    return true;
  }
  // `/Media/{Sid}` is the file (a redirect to the CDN); `/Media/{Sid}.json` is the resource that describes it.
  const asJson = (single[3] ?? '').endsWith('.json');
  const mediaSid = (single[3] ?? '').replace(/\.json$/, '');
  const media = ctx.store.media.get(mediaSid);
  if (!media || media.messageSid !== message.sid) sendTwilioNotFound(res, pathname);
  else if (method === 'DELETE') {
    ctx.store.deleteMedia(media.sid);
    res.writeHead(204).end();
  } else if (asJson) sendJson(res, 200, mediaResource(media));
  else redirectToCdn(ctx, res, media, pathname);
  return true;
}

export function handleCdnRequest(store: EmulatorStore, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  const token = CDN_PATH.exec(pathname)?.[1];
  const media = token === undefined ? undefined : store.mediaForCdnToken(token);
  if (!media || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not Found');
    return;
  }
  // The signed URL is the credential here, like a CDN / S3 presigned URL: no auth is checked.
  res.writeHead(200, { 'Content-Type': media.contentType, 'Content-Length': media.bytes.length });
  res.end(req.method === 'HEAD' ? undefined : media.bytes);
}

/**
 * Basic auth must name a known account with its token, match the account in the path, and own
 * the message. Twilio answers 401 to all of these, so a caller cannot probe other accounts' SIDs.
 */
function authorizedMessage(
  ctx: MediaRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  pathAccountSid: string,
  messageSid: string,
  pathname: string,
): StoredMessage | undefined {
  const message = ctx.store.messages.get(messageSid);
  const authenticated =
    isAuthorized(ctx.authTokens, req.headers.authorization, pathAccountSid) && (message === undefined || message.accountSid === pathAccountSid);
  if (!authenticated) {
    sendUnauthorized(res);
    return undefined;
  }
  if (!message) sendTwilioNotFound(res, pathname);
  return message;
}

function redirectToCdn(ctx: MediaRouteContext, res: ServerResponse, media: StoredMedia, pathname: string): void {
  // Faults apply only to requests that would otherwise succeed, so a test's bad-credential
  // request does not use up a planned failure.
  const faultStatus = ctx.store.takeFault(media.sid);
  if (faultStatus !== undefined) {
    sendTwilioStatus(res, faultStatus, pathname);
    return;
  }
  // A different origin on purpose: clients must not carry the account credentials across it.
  const location = `${ctx.cdnBaseUrl}/v1/media/${ctx.store.issueCdnToken(media.sid)}`;
  res.writeHead(307, { Location: location, 'Content-Length': 0 });
  res.end();
}

function sendMediaList(ctx: MediaRouteContext, res: ServerResponse, message: StoredMessage, pathname: string): void {
  const mediaList = message.mediaSids.flatMap((sid) => {
    const media = ctx.store.media.get(sid);
    return media ? [mediaResource(media)] : [];
  });
  sendJson(res, 200, {
    media_list: mediaList,
    start: 0,
    end: Math.max(mediaList.length - 1, 0),
    page: 0,
    page_size: 50,
    uri: `${pathname}?PageSize=50&Page=0`,
    first_page_uri: `${pathname}?PageSize=50&Page=0`,
    next_page_uri: null,
    previous_page_uri: null,
  });
}

function mediaResource(media: StoredMedia): Record<string, string> {
  // Twilio's REST dates are RFC 2822 with a numeric zone.
  const date = media.createdAt.toUTCString().replace('GMT', '+0000');
  return {
    sid: media.sid,
    account_sid: media.accountSid,
    parent_sid: media.messageSid,
    content_type: media.contentType,
    date_created: date,
    date_updated: date,
    uri: `${mediaPath(media)}.json`,
  };
}
