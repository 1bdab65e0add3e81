import { randomBytes } from 'node:crypto';
import { twilioSignature } from '../../src/adapters/twilio/emulator/index.ts';
import { ACCOUNT } from './harness.ts';

export const newSid = (prefix = 'SM') => prefix + randomBytes(16).toString('hex');

export function smsParams(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const sid = newSid();
  const params: Record<string, string | undefined> = {
    MessageSid: sid, SmsSid: sid, SmsMessageSid: sid, AccountSid: ACCOUNT.sid, From: '+14155550100', To: '+14155550199',
    Body: 'hello', NumMedia: '0', NumSegments: '1', SmsStatus: 'received', ApiVersion: '2010-04-01', ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Posts a form to a URL the way Twilio does, signing it over `signedUrl` (what Twilio was configured with,
 * i.e. PUBLIC_URL + path + query) while sending it to `targetUrl` (where smsdesk actually listens).
 */
export async function postSigned(
  targetUrl: string,
  params: Record<string, string>,
  opts: { signedUrl?: string; token?: string; signature?: string | null } = {},
): Promise<{ status: number; body: string; contentType: string | null }> {
  const signature = opts.signature === undefined
    ? twilioSignature(opts.token ?? ACCOUNT.authToken, opts.signedUrl ?? targetUrl, params)
    : opts.signature;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== null) headers['x-twilio-signature'] = signature;
  const res = await fetch(targetUrl, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}
