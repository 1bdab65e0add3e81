import type { NewEvent } from '../domain/events.ts';

/** A question an automation texted (a CSAT survey, an ask), waiting for the customer's answer on that number. */
export interface AwaitingReply {
  id: number;
  kind: 'survey' | 'ask';
  automationId: number | null;
  runId: number;
  actionIndex: number;
  helpdesk: string;
  ticketId: number;
  customer: string;
  twilioNumber: string;
  /** An ask's expected answers (upper case); a survey's are 1–5. */
  answers: string[];
  expiresAt: Date;
  state: 'waiting' | 'answered' | 'expired';
  answer: string | null;
  answerMessageId: number | null;
}

export interface CsatRating {
  ticketId: number;
  rating: number;
  comment: string;
  at: Date;
}

export interface CsatReportRow {
  /** The calendar week (ISO, UTC) the ratings fall in, e.g. 2026-W49. */
  week: string;
  agent: string | null;
  twilioNumber: string | null;
  group: string | null;
  ratings: number;
  average: number;
}

export interface AwaitingReplies {
  /**
   * Records the question once per run action (a replay returns the first), with its timeout timer (queued in
   * the same transaction; null: none).
   */
  expect(a: Omit<AwaitingReply, 'id' | 'state' | 'answer' | 'answerMessageId'>, timer: { queue: string } | null): Promise<AwaitingReply>;
  /** The questions waiting for this customer on this number at `at`, newest first. */
  waitingFor(customer: string, twilioNumber: string, at: Date): Promise<AwaitingReply[]>;
  get(id: number): Promise<AwaitingReply | null>;
  /**
   * The answer, once: marks the question answered by this message (a replay of the same message answers the
   * same again), stores the CSAT rating if it is one, and records the events, in one transaction. false: the
   * question was answered by another message or expired meanwhile.
   */
  answer(id: number, answer: { messageId: number; text: string; csat?: { rating: number; comment: string } }, events: NewEvent[]): Promise<boolean>;
  /** Ends the wait if nobody answered (the timer), recording the events with it. null: answered meanwhile. */
  expire(id: number, events: (a: AwaitingReply) => NewEvent[]): Promise<AwaitingReply | null>;
  /** The latest rating of each of these tickets. */
  latestCsat(helpdesk: string, ticketIds: number[]): Promise<Map<number, CsatRating>>;
  /** Ratings since `since`, by week, agent, number and group (the CSAT report). */
  csatReport(helpdesk: string, since: Date): Promise<CsatReportRow[]>;
}
