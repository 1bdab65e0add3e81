/**
 * Times for "Send later": the agent picks a wall-clock time in the browser's own time zone (a datetime-local
 * input); the customer's local time is shown with the browser's time-zone data (Intl), never a hand-written offset.
 */
import { get, withQuery } from './api.ts';
import type { RecipientZone } from './types.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** The browser's IANA time zone, e.g. Europe/Paris. */
export function agentZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A datetime-local input's value (YYYY-MM-DDTHH:MM) for `at` in the browser's time zone. */
export function toLocalInput(at: Date): string {
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/**
 * The instant a datetime-local value names in the browser's time zone, or null when it is not one. A time
 * skipped when clocks spring forward becomes the moment after the gap (the Date constructor's rule).
 */
export function fromLocalInput(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A default for "Send later": the next quarter hour at least an hour from now. */
export function defaultSendLater(now = new Date()): Date {
  const d = new Date(now.getTime() + 60 * 60_000);
  d.setSeconds(0, 0);
  d.setMinutes(Math.ceil(d.getMinutes() / 15) * 15);
  return d;
}

/** Why a chosen time cannot be used (in the past, more than a year ahead), or null when it can. */
export function sendAtProblem(at: Date | null, now = new Date()): string | null {
  if (!at) return 'Choose a date and a time.';
  if (at.getTime() <= now.getTime() + 30_000) return 'This time has passed (or is about to): choose a later one, or send now.';
  const limit = new Date(now);
  limit.setFullYear(limit.getFullYear() + 1);
  if (at.getTime() > limit.getTime()) return 'A text can be scheduled at most a year ahead.';
  return null;
}

function formatter(zone: string | undefined, withDay: boolean): Intl.DateTimeFormat {
  const options: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', timeZone: zone };
  if (withDay) Object.assign(options, { weekday: 'short', month: 'short', day: 'numeric' });
  try {
    return new Intl.DateTimeFormat(undefined, options);
  } catch {
    // A zone this browser does not know: the browser's own zone rather than nothing.
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone: undefined });
  }
}

const dayIn = (at: Date, zone: string | undefined) =>
  formatter(zone, true).formatToParts(at).filter((p) => p.type === 'weekday' || p.type === 'month' || p.type === 'day').map((p) => p.value).join(' ');

/** The agent's own wall-clock time, with the day: "Tue, Dec 24, 09:00". */
export function agentTime(at: Date): string {
  return formatter(undefined, true).format(at);
}

/**
 * The same instant on the customer's clock: "10:00", or "Wed, Dec 25, 03:00" when their day is not the
 * agent's day.
 */
export function recipientTime(at: Date, zone: string): string {
  const sameDay = dayIn(at, zone) === dayIn(at, undefined);
  return formatter(zone, !sameDay).format(at);
}

/** "10:00 for the customer, Europe/London". */
export function forTheCustomer(at: Date, zone: string): string {
  return `${recipientTime(at, zone)} for the customer, ${zone}`;
}

const zones = new Map<string, Promise<RecipientZone>>();

/** A recipient's time zone (their contact's, else their number's, else DEFAULT_TIMEZONE), asked once a page. */
export function recipientZone(phone: string): Promise<RecipientZone> {
  let known = zones.get(phone);
  if (!known) {
    known = get<RecipientZone>(withQuery('/api/v1/contacts/time-zone', { phone }));
    // A failure is not remembered: the next view asks again.
    known.catch(() => zones.delete(phone));
    zones.set(phone, known);
  }
  return known;
}
