import { segmentInfo } from '../../../domain/segments.ts';
import { EventLog } from '../../event-log.ts';
import { postWebhook } from './inbound.ts';
import type { Scheduler } from './scheduler.ts';
import type { SenderRegistry } from './senders.ts';
import { newSid, type EmulatorStore, type MessageStatus, type StoredMessage } from './store.ts';

/** Tunables of the outbound Messages and Calls APIs; all can be changed while the emulator runs. */
export interface OutboundSettings {
  /** Delay of each status step (queued → sending → sent → delivered); default 20 ms. */
  statusDelayMs: number;
  /** Send every status callback twice, to test idempotent handling. */
  duplicateCallbacks: boolean;
  /**
   * Hold a message's status callbacks until it reaches a final status, then send them in a random
   * order, to test order-independent handling. Captured per message when it is created.
   */
  shuffleCallbacks: boolean;
  /** Create requests handled at once beyond this answer 429 / 20429; default 100. */
  maxConcurrentRequests: number;
  /** Artificial latency of every create request, so tests can make requests overlap; default 0. */
  requestLatencyMs: number;
  /**
   * Calls each account starts per second; the rest wait `queued` (Twilio: "By default, each account is granted one
   * CPS", https://www.twilio.com/docs/voice/api/call-resource). Default 1. The call steps use `statusDelayMs` too.
   */
  callsPerSecond: number;
}

export const DEFAULT_OUTBOUND_SETTINGS: OutboundSettings = {
  statusDelayMs: 20,
  duplicateCallbacks: false,
  shuffleCallbacks: false,
  maxConcurrentRequests: 100,
  requestLatencyMs: 0,
  callsPerSecond: 1,
};

/** How messages to a number end instead of `delivered`. */
export interface DeliveryOutcome {
  /** `undelivered`: queued → sending → sent → undelivered; `failed`: queued → sending → failed. */
  status: 'undelivered' | 'failed';
  /** Twilio's error code, e.g. 30003 (unreachable handset), 30007 (carrier filtering). */
  errorCode: number;
}

/** One message leaving its sender's queue. */
export interface SentLogEntry {
  sid: string;
  /** The sender whose queue it left: the From number, or the Messaging Service SID without one. */
  from: string;
  to: string;
  /** When it left the queue (status → `sending`); also its `date_sent`. */
  sentAt: Date;
}

export interface StatusCallbackLog {
  messageSid: string;
  status: MessageStatus;
  url: string;
  params: Record<string, string>;
  /** The callback URL's HTTP status, or null when the request failed (`error`). */
  responseStatus: number | null;
  error: string | null;
}

/**
 * What `failNextCreates` injects: an error answer (nothing created), a slow answer (message created), or a
 * connection dropped before anything is created (the client cannot tell whether it was).
 */
export type CreateFault = { status: number; code?: number; message?: string } | { hangMs: number } | { dropConnection: true };

/** Appends `n` copies of `fault` to `faults`, checked (the Messages and the Calls API each keep their own queue). */
export function queueFaults(faults: CreateFault[], n: number, fault: CreateFault): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if ('status' in fault && !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)) {
    throw new RangeError(`fault status must be 4xx or 5xx, got ${fault.status}`);
  }
  for (let i = 0; i < n; i++) faults.push({ ...fault });
}

export interface CreateInput {
  accountSid: string;
  to: string | null;
  from: string | null;
  messagingServiceSid: string | null;
  body: string | null;
  mediaUrls: string[];
  statusCallback: string | null;
}

export interface TwilioApiError {
  status: number;
  code: number;
  message: string;
}

export type CreateResult = { ok: true; message: StoredMessage } | { ok: false; error: TwilioApiError };

/** Statuses a message can be canceled in (Twilio documents queued, scheduled and accepted). */
const CANCELABLE: ReadonlySet<MessageStatus> = new Set<MessageStatus>(['queued', 'accepted']);
const FINAL: ReadonlySet<MessageStatus> = new Set<MessageStatus>(['delivered', 'undelivered', 'failed', 'canceled']);

const MAX_BODY_CHARACTERS = 1600;
const MAX_MEDIA = 10;

/** `error_message` for the delivery errors tests are likely to use; others get null, as Twilio often sends. */
const ERROR_MESSAGES: Record<number, string> = {
  30001: 'Queue overflow',
  30002: 'Account suspended',
  30003: 'Unreachable destination handset',
  30004: 'Message blocked',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
  30008: 'Unknown error',
};

