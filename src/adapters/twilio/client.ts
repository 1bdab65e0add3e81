import twilio from 'twilio';
import type { TwilioAccount } from '../../config.ts';

export type TwilioClient = ReturnType<typeof twilio>;

/**
 * The official SDK client for one account, aimed at TWILIO_API_BASE_URL (https://api.twilio.com in
 * production, the emulator in sandbox mode and tests) so every REST call takes the SDK's own code path.
 */
export function createTwilioClient(account: TwilioAccount, apiBaseUrl: string, timeoutMs = 15_000): TwilioClient {
  // No SDK retries: smsdesk's queue retries, after reconciling an unclear attempt, so nothing is sent twice.
  const client = twilio(account.sid, account.authToken, { autoRetry: false, timeout: timeoutMs });
  // The 2010-04-01 API (Messages, Media) lives on `client.api`; its base URL is a public property.
  client.api.baseUrl = apiBaseUrl;
  return client;
}
