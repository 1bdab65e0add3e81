import { vi } from 'vitest';
import { twilioSignature } from '../../src/adapters/twilio/emulator/index.ts';
import { ACCOUNT, CUSTOMER, NUMBER, type Harness } from './harness.ts';

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

/** A Message as GET /api/v1/messages shows it (the fields outbound tests read). */
export interface ApiMessage {
  id: number; sid: string | null; direction: string; from: string; to: string; body: string; status: string;
  statusHistory: { status: string; at: string; errorCode: number | null }[]; errorCode: number | null; errorMessage: string | null;
  encoding: string; segments: number; ticketId: number | null;
}

/** A customer texts in, so there is a ticket bound to NUMBER; returns its id. */
export async function ticketFrom(h: Harness, customer = CUSTOMER): Promise<number> {
  await h.text(customer, NUMBER, 'Hello, I need help');
  await h.idle();
  const { body } = await h.api<{ tickets: { id: number }[] }>(`/api/v1/tickets?phone=${encodeURIComponent(customer)}`);
  return body.tickets[0]!.id;
}

export function postReply(h: Harness, ticketId: number, payload: Record<string, unknown>) {
  return h.api<{ message: ApiMessage; error?: { code: string; message: string } }>(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: payload });
}

/** Waits until the message with this id passes `done` (status callbacks come in the background). */
export async function waitForMessage(h: Harness, id: number, done: (m: ApiMessage) => boolean, what: string): Promise<ApiMessage> {
  const message = async () => (await h.api<{ messages: ApiMessage[] }>('/api/v1/messages')).body.messages.find((m) => m.id === id)!;
  // vi.waitFor retries until the callback returns, and on timeout throws its last error (what the message was).
  return vi.waitFor(async () => {
    await h.idle();
    const m = await message();
    if (!done(m)) throw new Error(`message ${id} never ${what}: ${JSON.stringify(m)}`);
    return m;
  }, { timeout: 10_000, interval: 25 });
}
