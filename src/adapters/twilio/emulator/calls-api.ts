import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerCreate, formValue } from './create-request.ts';
import type { CallEngine, CallEvent, CallStatus, StoredCall } from './calls.ts';
import { isAuthorized, sendJson, sendTwilioError, sendTwilioNotFound, sendUnauthorized } from './http-util.ts';
import { inDateRanges, listPage, PAGING_ERROR, readDateFilters, readPaging } from './listing.ts';
import { rfc2822 } from './messages-api.ts';
import { phoneNumberSid } from './numbers-api.ts';
import type { OutboundSettings } from './outbound.ts';
import type { Scheduler } from './scheduler.ts';
import type { TwimlError } from './twiml-reader.ts';

/**
 * The Calls API of https://www.twilio.com/docs/voice/api/call-resource: `POST …/Calls.json` (create),
 * `GET …/Calls/{Sid}.json` (fetch), `GET …/Calls.json` (list, filtered and paged as the SDK asks). Updating or
 * deleting a call is not emulated (405).
 */
export interface CallsRouteContext {
  engine: CallEngine;
  authTokens: ReadonlyMap<string, string>;
  scheduler: Scheduler;
  settings: OutboundSettings;
  /** Create requests being handled right now, Messages and Calls together: Twilio's limit is the account's. */
  concurrency: { active: number };
}

const CALLS_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const CALL_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;
const CALL_STATUSES: ReadonlySet<string> = new Set<CallStatus>(['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled']);

/** What `emulator.calls()` and `GET /__emulator/calls` show of a call (a copy: later changes do not show in it). */
export interface EmulatorCallView {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  status: CallStatus;
  /** The TwiML the call runs (null when it was given a `Url`, which wins over `Twiml`). */
  twiml: string | null;
  url: string | null;
  /** The texts of its `<Say>` verbs, entities decoded, once answered; null before, and for a `Url` call. */
  spoken: string[] | null;
  /** Why the TwiML could not run (12100 parse failure, 12200 not TwiML), once answered. */
  twimlError: TwimlError | null;
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
  statusCallbackEvents: CallEvent[];
  /** ISO 8601. */
  dateCreated: string;
  startTime: string | null;
  endTime: string | null;
  /** Seconds, for a completed answered call. */
  duration: number | null;
  statusHistory: { status: CallStatus; at: string }[];
}

export function callView(call: StoredCall): EmulatorCallView {
  return {
    sid: call.sid,
    accountSid: call.accountSid,
    from: call.from,
    to: call.to,
    status: call.status,
    twiml: call.twiml,
    url: call.url,
    spoken: call.spoken === null ? null : [...call.spoken],
    twimlError: call.twimlError === null ? null : { ...call.twimlError },
    statusCallback: call.statusCallback,
    statusCallbackMethod: call.statusCallbackMethod,
    statusCallbackEvents: [...call.statusCallbackEvents],
    dateCreated: call.createdAt.toISOString(),
    startTime: call.startTime?.toISOString() ?? null,
    endTime: call.endTime?.toISOString() ?? null,
    duration: call.duration,
    statusHistory: call.history.map((h) => ({ status: h.status, at: h.at.toISOString() })),
  };
}

/** `(415) 555-0100` for a NANP number, as Twilio formats `to_formatted`; anything else as given. */
function formatted(address: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(address);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : address;
}