/** Per-message state of the delivery pipeline. */
interface Flight {
  message: StoredMessage;
  /** Whose queue and throughput apply: From, else the Messaging Service's sender, else its SID. */
  senderKey: string;
  /** The From a Messaging Service message gets when it leaves the queue (null: none configured). */
  resolvedFrom: string | null;
  outcome: DeliveryOutcome | null;
  token: string;
  duplicate: boolean;
  shuffle: boolean;
  /** Callbacks held back until the final status when `shuffle`. */
  held: Record<string, string>[];
  /** Callbacks of one message go out one after the other, in order (unless shuffled). */
  chain: Promise<void>;
  /** The accepted → queued step of a Messaging Service message, canceled with it. */
  timer: NodeJS.Timeout | undefined;
}

interface SenderQueue {
  pending: { flight: Flight; eligibleAt: number }[];
  /**
   * When the last dispatch was due: the next is due 1000/mps ms later. A dispatch that a timer ran a little
   * late keeps the schedule (Twilio drains a backlog at the sender's MPS, not at MPS minus timer lag); one
   * after an idle spell starts it afresh, so idle time never turns into a burst.
   */
  lastDue: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Twilio's outbound pipeline: validation, per-sender queues drained at the sender's MPS, status
 * progression and signed status callbacks.
 *
 * Status callbacks are sent for `sending`, `sent` and the final status (`delivered`, `undelivered`,
 * `failed`, `canceled`), not for `accepted`/`queued`, which the create response already reports.
 * Real Twilio documents callbacks from `queued` on but in practice reliably sends `sent` and the
 * final status; an app must handle any subset in any order.
 */
export class OutboundEngine {
  readonly sentLog = new EventLog<SentLogEntry>('sent messages', (e) => `${e.sid} ${e.from} → ${e.to} at ${e.sentAt.toISOString()}`);
  readonly callbackLog = new EventLog<StatusCallbackLog>(
    'status callbacks',
    (e) => `${e.messageSid} ${e.status} → ${e.url}: ${e.responseStatus ?? e.error}`,
  );
  /** Called when an outbound message is created and at each of its status changes. */
  onChange: (message: StoredMessage) => void = () => undefined;
  private readonly flights = new Map<string, Flight>();
  private readonly queues = new Map<string, SenderQueue>();
  private readonly outcomes = new Map<string, DeliveryOutcome>();
  private readonly serviceSenders = new Map<string, string>();
  private readonly faults: CreateFault[] = [];

  constructor(
    private readonly store: EmulatorStore,
    private readonly scheduler: Scheduler,
    private readonly senders: SenderRegistry,
    private readonly authTokens: ReadonlyMap<string, string>,
    readonly settings: OutboundSettings,
  ) {}

  setDeliveryOutcome(to: string, outcome: DeliveryOutcome | null): void {
    if (outcome === null) this.outcomes.delete(to);
    else this.outcomes.set(to, { ...outcome });
  }

  /** The number a Messaging Service sends from when a message gives only MessagingServiceSid. */
  setMessagingServiceSender(serviceSid: string, from: string | null): void {
    if (from === null) this.serviceSenders.delete(serviceSid);
    else this.serviceSenders.set(serviceSid, from);
  }

  failNextCreates(n: number, fault: CreateFault): void {
    queueFaults(this.faults, n, fault);
  }

  takeCreateFault(): CreateFault | undefined {
    return this.faults.shift();
  }

