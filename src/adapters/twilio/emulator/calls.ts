import { EventLog } from '../../event-log.ts';
import { postWebhook } from './inbound.ts';
import { rfc2822 } from './messages-api.ts';
import { queueFaults, type CreateFault, type OutboundSettings, type TwilioApiError } from './outbound.ts';
import type { Scheduler } from './scheduler.ts';
import { twilioSignature } from './signature.ts';
import { newSid } from './store.ts';
import { readTwiml, type TwimlError } from './twiml-reader.ts';

/*
 * Twilio's outbound voice calls as documented: the Call resource, https://www.twilio.com/docs/voice/api/call-resource
 * (create, fetch, list; statuses; StatusCallback, StatusCallbackEvent and the callback parameters Timestamp,
 * CallbackSource, SequenceNumber, CallDuration); the request parameters every voice webhook carries,
 * https://www.twilio.com/docs/voice/twiml (CallSid, AccountSid, From, To, CallStatus, ApiVersion, Direction…);
 * the states an API call goes through, https://support.twilio.com/hc/en-us/articles/223132267 (queued, initiated,
 * ringing, in-progress, completed); the error codes, https://www.twilio.com/docs/api/errors/21201 and its
 * neighbours (21205, 21210–21218, 32018).
 */

/** The Call resource's `status` values. The emulator never produces `canceled` (it has no update). */
export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

/** The progress events a StatusCallback can ask for (StatusCallbackEvent). */
export type CallEvent = 'initiated' | 'ringing' | 'answered' | 'completed';
const CALL_EVENTS: ReadonlySet<string> = new Set<CallEvent>(['initiated', 'ringing', 'answered', 'completed']);

/** How calls to a number end instead of being answered and completed. */
export type CallOutcome = 'busy' | 'no-answer' | 'failed';

export interface StoredCall {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  status: CallStatus;
  /** The `Twiml` parameter, when it is what the call runs (a `Url` given too wins, and the TwiML is ignored). */
  twiml: string | null;
  /** The `Url` parameter; the emulator does not fetch it, so such a call speaks nothing it knows of. */
  url: string | null;
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
  /** The events asked for; `completed` alone when the request named none, as Twilio does. */
  statusCallbackEvents: CallEvent[];
  createdAt: Date;
  updatedAt: Date;
  /** When it was dialed (left the account's queue); null while queued ("Empty if the call has not yet been dialed"). */
  startTime: Date | null;
  /** When an answered call ended; null otherwise ("Empty if the call did not complete successfully"). */
  endTime: Date | null;
  answeredAt: Date | null;
  /** Seconds of an answered call, once completed; null for busy, failed, unanswered or ongoing calls. */
  duration: number | null;
  /** Milliseconds it waited queued before being dialed. */
  queueTimeMs: number | null;
  /** The texts of its `<Say>` verbs, once answered; null until then, and for a `Url` call. */
  spoken: string[] | null;
  /** Why Twilio could not run the TwiML (12100, 12200), once answered. */
  twimlError: TwimlError | null;
  history: { status: CallStatus; at: Date }[];
  callbacksSent: number;
}

export interface CallStatusCallbackLog {
  callSid: string;
  event: CallEvent;
  /** The `CallStatus` parameter: `initiated`, `ringing`, `in-progress`, or the final status. */
  callStatus: string;
  sequenceNumber: number;
  url: string;
  method: 'GET' | 'POST';
  params: Record<string, string>;
  /** The callback URL's HTTP status, or null when the request failed (`error`). */
  responseStatus: number | null;
  error: string | null;
}

export interface CallCreateInput {
  accountSid: string;
  to: string | null;
  from: string | null;
  url: string | null;
  twiml: string | null;
  applicationSid: string | null;
  method: string | null;
  statusCallback: string | null;
  statusCallbackMethod: string | null;
  /** Every StatusCallbackEvent value given (the SDK repeats the parameter; each may also hold several, space-separated). */
  statusCallbackEvents: string[];
}

