import { twilioSignature } from '../../src/adapters/twilio/emulator/index.ts';
import { ACCOUNT, type Harness } from './harness.ts';

export { CUSTOMER, NUMBER, startHarness, type Harness } from './harness.ts';

/** Posts a status callback signed as Twilio signs it (or with another token, to forge one). */
export async function postSignedStatus(h: Harness, fields: Record<string, string>, token = ACCOUNT.authToken): Promise<{ status: number }> {
  const url = `${h.smsdesk.publicUrl}/webhooks/twilio/status`;
  const params = { AccountSid: ACCOUNT.sid, ApiVersion: '2010-04-01', SmsStatus: fields.MessageStatus ?? '', ...fields };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(token, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  await res.text();
  return { status: res.status };
}
