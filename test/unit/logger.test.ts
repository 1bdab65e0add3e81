import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/smsdesk.ts';

describe('the log', () => {
  it('never carries tokens, cookies, signatures, passwords or API keys', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info({
      req: { headers: {
        authorization: 'Bearer sekrit-bearer', cookie: 'smsdesk_session=sekrit-session', 'x-csrf-token': 'sekrit-csrf',
        'x-twilio-signature': 'sekrit-twilio', 'x-smsdesk-secret': 'sekrit-shared', 'x-zendesk-webhook-signature': 'sekrit-zendesk',
      } },
      res: { headers: { 'set-cookie': 'smsdesk_session=sekrit-set-cookie' } },
      account: { authToken: 'sekrit-auth-token' }, password: 'sekrit-password', freshdesk: { apiKey: 'sekrit-api-key' }, token: 'sekrit-token',
    }, 'a request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/sekrit/);
    expect(lines[0]!.match(/\[redacted\]/g)!.length).toBe(11);
  });
});
