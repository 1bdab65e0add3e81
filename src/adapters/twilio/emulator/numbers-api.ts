import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAuthorized, sendJson, sendTwilioError, sendUnauthorized } from './http-util.ts';
import { rfc2822 } from './messages-api.ts';
import { senderKind, type SenderRegistry } from './senders.ts';

export interface NumbersRouteContext {
  authTokens: ReadonlyMap<string, string>;
  senders: SenderRegistry;
}

const LIST_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers\.json$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const CREATED = new Date('2024-01-01T00:00:00Z');

/**
 * `GET /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json` as Twilio renders it, for what smsdesk reads:
 * `capabilities {voice, sms, mms, fax}` of the account's numbers. The emulator owns every E.164 number for
 * every account: `?PhoneNumber=+1…` answers that number (MMS as `setSender` configured it, capable by
 * default); without the filter, the numbers `setSender` configured. Short codes are not IncomingPhoneNumbers
 * (Twilio lists them under SMS/ShortCodes), so they are never listed here. One page.
 */
export function handleNumbersRoute(ctx: NumbersRouteContext, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const match = LIST_PATH.exec(url.pathname);
  if (!match) return false;
  const accountSid = match[1]!;
  if ((req.method ?? 'GET') !== 'GET') {
    sendTwilioError(res, 405, 20004, 'Method not allowed');
    return true;
  }
  if (!isAuthorized(ctx.authTokens, req.headers.authorization, accountSid)) {
    sendUnauthorized(res);
    return true;
  }
  const wanted = url.searchParams.get('PhoneNumber');
  const numbers = (wanted === null ? ctx.senders.configuredSenders() : [wanted.trim().replace(/^(\d)/, '+$1')])
    .filter((n) => E164.test(n) && senderKind(n) !== 'short-code');
  const pageSize = Number(url.searchParams.get('PageSize') ?? 50);
  const uri = `${url.pathname}?${url.searchParams.toString()}`;
  sendJson(res, 200, {
    incoming_phone_numbers: numbers.slice(0, pageSize).map((n) => numberResource(ctx, accountSid, n)),
    end: Math.min(numbers.length, pageSize) - 1,
    first_page_uri: uri,
    next_page_uri: null,
    page: 0,
    page_size: pageSize,
    previous_page_uri: null,
    start: 0,
    uri,
  });
  return true;
}

/** A stable SID per account and number, as a real number's never changes (also a Call's `phone_number_sid`). */
export function phoneNumberSid(accountSid: string, phoneNumber: string): string {
  return 'PN' + createHash('sha256').update(`${accountSid}:${phoneNumber}`).digest('hex').slice(0, 32);
}

function numberResource(ctx: NumbersRouteContext, accountSid: string, phoneNumber: string): Record<string, unknown> {
  const sid = phoneNumberSid(accountSid, phoneNumber);
  return {
    account_sid: accountSid,
    address_requirements: 'none',
    api_version: '2010-04-01',
    beta: false,
    capabilities: { fax: false, mms: ctx.senders.get(phoneNumber).mms, sms: true, voice: true },
    date_created: rfc2822(CREATED),
    date_updated: rfc2822(CREATED),
    friendly_name: phoneNumber,
    phone_number: phoneNumber,
    origin: 'twilio',
    sid,
    sms_method: 'POST',
    sms_url: '',
    status: 'in-use',
    uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${sid}.json`,
  };
}