/** The Call resource as the 2010-04-01 API renders it. */
export function callResource(call: StoredCall): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.sid}`;
  return {
    account_sid: call.accountSid,
    annotation: null,
    answered_by: null,
    api_version: '2010-04-01',
    caller_name: null,
    date_created: rfc2822(call.createdAt),
    date_updated: rfc2822(call.updatedAt),
    direction: 'outbound-api',
    duration: call.duration === null ? null : String(call.duration),
    end_time: call.endTime ? rfc2822(call.endTime) : null,
    forwarded_from: null,
    from: call.from,
    from_formatted: formatted(call.from),
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: call.from.startsWith('+') ? phoneNumberSid(call.accountSid, call.from) : null,
    price: null,
    price_unit: 'USD',
    queue_time: String(call.queueTimeMs ?? 0),
    sid: call.sid,
    start_time: call.startTime ? rfc2822(call.startTime) : null,
    status: call.status,
    subresource_uris: {
      events: `${uri}/Events.json`,
      notifications: `${uri}/Notifications.json`,
      recordings: `${uri}/Recordings.json`,
      payments: `${uri}/Payments.json`,
      streams: `${uri}/Streams.json`,
      transcriptions: `${uri}/Transcriptions.json`,
      user_defined_messages: `${uri}/UserDefinedMessages.json`,
      user_defined_message_subscriptions: `${uri}/UserDefinedMessageSubscriptions.json`,
      siprec: `${uri}/Siprec.json`,
    },
    to: call.to,
    to_formatted: formatted(call.to),
    trunk_sid: null,
    uri: `${uri}.json`,
  };
}

/** Answers the Calls routes; false when the URL is not one of them. */
export async function handleCallsRoute(ctx: CallsRouteContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const list = CALLS_PATH.exec(url.pathname);
  const single = list ? null : CALL_PATH.exec(url.pathname);
  const accountSid = (list ?? single)?.[1];
  if (accountSid === undefined) return false;
  const method = req.method ?? 'GET';
  if (!(method === 'GET' || (method === 'POST' && list))) {
    sendTwilioError(res, 405, 20004, `Method not allowed${single ? ': the emulator does not update or delete calls' : ''}`);
    return true;
  }
  if (!isAuthorized(ctx.authTokens, req.headers.authorization, accountSid)) {
    sendUnauthorized(res);
    return true;
  }
  if (list) {
    if (method === 'POST') await createCall(ctx, req, res, accountSid);
    else listCalls(ctx, res, url, accountSid);
    return true;
  }
  const call = ctx.engine.calls.get(single?.[2] ?? '');
  if (!call || call.accountSid !== accountSid) sendTwilioNotFound(res, url.pathname);
  else sendJson(res, 200, callResource(call));
  return true;
}

async function createCall(ctx: CallsRouteContext, req: IncomingMessage, res: ServerResponse, accountSid: string): Promise<void> {
  const { engine, scheduler, settings, concurrency } = ctx;
  await answerCreate({
    req, res, concurrency, scheduler, maxConcurrentRequests: settings.maxConcurrentRequests, requestLatencyMs: settings.requestLatencyMs,
    takeFault: () => engine.takeCreateFault(),
  }, (form) => {
    const result = engine.create({
      accountSid,
      to: formValue(form, 'To'),
      from: formValue(form, 'From'),
      url: formValue(form, 'Url'),
      twiml: formValue(form, 'Twiml'),
      applicationSid: formValue(form, 'ApplicationSid'),
      method: formValue(form, 'Method'),
      statusCallback: formValue(form, 'StatusCallback'),
      statusCallbackMethod: formValue(form, 'StatusCallbackMethod'),
      statusCallbackEvents: form.getAll('StatusCallbackEvent'),
    });
    return result.ok ? { ok: true, resource: callResource(result.call) } : result;
  });
}

/**
 * Newest first, in Twilio's paging envelope (listing.ts). Filters as the SDK sends them: `To`, `From`, `Status`,
 * `ParentCallSid`, and `StartTime`/`EndTime` with `<` (on or before) and `>` (on or after); a call not dialed yet
 * has no start_time and matches no StartTime filter, one that did not complete no EndTime filter.
 */
function listCalls(ctx: CallsRouteContext, res: ServerResponse, url: URL, accountSid: string): void {
  const query = url.searchParams;
  const filters = new URLSearchParams();
  for (const name of ['To', 'From', 'ParentCallSid', 'Status']) {
    const value = query.get(name);
    if (value !== null) filters.set(name, value);
  }
  const status = filters.get('Status');
  if (status !== null && !CALL_STATUSES.has(status)) {
    sendTwilioError(res, 400, 20001, `Invalid Status ${status}: it can be ${[...CALL_STATUSES].join(', ')}`);
    return;
  }
  const startTime = readDateFilters(query, 'StartTime', filters);
  const endTime = typeof startTime === 'string' ? startTime : readDateFilters(query, 'EndTime', filters);
  if (typeof startTime === 'string' || typeof endTime === 'string') {
    sendTwilioError(res, 400, 20001, typeof startTime === 'string' ? startTime : (endTime as string));
    return;
  }
  const paging = readPaging(query);
  if (!paging) {
    sendTwilioError(res, 400, 20001, PAGING_ERROR);
    return;
  }
  const to = filters.get('To');
  const from = filters.get('From');
  const parent = filters.get('ParentCallSid');
  const matching = [...ctx.engine.calls.values()]
    .filter(
      (c) =>
        c.accountSid === accountSid &&
        (to === null || c.to === to) &&
        (from === null || c.from === from) &&
        // The emulator's calls are all parents (no <Dial>): a ParentCallSid filter matches none.
        parent === null &&
        (status === null || c.status === status) &&
        inDateRanges(c.startTime, startTime) &&
        inDateRanges(c.endTime, endTime),
    )
    .reverse();
  sendJson(res, 200, listPage({ url, filters, matching, key: 'calls', render: callResource, ...paging }));
}
