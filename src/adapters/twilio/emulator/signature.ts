import { createHmac } from 'node:crypto';

/**
 * The `X-Twilio-Signature` value Twilio sends with a form-encoded webhook: HMAC-SHA1, keyed with
 * the account's auth token, over the URL exactly as configured (query string included) followed by
 * every POST parameter's name and value, names in case-sensitive (code unit) order; base64.
 *
 * Deliberately written without the twilio SDK: the app validates with the SDK, so signing with it
 * too would let a misunderstanding shared by both sides pass every test.
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const signed = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], url);
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}
