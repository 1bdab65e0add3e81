import twilio from 'twilio';
import type { TwilioAccount } from '../../config.ts';

export type SignatureVerdict = 'valid' | 'missing' | 'unknown_account' | 'invalid';

/**
 * Checks X-Twilio-Signature with the official SDK's validator over the URL Twilio was given
 * (PUBLIC_URL + path + query) and the auth token of the AccountSid the request names. Fails closed:
 * anything but a matching signature from a configured account is refused.
 */
export function verifyTwilioSignature(
  accounts: readonly TwilioAccount[],
  accountSid: unknown,
  signature: string | undefined,
  url: string,
  params: Record<string, string>,
): SignatureVerdict {
  if (!signature) return 'missing';
  const account = typeof accountSid === 'string' ? accounts.find((a) => a.sid === accountSid) : undefined;
  if (!account) return 'unknown_account';
  return twilio.validateRequest(account.authToken, signature, url, params) ? 'valid' : 'invalid';
}