  create(input: CreateInput): CreateResult {
    const senderKey = input.from ?? (input.messagingServiceSid === null ? null : (this.serviceSenders.get(input.messagingServiceSid) ?? input.messagingServiceSid));
    const error = this.validate(input, senderKey);
    if (error) return { ok: false, error };
    const token = this.authTokens.get(input.accountSid);
    if (senderKey === null || input.to === null || token === undefined) throw new Error('validated create input is incomplete');

    const now = new Date();
    const body = input.body ?? '';
    // A Messaging Service message starts `accepted` (sender not yet picked); a From one `queued`.
    const status: MessageStatus = input.from === null ? 'accepted' : 'queued';
    const message: StoredMessage = {
      sid: newSid(input.mediaUrls.length > 0 ? 'MM' : 'SM'),
      accountSid: input.accountSid,
      mediaSids: [],
      createdAt: now,
      direction: 'outbound-api',
      from: input.from,
      to: input.to,
      body,
      messagingServiceSid: input.messagingServiceSid,
      status,
      history: [{ status, at: now, errorCode: null }],
      updatedAt: now,
      dateSent: null,
      errorCode: null,
      errorMessage: null,
      numSegments: segmentInfo(body).segments,
      mediaUrls: [...input.mediaUrls],
      statusCallback: input.statusCallback,
    };
    this.store.messages.set(message.sid, message);
    const flight: Flight = {
      message,
      senderKey,
      resolvedFrom: input.from ?? (input.messagingServiceSid === null ? null : (this.serviceSenders.get(input.messagingServiceSid) ?? null)),
      outcome: this.outcomes.get(input.to) ?? null,
      token,
      duplicate: this.settings.duplicateCallbacks,
      shuffle: this.settings.shuffleCallbacks,
      held: [],
      chain: Promise.resolve(),
      timer: undefined,
    };
    this.flights.set(message.sid, flight);
    this.onChange(message);
    if (status === 'accepted') {
      flight.timer = this.scheduler.after(this.settings.statusDelayMs, () => {
        flight.timer = undefined;
        this.transition(flight, 'queued');
        this.enqueue(flight, Date.now());
      });
    } else {
      // Paced from the creation instant: a process descheduled for a few ms must not dispatch it before the
      // create answer (which reports `queued`) is rendered.
      this.enqueue(flight, now.getTime() + this.settings.statusDelayMs, now.getTime());
    }
    return { ok: true, message };
  }

  /** Twilio's documented behaviour: only a message not yet handed to a carrier can be canceled; 30409 otherwise. */
  cancel(message: StoredMessage): TwilioApiError | undefined {
    const flight = this.flights.get(message.sid);
    if (!flight || !CANCELABLE.has(message.status)) {
      return { status: 400, code: 30409, message: `Message ${message.sid} cannot be canceled: its status is ${message.status}` };
    }
    this.scheduler.cancel(flight.timer);
    flight.timer = undefined;
    const queue = this.queues.get(flight.senderKey);
    if (queue) {
      queue.pending = queue.pending.filter((entry) => entry.flight !== flight);
      this.pump(flight.senderKey);
    }
    this.transition(flight, 'canceled');
    return undefined;
  }

  private validate(input: CreateInput, senderKey: string | null): TwilioApiError | undefined {
    const bad = (code: number, message: string): TwilioApiError => ({ status: 400, code, message });
    if (!input.to) return bad(21604, "A 'To' phone number is required.");
    if (senderKey === null) return bad(21603, "A 'From' phone number is required.");
    const body = input.body ?? '';
    if (body === '' && input.mediaUrls.length === 0) return bad(21602, 'Message body is required.');
    if ([...body].length > MAX_BODY_CHARACTERS) {
      return bad(21617, `The concatenated message body exceeds the ${MAX_BODY_CHARACTERS} character limit.`);
    }
    if (input.mediaUrls.length > MAX_MEDIA) return bad(21623, `The number of media files exceeds the allowed limit of ${MAX_MEDIA}.`);
    if (input.mediaUrls.some((url) => !/^https?:\/\/\S+$/i.test(url))) return bad(21620, 'Invalid media URL(s).');
    // Twilio's test magic numbers, honoured for every account here.
    switch (input.to) {
      case '+15005550001':
        return bad(21211, `The 'To' number ${input.to} is not a valid phone number.`);
      case '+15005550003':
        return bad(21408, `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${input.to}.`);
      case '+15005550004':
        return bad(21610, 'Attempt to send to unsubscribed recipient');
      case '+15005550009':
        return bad(21614, `'To' number ${input.to} is not a valid mobile number`);
    }
    // Channel addresses (whatsapp:+1…) and punctuation as people type it are accepted, like Twilio does.
    const digits = input.to.replace(/^[a-z]+:/i, '').replace(/[\s().-]/g, '');
    if (!/^\+?\d{3,15}$/.test(digits)) return bad(21211, `The 'To' number ${input.to} is not a valid phone number.`);
    // Twilio has no code for "this sender cannot send MMS" as such; 21606 ("The From phone number is
    // not a valid, SMS-capable inbound phone number or short code for your account") is the closest.
    if (input.mediaUrls.length > 0 && !this.senders.get(senderKey).mms) {
      return bad(21606, `The 'From' number ${senderKey} is not MMS-capable: it cannot send media.`);
    }
    return undefined;
  }

