import type { NewEvent } from '../domain/events.ts';
import type { Status, StatusEvent } from '../domain/message-status.ts';

/** An outbound message as an agent asked for it: who sends what to whom, for which ticket. */
export interface OutboundText {
  accountSid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  ticketId: number | null;
  /**
   * What made this message, when it is not an agent's call to the API: e.g. `freshdesk:note:123`, an agent's
   * reply in the helpdesk that auto-SMS sends. One message per origin, however often the event is replayed.
   */
  originKey?: string | null;
}

/** Who or what asked for a message: an agent in the console, an API token, auto-SMS of a helpdesk reply, an automation. */
export type Origin = 'agent' | 'api' | 'helpdesk' | `automation:${number}`;

/** What sending stores about outbound messages. */
export interface NewOutboundMessage extends OutboundText {
  encoding: string;
  segments: number;
  origin: Origin;
  /** The agent who wrote it (console), if any. */
  createdBy?: number | null;
}

/** Where a message's send job goes (`key`: one conversation's messages leave in order). */
export interface SendJob {
  queue: string;
  key: string;
}

/** A message to send later: its timer job waits in `queue` until `at`. */
export interface Schedule {
  queue: string;
  at: Date;
}

/** What became of a scheduled message when its timer came due. */
export type Release =
  | { outcome: 'released' }
  | { outcome: 'later'; at: Date }
  | { outcome: 'gone'; status: Status };

export interface OutboundForSending extends OutboundText {
  id: number;
  sid: string | null;
  sendState: 'pending' | 'attempting' | 'accepted' | 'rejected';
  attemptStartedAt: Date | null;
  /** The slot booked in the sender's budget for the next attempt, if any. */
  sendSlotAt: Date | null;
  status: Status;
  errorCode: number | null;
  /** Scheduled messages: when it is to go. */
  sendAt: Date | null;
  errorMessage: string | null;
  /** Who asked for it (agent, api, helpdesk, automation:<id>); null for messages older than origins. */
  origin: string | null;
}

/** The SID Twilio gave is already recorded for another message: recording it again can never succeed. */
export class SidTaken extends Error {
  constructor(readonly sid: string) {
    super(`Twilio's message ${sid} is already recorded for another message in smsdesk`);
    this.name = 'SidTaken';
  }
}

/** A job to queue in the same transaction as a status change (the note about a failed delivery). */
export interface JobOnChange {
  queue: string;
  key: string;
  payload: unknown;
}

export interface OutboundStore {
  /**
   * Stores the message and its job in one statement; returns the message id. Without `schedule`: status
   * queued with its send job, counted against the month (`usage`: past its limit, monthly_limit_reached and
   * nothing stored); with it: status scheduled with a timer job due at `schedule.at`.
   */
  /**
   * Stores the message with its job (send now, or its timer), counting it against the month when it goes now;
   * `event` (e.g. ticket.agent_replied), made once the id is known, is recorded in the same transaction.
   */
  create(message: NewOutboundMessage, send: SendJob, schedule?: Schedule, usage?: { limit: number | null }, event?: (id: number) => NewEvent): Promise<number>;
  /**
   * The timer of a scheduled message came due: scheduled → queued with its send job, in one transaction,
   * if it is still scheduled and due (an edit may have moved it later, a cancel may have won). It counts
   * against the month then: past `usage.limit` it throws monthly_limit_reached and stays scheduled.
   */
  releaseDue(m: OutboundForSending, send: SendJob, usage: { limit: number | null }): Promise<Release>;
  /** Changes a scheduled message (and moves its timer); false when it is no longer scheduled. */
  reschedule(id: number, change: { sendAt?: Date; body?: string; encoding?: string; segments?: number }, timerQueue: string): Promise<boolean>;
  /** Cancels a scheduled message (status canceled, timer gone); false when it is no longer scheduled. */
  cancelScheduled(id: number, timerQueue: string): Promise<boolean>;
  /** Quiet hours: moves a scheduled message (and its timer, unless claimed) to `until`, saying why. */
  hold(id: number, until: Date, heldBy: string, timerQueue: string): Promise<boolean>;
  /** A scheduled message that may not go when due (opted out since, ticket gone): failed, with why. */
  failScheduled(id: number, message: string): Promise<boolean>;
  loadForSending(id: number): Promise<OutboundForSending | null>;
  /** Remembers the booked slot, so a deferred job does not book another. */
  bookSlot(id: number, at: Date): Promise<void>;
  /** Recorded before calling Twilio: an attempt whose outcome is never recorded is reconciled later. */
  markAttempting(id: number): Promise<Date>;
  /**
   * Twilio took it: records the SID and hands back the status callbacks that arrived for that SID before it
   * was known (oldest first), for the caller to apply. Throws SidTaken when another message holds the SID.
   */
  markAccepted(id: number, sid: string): Promise<EarlyCallback[]>;
  /** Twilio refused it for good: status failed with Twilio's code and message. */
  markRejected(id: number, code: number | null, message: string): Promise<void>;
  /**
   * smsdesk gave up on a message not yet accepted or rejected (its job was parked): status failed, no
   * Twilio code, `message` saying why, and `job` (the note about it, if any) queued in the same
   * transaction. false: the message had an outcome already, nothing changed.
   */
  markGivenUp(id: number, message: string, job: JobOnChange | null): Promise<boolean>;
  /** Which of these SIDs a message in smsdesk already holds (inbound or outbound). */
  knownSids(sids: readonly string[]): Promise<Set<string>>;
  /**
   * SIDs of status callbacks that named this message in their URL but whose SID no message holds yet,
   * oldest first: what Twilio created for one of its attempts.
   */
  callbackSids(id: number): Promise<string[]>;
  /** Twilio certainly did not take it (429): back to pending with its unused slot, no reconciliation needed. */
  markPending(id: number, slot: Date): Promise<void>;
  /**
   * Applies a status callback to the message with this SID under a row lock (callbacks for one message may
   * arrive concurrently); `compute` folds `event` into the current status and history. null: no message has this SID yet;
   * the callback is then kept until markAccepted records the SID.
   */
  updateStatus(
    sid: string,
    event: StatusEntry,
    compute: (current: { status: Status; history: StatusEntry[] }) => { status: Status; history: StatusEntry[] },
    errorMessage: string | null,
    jobOnChange?: (result: StatusChange) => JobOnChange | null,
    /** The message the callback's URL names, kept with a callback that arrives before its SID is recorded. */
    messageId?: number | null,
  ): Promise<StatusChange | null>;
  /** The account that owns `number` as far as smsdesk has seen (the last text to it), if any. */
  accountForNumber(number: string): Promise<string | null>;
}

export type StatusEntry = StatusEvent;

export interface StatusChange {
  id: number;
  ticketId: number | null;
  from: string;
  to: string;
  body: string;
  before: Status;
  status: Status;
}

export interface EarlyCallback {
  sid: string;
  status: Status;
  errorCode: number | null;
  at: Date;
}
