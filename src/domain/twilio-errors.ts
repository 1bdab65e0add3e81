/**
 * Plain-language explanations of the Twilio error codes an operator actually meets, shown next to a failed
 * message in the helpdesk so the agent knows whether to retry, ask the customer for another number, or pass it
 * to whoever administers the Twilio account. Wording follows Twilio's error dictionary
 * (twilio.com/docs/errors/<code>); the dictionary page stays the reference and is linked from every entry.
 */
export interface TwilioErrorExplanation {
  code: number;
  /** Short name of the problem. */
  title: string;
  /** What happened, for someone who does not know Twilio. */
  explanation: string;
  /** What to do about it. */
  fix: string;
  /** Twilio's page for the code. */
  moreInfo: string;
  /** False when the code is not in the table below and the text is the generic fallback. */
  known: boolean;
}

type Entry = Pick<TwilioErrorExplanation, 'title' | 'explanation' | 'fix'>;

const ERRORS: ReadonlyMap<number, Entry> = new Map<number, Entry>([
  // REST API: the request to Twilio was refused.
  [20003, {
    title: 'Authentication failed',
    explanation: 'Twilio rejected the credentials smsdesk used, so the request was not processed.',
    fix: 'Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or the API key) against the Twilio Console: no extra spaces, live rather than test credentials, the same account or subaccount that owns the number, and a token that has not been rotated. A suspended or closed account also fails this way.',
  }],
  [20429, {
    title: 'Too many requests',
    explanation: 'The account sent more simultaneous API requests than Twilio allows, so this one was refused without being processed.',
    fix: 'Nothing was sent, so it is safe to retry after a short wait. If it keeps happening, send fewer messages at once (queue them) and retry with exponential backoff.',
  }],
  [21211, {
    title: "Invalid 'To' phone number",
    explanation: "The recipient's number is not a valid phone number.",
    fix: 'Check the number and write it in E.164 format: "+", country code, then the number without spaces or punctuation (e.g. +14155550100).',
  }],
  [21408, {
    title: 'Region not enabled',
    explanation: "The account is not permitted to send SMS to the recipient's country.",
    fix: "Enable that country in the Twilio Console under Messaging › Settings › Geo permissions, then resend. Enable only the countries you actually text, to limit fraud exposure.",
  }],
  [21606, {
    title: "'From' number cannot send this message",
    explanation: 'The sending number is not a message-capable Twilio number for this account or this destination.',
    fix: 'Check that the number belongs to this Twilio account (not another account or subaccount), is SMS-capable, is written in E.164 format and has finished porting. A short code can only text numbers in its own country.',
  }],
  [21608, {
    title: 'Trial account: recipient not verified',
    explanation: 'A Twilio trial account (or one without an approved primary customer profile) can only text numbers verified in the Console.',
    fix: 'Verify the recipient under Phone Numbers › Verified Caller IDs, or upgrade the Twilio account to text anyone.',
  }],
  [21610, {
    title: 'Recipient unsubscribed',
    explanation: 'The recipient replied STOP (or another opt-out keyword) to this number, so Twilio blocks messages to them.',
    fix: 'Do not try to work around it. The recipient can opt back in by texting START (or UNSTOP) to the same number; until then, contact them another way.',
  }],
  [21612, {
    title: 'Recipient not reachable from this number',
    explanation: "Twilio cannot deliver SMS to the recipient's number from this sender: the combination of 'To' and 'From' is not supported (for example, a destination or carrier that this kind of number cannot reach).",
    fix: "Check that the recipient's number can receive SMS, and that this sender type (long code, toll-free, short code) can message that country and carrier. Sending from a number local to the recipient often works.",
  }],
  [21614, {
    title: 'Not a mobile number',
    explanation: "The recipient's number is not a mobile number and cannot receive SMS (typically a landline).",
    fix: 'Ask the customer for a mobile number, or reach them another way.',
  }],
  [21617, {
    title: 'Message too long',
    explanation: 'The message body is longer than the 1,600 characters Twilio accepts in one message.',
    fix: 'Shorten the reply or split it into several messages.',
  }],
  [21620, {
    title: 'Invalid media URL',
    explanation: 'An attachment URL in the message is not a valid, publicly reachable URL.',
    fix: 'Make sure every media URL is a complete https:// address that Twilio can fetch without logging in.',
  }],
  [21623, {
    title: 'Too many attachments',
    explanation: 'The message has more attachments than Twilio allows: at most 10 per message.',
    fix: 'Send the attachments across several messages, 10 at most in each.',
  }],
  // Delivery: Twilio accepted the message but it did not reach the handset.
  [30001, {
    title: 'Queue overflow',
    explanation: 'More messages were queued for this sender than it can send in the time allowed, so Twilio dropped this one.',
    fix: 'Resend it. If it recurs, send at a lower rate or add throughput (more numbers in a Messaging Service, a short code).',
  }],
  [30002, {
    title: 'Account suspended',
    explanation: 'The Twilio account was suspended before the message could be sent (unpaid balance, or a policy or fraud review).',
    fix: 'Check Twilio\'s email notices and the billing status in the Console, resolve the suspension with Twilio Support, then resend.',
  }],
  [30003, {
    title: 'Unreachable handset',
    explanation: "The recipient's phone could not be reached: it may be switched off, out of coverage, or unable to receive messages right now.",
    fix: 'Usually temporary: try again later. If it keeps failing, confirm the number with the customer.',
  }],
  [30004, {
    title: 'Message blocked',
    explanation: 'The message was blocked from reaching the recipient: they may have blocked this sender, their plan may not accept such messages, or the carrier blocked it.',
    fix: 'Ask the customer (another way) whether they blocked the number or their carrier restricts texts; resending as is will fail again.',
  }],
  [30005, {
    title: 'Unknown destination',
    explanation: "The recipient's number does not exist or is no longer in service.",
    fix: 'Confirm the number with the customer; do not retry the same number.',
  }],
  [30006, {
    title: 'Landline or unreachable carrier',
    explanation: 'The number is a landline, or its carrier cannot receive SMS from Twilio.',
    fix: 'Ask the customer for a mobile number, or call them instead.',
  }],
  [30007, {
    title: 'Message filtered',
    explanation: 'The carrier blocked the message as spam or otherwise unwanted (carrier filtering).',
    fix: 'Review the content: avoid URL shorteners, all-caps, and anything that reads like marketing without consent. Make sure the sender is registered: A2P 10DLC (brand and campaign) for US long codes, toll-free verification for toll-free numbers.',
  }],
  [30008, {
    title: 'Unknown error',
    explanation: 'The carrier reported a failure without a specific reason.',
    fix: 'Retry once. If it keeps failing for this recipient, give Twilio Support the message SID and time.',
  }],
  [30032, {
    title: 'Toll-free number not verified',
    explanation: 'Messages from unverified toll-free numbers to the US and Canada are blocked.',
    fix: 'Submit toll-free verification for the number in the Twilio Console (Messaging › Regulatory compliance) and wait for approval before sending.',
  }],
  [30034, {
    title: 'Unregistered 10DLC number',
    explanation: 'The message was sent to a US number from a 10-digit long code that is not registered for A2P 10DLC, and US carriers block such traffic.',
    fix: 'Register the business (brand, via a Trust Hub customer profile) and an A2P 10DLC campaign in the Twilio Console under Messaging › Regulatory compliance, add the number to the campaign\'s Messaging Service, and wait for the number\'s registration to complete. Toll-free numbers need toll-free verification instead.',
  }],
]);

export function moreInfoUrl(code: number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

/**
 * The explanation for a Twilio error code. An unknown code still gets a generic explanation pointing at
 * Twilio's page (new codes appear all the time and the page exists for every one); no code means no error.
 */
export function explainTwilioError(code: number | null): TwilioErrorExplanation | null {
  if (code === null) return null;
  const moreInfo = moreInfoUrl(code);
  const entry = ERRORS.get(code);
  if (entry) return { code, ...entry, moreInfo, known: true };
  return {
    code,
    title: `Twilio error ${code}`,
    explanation: `Twilio reported error ${code} for this message.`,
    fix: `See ${moreInfo} for the cause and how to fix it.`,
    moreInfo,
    known: false,
  };
}

/** The codes with a specific explanation, ascending. */
export const EXPLAINED_TWILIO_ERRORS: readonly number[] = [...ERRORS.keys()].sort((a, b) => a - b);