interface AccountQueue {
  pending: { call: StoredCall; outcome: CallOutcome | null; eligibleAt: number }[];
  /** When the last call was due to be dialed: the next is due 1000/cps ms later. */
  lastDial: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

export type CallCreateResult = { ok: true; call: StoredCall } | { ok: false; error: TwilioApiError };

/** "Max 4000 characters" (the `Twiml` parameter); longer is error 32018 (https://www.twilio.com/docs/api/errors/32018). */
export const MAX_TWIML_CHARACTERS = 4000;

const E164 = /^\+[1-9]\d{1,14}$/;
const CLIENT = /^client:[A-Za-z0-9_.@-]+$/;
const SIP = /^sip:[^\s@]+@[^\s@]+$/i;
const FINAL: ReadonlySet<CallStatus> = new Set<CallStatus>(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/**
 * Twilio's magic numbers for calls (https://www.twilio.com/docs/iam/test-credentials#test-calls), honoured for
 * every account: To numbers Twilio refuses to call, by the error it answers.
 */
const MAGIC_TO: Readonly<Record<string, { code: number; message: (to: string) => string }>> = {
  '+15005550001': { code: 21217, message: (to) => `Phone number ${to} does not appear to be valid.` },
  '+15005550002': { code: 21214, message: (to) => `'To' phone number ${to} cannot be reached.` },
  '+15005550003': { code: 21215, message: (to) => `Account not authorized to call ${to}. Perhaps you need to enable some international permissions.` },
  '+15005550004': { code: 21216, message: (to) => `Call to ${to} blocked by the Twilio blocklist.` },
};
/** The magic From that is "invalid to call from" (21212). */
const MAGIC_INVALID_FROM = '+15005550001';

/**
 * Calls: validation as strict as Twilio's, each account's calls started at its calls-per-second rate, status
 * progression queued → (initiated) → ringing → in-progress → completed, or busy / no-answer / failed as
 * `setOutcome` says for the number, and signed status callbacks for the events asked for, one after another.
 * The TwiML is read when the call is answered, as Twilio runs it then.
 */
export class CallEngine {
  readonly callbackLog = new EventLog<CallStatusCallbackLog>(
    'call status callbacks',
    (e) => `${e.callSid} #${e.sequenceNumber} ${e.event} (${e.callStatus}) → ${e.url}: ${e.responseStatus ?? e.error}`,
  );
  /** Called when a call is created and at each change (dialed, a new status, the TwiML read). */
  onChange: (call: StoredCall) => void = () => undefined;
  /** In creation order, which the list relies on. */
  readonly calls = new Map<string, StoredCall>();
  private readonly outcomes = new Map<string, CallOutcome>();
  private readonly callerIds = new Map<string, ReadonlySet<string>>();
  private readonly faults: CreateFault[] = [];
  /** Per account: the calls waiting to be dialed, in order (Twilio's CPS queue). */
  private readonly queues = new Map<string, AccountQueue>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly authTokens: ReadonlyMap<string, string>,
    private readonly settings: OutboundSettings,
  ) {}

  setOutcome(to: string, outcome: CallOutcome | null): void {
    if (outcome === null) this.outcomes.delete(to);
    else this.outcomes.set(to, outcome);
  }

  /** The numbers the account may call from (its Twilio numbers and verified caller IDs); null: any phone number. */
  setCallerIds(accountSid: string, numbers: readonly string[] | null): void {
    if (numbers === null) this.callerIds.delete(accountSid);
    else this.callerIds.set(accountSid, new Set(numbers));
  }

  failNextCreates(n: number, fault: CreateFault): void {
    queueFaults(this.faults, n, fault);
  }

  takeCreateFault(): CreateFault | undefined {
    return this.faults.shift();
  }

  create(input: CallCreateInput): CallCreateResult {
    const checked = this.validate(input);
    if ('error' in checked) return { ok: false, error: checked.error };
    const now = new Date();
    const call: StoredCall = {
      sid: newSid('CA'),
      accountSid: input.accountSid,
      from: checked.from,
      to: checked.to,
      status: 'queued',
      twiml: input.url === null ? input.twiml : null,
      url: input.url,
      statusCallback: input.statusCallback,
      statusCallbackMethod: checked.statusCallbackMethod,
      statusCallbackEvents: checked.events,
      createdAt: now,
      updatedAt: now,
      startTime: null,
      endTime: null,
      answeredAt: null,
      duration: null,
      queueTimeMs: null,
      spoken: null,
      twimlError: null,
      history: [{ status: 'queued', at: now }],
      callbacksSent: 0,
    };
    this.calls.set(call.sid, call);
    this.onChange(call);
    let queue = this.queues.get(call.accountSid);
    if (!queue) {
      queue = { pending: [], lastDial: undefined, timer: undefined };
      this.queues.set(call.accountSid, queue);
    }
    // The outcome is the number's as the call is placed, like a message's delivery outcome.
    queue.pending.push({ call, outcome: this.outcomes.get(call.to) ?? null, eligibleAt: now.getTime() + this.settings.statusDelayMs });
    this.pump(queue, now.getTime());
    return { ok: true, call };
  }

  /** After a change of `callsPerSecond`: the queues are paced anew. */
  repump(): void {
    for (const queue of this.queues.values()) this.pump(queue);
  }

  /** Dials what is due from one account's queue, in order, no faster than its calls per second. */
  private pump(queue: AccountQueue, at?: number): void {
    this.scheduler.cancel(queue.timer);
    queue.timer = undefined;
    for (;;) {
      const head = queue.pending[0];
      if (!head) return;
      const intervalMs = 1000 / this.settings.callsPerSecond;
      const now = at ?? Date.now();
      const paced = queue.lastDial === undefined ? -Infinity : queue.lastDial + intervalMs;
      const due = Math.max(head.eligibleAt, paced);
      if (now < due) {
        queue.timer = this.scheduler.after(Math.ceil(due - now), () => this.pump(queue));
        return;
      }
      queue.pending.shift();
      // A dial a timer ran a little late keeps the schedule; one after an idle spell starts it afresh.
      queue.lastDial = due === paced && now - due < intervalMs ? due : now;
      this.dial(head.call, head.outcome, now);
    }
  }

  private validate(input: CallCreateInput): { to: string; from: string; statusCallbackMethod: 'GET' | 'POST'; events: CallEvent[] } | { error: TwilioApiError } {
    const bad = (code: number, message: string): { error: TwilioApiError } => ({ error: { status: 400, code, message } });
    const { to, from } = input;
    if (to === null) return bad(21201, "No 'To' number is specified");
    if (from === null) return bad(21213, "No 'From' number is specified");
    if (input.applicationSid !== null) return bad(21218, `Invalid ApplicationSid: ${input.applicationSid} (the emulator has no Applications)`);
    if (input.url === null && input.twiml === null) {
      // Twilio's wording for a create without instructions.
      return bad(21205, 'Url parameter is required. For more information, see http://www.twilio.com/docs/api/twiml');
    }
    if (input.url !== null && !isAbsoluteHttpUrl(input.url)) return bad(21205, `Url is not a valid URL: ${input.url}`);
    if (input.url === null && input.twiml !== null && input.twiml.length > MAX_TWIML_CHARACTERS) {
      return bad(32018, `Twiml size exceeded maximum allowed value of ${MAX_TWIML_CHARACTERS} characters (got ${input.twiml.length})`);
    }
    const toPhone = E164.test(to);
    if (!toPhone && !CLIENT.test(to) && !SIP.test(to)) return bad(21211, `The 'To' number ${to} is not a valid phone number.`);
    const fromPhone = E164.test(from);
    if (!fromPhone && !CLIENT.test(from)) return bad(21212, `The 'From' number ${from} is not a valid phone number or client identifier.`);
    if (toPhone && !fromPhone) return bad(21212, `The 'From' ${from} is not a phone number: a call to a phone number must come from one.`);
    if (from === MAGIC_INVALID_FROM) return bad(21212, `The 'From' number ${from} is not a valid phone number.`);
    const magic = MAGIC_TO[to];
    if (magic) return bad(magic.code, magic.message(to));
    const callerIds = this.callerIds.get(input.accountSid);
    if (fromPhone && callerIds && !callerIds.has(from)) {
      return bad(21210, `The source phone number provided, ${from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.`);
    }
    if (input.statusCallback !== null && !isAbsoluteHttpUrl(input.statusCallback)) {
      // 21609 is Twilio's "Invalid StatusCallback URL"; which code the Calls API answers is the emulator's reading.
      return bad(21609, `StatusCallback is not a valid URL: ${input.statusCallback}`);
    }
    for (const [name, value] of [['Method', input.method], ['StatusCallbackMethod', input.statusCallbackMethod]] as const) {
      if (value !== null && !/^(GET|POST)$/i.test(value)) return bad(21209, `${name} must be GET or POST, not ${value}`);
    }
    const events: CallEvent[] = [];
    for (const value of input.statusCallbackEvents.flatMap((v) => v.split(/\s+/)).filter((v) => v !== '')) {
      if (!CALL_EVENTS.has(value)) return bad(20001, `Invalid StatusCallbackEvent ${value}: it can be initiated, ringing, answered or completed`);
      if (!events.includes(value as CallEvent)) events.push(value as CallEvent);
    }
    return {
      to,
      from,
      statusCallbackMethod: input.statusCallbackMethod?.toUpperCase() === 'GET' ? 'GET' : 'POST',
      events: events.length > 0 ? events : ['completed'],
    };
  }

  /** Out of the queue: dialed now. */
  private dial(call: StoredCall, outcome: CallOutcome | null, at: number): void {
    const now = new Date(at);
    call.startTime = now;
    call.queueTimeMs = at - call.createdAt.getTime();
    call.updatedAt = now;
    this.onChange(call);
    this.emit(call, 'initiated', 'initiated');
    this.later(() => {
      if (outcome === 'failed' || outcome === 'busy') {
        this.finish(call, outcome);
        return;
      }
      this.setStatus(call, 'ringing');
      this.emit(call, 'ringing', 'ringing');
      this.later(() => {
        if (outcome === 'no-answer') this.finish(call, 'no-answer');
        else this.answer(call);
      });
    });
  }

  private answer(call: StoredCall): void {
    call.answeredAt = new Date();
    if (call.twiml !== null) {
      const reading = readTwiml(call.twiml);
      call.spoken = reading.spoken;
      call.twimlError = reading.error;
    }
    this.setStatus(call, 'in-progress');
    this.emit(call, 'answered', 'in-progress');
    // Twilio hangs up once the TwiML is done (or failed): the call completes.
    this.later(() => this.finish(call, 'completed'));
  }

  private finish(call: StoredCall, status: CallStatus): void {
    if (status === 'completed' && call.answeredAt !== null) {
      const end = new Date();
      call.endTime = end;
      call.duration = Math.ceil((end.getTime() - call.answeredAt.getTime()) / 1000);
    }
    this.setStatus(call, status);
    this.emit(call, 'completed', status);
  }

  private later(fn: () => void): void {
    this.scheduler.after(this.settings.statusDelayMs, fn);
  }

  private setStatus(call: StoredCall, status: CallStatus): void {
    const at = new Date();
    call.status = status;
    call.updatedAt = at;
    call.history.push({ status, at });
    this.onChange(call);
  }

  /** Queues the callback of `event` when the call asked for it; one call's callbacks go out in order. */
  private emit(call: StoredCall, event: CallEvent, callStatus: string): void {
    const url = call.statusCallback;
    if (url === null || !call.statusCallbackEvents.includes(event)) return;
    const token = this.authTokens.get(call.accountSid);
    if (token === undefined) return;
    const sequenceNumber = call.callbacksSent++;
    const params: Record<string, string> = {
      AccountSid: call.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: callStatus,
      Called: call.to,
      Caller: call.from,
      Direction: 'outbound-api',
      From: call.from,
      To: call.to,
      Timestamp: rfc2822(new Date()),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(sequenceNumber),
    };
    if (FINAL.has(callStatus as CallStatus)) {
      params.CallDuration = String(call.duration ?? 0);
      // Billed minutes, rounded up, for an answered call.
      if (call.duration !== null) params.Duration = String(Math.ceil(call.duration / 60));
    }
    const method = call.statusCallbackMethod;
    const previous = this.chains.get(call.sid) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (this.scheduler.closed) return;
      const entry: CallStatusCallbackLog = { callSid: call.sid, event, callStatus, sequenceNumber, url, method, params, responseStatus: null, error: null };
      try {
        entry.responseStatus = method === 'POST' ? (await postWebhook(url, params, token)).status : await getWebhook(url, params, token);
      } catch (err) {
        // Twilio does not retry a failed status callback.
        entry.error = err instanceof Error ? err.message : String(err);
      }
      this.callbackLog.push(entry);
    });
    this.chains.set(call.sid, next);
    if (FINAL.has(callStatus as CallStatus)) void next.then(() => this.chains.delete(call.sid));
  }
}

/** A GET callback: the parameters in the query string, the signature over the whole URL and no body. */
async function getWebhook(url: string, params: Record<string, string>, token: string): Promise<number> {
  // Appended to the URL exactly as configured (re-serializing its query would change what is signed).
  const full = `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`;
  const response = await fetch(full, {
    headers: { 'User-Agent': 'TwilioProxy/1.1', 'X-Twilio-Signature': twilioSignature(token, full, {}) },
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** An absolute http(s) URL with a host; Twilio also refuses underscores in host names ("URLs must contain a valid hostname"). */
function isAbsoluteHttpUrl(value: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return false;
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '' && !parsed.hostname.includes('_');
}