  private enqueue(flight: Flight, eligibleAt: number, now = Date.now()): void {
    let queue = this.queues.get(flight.senderKey);
    if (!queue) {
      queue = { pending: [], lastDue: undefined, timer: undefined };
      this.queues.set(flight.senderKey, queue);
    }
    queue.pending.push({ flight, eligibleAt });
    this.pump(flight.senderKey, now);
  }

  /** Dispatches what is due from one sender's queue, FIFO, no faster than its MPS. */
  private pump(senderKey: string, at?: number): void {
    const queue = this.queues.get(senderKey);
    if (!queue) return;
    this.scheduler.cancel(queue.timer);
    queue.timer = undefined;
    for (;;) {
      const head = queue.pending[0];
      if (!head) return;
      const intervalMs = 1000 / this.senders.get(senderKey).mps;
      const now = at ?? Date.now();
      const paced = queue.lastDue === undefined ? -Infinity : queue.lastDue + intervalMs;
      const due = Math.max(head.eligibleAt, paced);
      if (now < due) {
        queue.timer = this.scheduler.after(Math.ceil(due - now), () => this.pump(senderKey));
        return;
      }
      queue.pending.shift();
      queue.lastDue = due === paced && now - due < intervalMs ? due : now;
      this.dispatch(head.flight, now);
    }
  }

  private dispatch(flight: Flight, now: number): void {
    const { message } = flight;
    if (message.from === null) message.from = flight.resolvedFrom;
    const sentAt = new Date(now);
    this.sentLog.push({ sid: message.sid, from: flight.resolvedFrom ?? flight.senderKey, to: message.to, sentAt });
    this.transition(flight, 'sending');
    this.scheduler.after(this.settings.statusDelayMs, () => {
      if (flight.outcome?.status === 'failed') {
        this.transition(flight, 'failed', flight.outcome.errorCode);
        return;
      }
      message.dateSent = sentAt;
      this.transition(flight, 'sent');
      this.scheduler.after(this.settings.statusDelayMs, () => {
        if (flight.outcome?.status === 'undelivered') this.transition(flight, 'undelivered', flight.outcome.errorCode);
        else this.transition(flight, 'delivered');
      });
    });
  }

  private transition(flight: Flight, status: MessageStatus, errorCode: number | null = null): void {
    const { message } = flight;
    const at = new Date();
    message.status = status;
    message.updatedAt = at;
    message.history.push({ status, at, errorCode });
    if (errorCode !== null) {
      message.errorCode = errorCode;
      message.errorMessage = ERROR_MESSAGES[errorCode] ?? null;
    }
    this.onChange(message);
    if (message.statusCallback !== null && status !== 'queued') this.queueCallback(flight, this.callbackParams(message, errorCode));
    if (FINAL.has(status) && flight.held.length > 0) {
      const held = shuffled(flight.held);
      flight.held = [];
      for (const params of held) this.chainCallback(flight, params);
    }
  }

  /** The parameters of Twilio's status callback request. */
  private callbackParams(message: StoredMessage, errorCode: number | null): Record<string, string> {
    const params: Record<string, string> = {
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: message.status,
      SmsStatus: message.status,
      AccountSid: message.accountSid,
      To: message.to,
      ApiVersion: '2010-04-01',
    };
    // Without a configured sender, a Messaging Service message has no From to report.
    if (message.from !== null) params.From = message.from;
    if (message.messagingServiceSid !== null) params.MessagingServiceSid = message.messagingServiceSid;
    if (errorCode !== null) params.ErrorCode = String(errorCode);
    return params;
  }

  private queueCallback(flight: Flight, params: Record<string, string>): void {
    const copies = flight.duplicate ? [params, params] : [params];
    if (flight.shuffle) flight.held.push(...copies);
    else for (const copy of copies) this.chainCallback(flight, copy);
  }

  private chainCallback(flight: Flight, params: Record<string, string>): void {
    const url = flight.message.statusCallback;
    if (url === null) return;
    flight.chain = flight.chain.then(async () => {
      if (this.scheduler.closed) return;
      const entry: StatusCallbackLog = {
        messageSid: flight.message.sid,
        status: params.MessageStatus as MessageStatus,
        url,
        params,
        responseStatus: null,
        error: null,
      };
      try {
        entry.responseStatus = (await postWebhook(url, params, flight.token)).status;
      } catch (err) {
        // Twilio does not retry a failed status callback; the app must cope with a missing one.
        entry.error = err instanceof Error ? err.message : String(err);
      }
      this.callbackLog.push(entry);
    });
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
