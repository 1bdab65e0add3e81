/**
 * Twilio message statuses and how status callbacks move them. Twilio does not promise callbacks arrive in
 * order, and retries can repeat one, so a message's status is folded from callbacks by a rule that only ever
 * moves forward: a late "sent" after "delivered" must not make a delivered message look in flight again.
 */
export const MESSAGE_STATUSES = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'read',
  'canceled',
  'receiving',
  'received',
] as const;

export type Status = (typeof MESSAGE_STATUSES)[number];

export function isStatus(value: string): value is Status {
  return (MESSAGE_STATUSES as readonly string[]).includes(value);
}

/**
 * Outbound messages and inbound ones are separate lifecycles; a status from one never replaces a status from
 * the other (an inbound "received" says nothing about an outbound message's delivery).
 */
type Track = 'outbound' | 'inbound';

/**
 * Position in the lifecycle; a callback may only move a message to a higher rank (subject to the terminal rules
 * in nextStatus). Equal ranks are alternatives, not steps, so one never replaces the other:
 * - accepted (Messaging Service, immediate) and scheduled (Messaging Service, send later) are both initial;
 *   a message is created as one or the other, or as queued without a Messaging Service.
 * - canceled sits beside sending: it is only possible before Twilio starts sending.
 * - delivered, undelivered and failed are the three outcomes.
 * - read (WhatsApp and other channels with read receipts) follows delivered.
 * Steps may be skipped (queued → delivered when the intermediate callbacks are late or never sent).
 */
export const STATUS_RANK: Readonly<Record<Status, number>> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  canceled: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  read: 5,
  receiving: 0,
  received: 1,
};

const TRACK: Readonly<Record<Status, Track>> = {
  accepted: 'outbound',
  scheduled: 'outbound',
  queued: 'outbound',
  sending: 'outbound',
  canceled: 'outbound',
  sent: 'outbound',
  delivered: 'outbound',
  undelivered: 'outbound',
  failed: 'outbound',
  read: 'outbound',
  receiving: 'inbound',
  received: 'inbound',
};

/**
 * Statuses nothing can follow. failed and undelivered are final: Twilio documents them as end states, and
 * while carriers are occasionally reported to send a delivery receipt after a non-delivery one, Twilio does not
 * document an undelivered → delivered transition, so a later "delivered" is ignored rather than guessed at.
 * (Treating it as final also keeps an agent's "not delivered" warning from silently disappearing.)
 * canceled and read are final by definition; received ends the inbound lifecycle.
 * delivered is not here: a "read" receipt may still follow it.
 */
const NO_FURTHER_MOVES: ReadonlySet<Status> = new Set<Status>(['failed', 'undelivered', 'canceled', 'read', 'received']);

/** Cancelling is only possible while a message has not started sending. */
const CANCELABLE_FROM: ReadonlySet<Status> = new Set<Status>(['accepted', 'scheduled', 'queued']);

/**
 * The status after a callback reporting `incoming` for a message currently at `current`: `incoming` when it is
 * a forward move, otherwise `current` (duplicates, late callbacks, moves out of a final status, cross-lifecycle).
 */
export function nextStatus(current: Status, incoming: Status): Status {
  if (incoming === current) return current;
  if (TRACK[incoming] !== TRACK[current]) return current;
  if (NO_FURTHER_MOVES.has(current)) return current;
  if (incoming === 'canceled') return CANCELABLE_FROM.has(current) ? incoming : current;
  return STATUS_RANK[incoming] > STATUS_RANK[current] ? incoming : current;
}

/**
 * The message's fate is settled: nothing more will be sent or retried. Includes delivered even though a read
 * receipt may still refine it, because for SMS delivered is the last word and the UI stops showing "sending…".
 */
export function isTerminal(status: Status): boolean {
  return NO_FURTHER_MOVES.has(status) || status === 'delivered';
}

/** The message did not reach the recipient. canceled is not a failure: someone chose not to send it. */
export function isFailure(status: Status | string): boolean {
  return status === 'failed' || status === 'undelivered';
}

export interface StatusEvent {
  status: Status;
  /** When the callback was received (ISO 8601), as recorded by the caller. */
  at: string;
  /** Twilio's ErrorCode from the callback, null when absent. */
  errorCode: number | null;
}

export interface StatusState {
  status: Status;
  history: StatusEvent[];
}

/**
 * Folds a callback into a message's history. The history is the chain of statuses the message passed through,
 * ordered by rank, each a valid forward move from the one before it; the current status is the last link.
 *
 * A callback joins the chain where its rank puts it, if it is a valid move from the link before that point and
 * the link after that point is a valid move from it; otherwise (a duplicate, a second outcome, a move out of a
 * final status) it is ignored. So a late "sending" arriving after "delivered" is still recorded in its place,
 * without changing the status. For callbacks consistent with one path through the lifecycle, the result does
 * not depend on arrival order or repeats: every permutation yields the same status and the same history.
 * Conflicting callbacks (both "delivered" and "failed") cannot be reconciled; the first one wins. A repeated
 * status keeps its first event (its `at` and error code).
 */
export function applyStatus(history: readonly StatusEvent[], incoming: StatusEvent): StatusState {
  const chain = [...history];
  const last = chain[chain.length - 1];
  if (!last) return { status: incoming.status, history: [incoming] };
  if (chain.some((e) => e.status === incoming.status)) return { status: last.status, history: chain };

  // Insert after every link of equal or lower rank, so equal-rank alternatives are checked against each other.
  let at = chain.findIndex((e) => STATUS_RANK[e.status] > STATUS_RANK[incoming.status]);
  if (at === -1) at = chain.length;
  const before = chain[at - 1];
  const after = chain[at];
  const fitsBefore = !before || nextStatus(before.status, incoming.status) === incoming.status;
  const fitsAfter = !after || nextStatus(incoming.status, after.status) === after.status;
  if (!fitsBefore || !fitsAfter) return { status: last.status, history: chain };

  chain.splice(at, 0, incoming);
  const current = chain[chain.length - 1] ?? incoming;
  return { status: current.status, history: chain };
}
