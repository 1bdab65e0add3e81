import { invalid } from '../domain/errors.ts';
import { sayTwiml } from '../domain/twiml.ts';
import { SendError, type Messaging } from '../ports/messaging.ts';
import { DeferJob } from '../ports/queue.ts';

/** One call that an automation's `call` action places: whom, from which number, what is read. */
export interface VoiceAlert {
  to: string;
  from: string | null;
  say: string;
  /** When an earlier attempt of this action began, if one did and its outcome was never recorded. */
  attemptedSince: Date | null;
  /** Records that an attempt begins now (before the call, so a crash mid-call is reconciled, not repeated blindly). */
  markAttempt: () => Promise<void>;
}

/**
 * Voice alerts (automations' `call {to, say}`): a Twilio call that reads the text. Placed once: the attempt is
 * recorded before the call, and an attempt whose outcome was lost is first looked for in Twilio's list of
 * calls between the two numbers since it began. Quiet hours do not hold calls: they are for alerts
 * (on-call phones), which an admin points at a number that wants them at any hour.
 */
export class VoiceAlerts {
  constructor(
    private readonly messaging: Messaging,
    private readonly accountFor: (from: string) => Promise<string | null>,
    private readonly defaultNumber: string | null,
  ) {}

  async call(a: VoiceAlert): Promise<string> {
    const from = a.from ?? this.defaultNumber;
    if (!from) throw invalid('no_sender', 'This call has no number to call from: give "from", or set TWILIO_DEFAULT_NUMBER.');
    sayTwiml(a.say); // refuses what Twilio would (empty, too long) before anything is recorded
    const accountSid = await this.accountFor(from);
    if (!accountSid) throw invalid('no_twilio_account', 'No Twilio account is configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.');
    if (a.attemptedSince) {
      const [earlier] = await this.messaging.findCalls({ accountSid, from, to: a.to, since: a.attemptedSince });
      if (earlier) return `call ${earlier.sid} to ${a.to} (${earlier.status}; found after an attempt whose answer was lost)`;
    }
    await a.markAttempt();
    try {
      const placed = await this.messaging.call({ accountSid, from, to: a.to, say: a.say });
      return `call ${placed.sid} to ${a.to}`;
    } catch (err) {
      if (err instanceof SendError && err.kind === 'rejected') throw invalid('call_refused', `Twilio refused the call to ${a.to}${err.code ? ` (${err.code})` : ''}: ${err.message}`);
      if (err instanceof SendError && err.kind === 'throttled') throw new DeferJob(new Date(Date.now() + (err.retryAfterMs ?? 1000)));
      throw err;
    }
  }
}
