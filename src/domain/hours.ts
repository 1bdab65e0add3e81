import { DateTime, IANAZone } from 'luxon';

/**
 * Quiet hours and business hours, in a time zone, with Luxon doing every conversion (never a hand-written
 * offset): a local time that does not exist (the hour skipped when clocks spring forward) becomes the first
 * moment after the gap, and one that exists twice (clocks falling back) is its first occurrence.
 */

/** A daily window in minutes after local midnight; `end` < `start` wraps past midnight (21:00-08:00). */
export interface DailyWindow {
  start: number;
  end: number;
}

/** Weekly opening hours (ISO weekdays, 1 = Monday) and dated closures (YYYY-MM-DD, local). */
export interface BusinessHours {
  days: { weekday: number; start: number; end: number }[];
  holidays: string[];
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Problems are thrown as plain Errors with a message fit to show after the setting's name. */
function minutes(raw: string, what: string): number {
  const m = TIME.exec(raw.trim());
  if (!m) throw new Error(`${what} "${raw}" is not a time: use 24-hour HH:MM, e.g. 08:00`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** `21:00-08:00` → the window; the same start and end is refused (it would mean always or never). */
export function parseDailyWindow(raw: string): DailyWindow {
  const parts = raw.split('-');
  if (parts.length !== 2) throw new Error(`"${raw}" is not a window: use HH:MM-HH:MM, e.g. 21:00-08:00`);
  const window = { start: minutes(parts[0]!, 'start'), end: minutes(parts[1]!, 'end') };
  if (window.start === window.end) throw new Error(`"${raw}" starts and ends at the same time`);
  return window;
}

/**
 * `Mon-Fri 09:00-17:00; Sat 10:00-14:00` → weekly hours (days as ranges or comma lists, windows within one
 * day). Holidays are kept apart (Settings) and checked by {@link isOpen}.
 */
export function parseBusinessHours(raw: string, holidays: string[] = []): BusinessHours {
  const days: BusinessHours['days'] = [];
  for (const part of raw.split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z,\-\s]+?)\s+(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(part);
    if (!m) throw new Error(`"${part}" is not "Days HH:MM-HH:MM", e.g. Mon-Fri 09:00-17:00`);
    const start = minutes(m[2]!, 'opening time');
    const end = minutes(m[3]!, 'closing time');
    if (end <= start) throw new Error(`"${part}" closes before it opens; give each day's hours within the day`);
    for (const weekday of weekdays(m[1]!)) days.push({ weekday, start, end });
  }
  if (!days.length) throw new Error('no opening hours given; e.g. Mon-Fri 09:00-17:00');
  for (const h of holidays) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(h) || !DateTime.fromISO(h).isValid) throw new Error(`holiday "${h}" is not a date (YYYY-MM-DD)`);
  }
  return { days: days.sort((a, b) => a.weekday - b.weekday || a.start - b.start), holidays: [...holidays].sort() };
}

function weekdays(spec: string): number[] {
  const out = new Set<number>();
  for (const item of spec.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const [a, b] = item.split('-').map((s) => s.trim().slice(0, 3));
    const from = DAYS.indexOf(a!);
    const to = b === undefined ? from : DAYS.indexOf(b);
    if (from < 0 || to < 0) throw new Error(`"${item}" is not a day or range of days (Mon, Tue, …, Sun)`);
    for (let d = from; ; d = (d + 1) % 7) {
      out.add(d + 1);
      if (d === to) break;
    }
  }
  return [...out];
}

/** The instant of a local wall-clock time in `zone` (a time skipped by DST moves forward past the gap). */
export function localInstant(date: DateTime, minuteOfDay: number): DateTime {
  return date.startOf('day').set({ hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 });
}

const minuteOf = (t: DateTime) => t.hour * 60 + t.minute;

/**
 * If `at` falls inside the quiet window in `zone`, the instant the window ends (local end time, the same
 * day or the next); otherwise null. A window ending at a time that does not exist that day ends at the
 * first moment after the gap.
 */
export function quietUntil(at: Date, zone: string, quiet: DailyWindow): Date | null {
  const local = DateTime.fromJSDate(at, { zone });
  const m = minuteOf(local);
  const wraps = quiet.end < quiet.start;
  const inside = wraps ? m >= quiet.start || m < quiet.end : m >= quiet.start && m < quiet.end;
  if (!inside) return null;
  // Ends today unless the window wrapped and we are still before midnight.
  const day = wraps && m >= quiet.start ? local.plus({ days: 1 }) : local;
  return localInstant(day, quiet.end).toJSDate();
}

function isHoliday(local: DateTime, hours: BusinessHours): boolean {
  return hours.holidays.includes(local.toISODate()!);
}

/** Whether the business is open at `at` in `zone`. */
export function isOpen(at: Date, zone: string, hours: BusinessHours): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  if (isHoliday(local, hours)) return false;
  const m = minuteOf(local);
  return hours.days.some((d) => d.weekday === local.weekday && m >= d.start && m < d.end);
}

/**
 * The next opening strictly after `at` ("next business morning"): the start of the next window of opening
 * hours, skipping holidays. null when no opening comes within a year (no days, or every one a holiday).
 */
export function nextOpening(at: Date, zone: string, hours: BusinessHours): Date | null {
  const local = DateTime.fromJSDate(at, { zone });
  for (let i = 0; i <= 366; i++) {
    const day = local.plus({ days: i });
    if (isHoliday(day, hours)) continue;
    for (const d of hours.days.filter((x) => x.weekday === day.weekday)) {
      const open = localInstant(day, d.start);
      if (open.toMillis() > at.getTime()) return open.toJSDate();
    }
  }
  return null;
}

/** The same instant as a local wall-clock string in `zone` (for notes and the console), e.g. 2026-12-24 09:00 EST. */
export function localTimeLabel(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('yyyy-LL-dd HH:mm ZZZZ');
}

/** The settings behind quiet hours, business hours and the monthly limit, as an admin writes them. */
export interface ScheduleSettings {
  /** QUIET_HOURS, e.g. 21:00-08:00; null: none. */
  quietHours: string | null;
  /** BUSINESS_HOURS, e.g. Mon-Fri 09:00-17:00; null: none. */
  businessHours: string | null;
  /** Dated closures (YYYY-MM-DD) in the team's time zone. */
  holidays: string[];
  /** DEFAULT_TIMEZONE: the team's zone, and a recipient's when their number does not tell. */
  defaultTimezone: string;
  /** SMS_MONTHLY_LIMIT: segments a calendar month (UTC) per Twilio account; null: no limit. */
  monthlyLimit: number | null;
}

export interface CompiledSchedule extends ScheduleSettings {
  quiet: DailyWindow | null;
  hours: BusinessHours | null;
}

/** Checks and reads the settings; the Error names the setting that is wrong and how to write it. */
export function compileSchedule(s: ScheduleSettings): CompiledSchedule {
  const named = <T>(name: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  };
  if (!isTimeZone(s.defaultTimezone)) {
    throw new Error(`DEFAULT_TIMEZONE: "${s.defaultTimezone}" is not an IANA time zone such as America/New_York or Europe/London`);
  }
  if (s.monthlyLimit !== null && (!Number.isInteger(s.monthlyLimit) || s.monthlyLimit < 1)) {
    throw new Error(`SMS_MONTHLY_LIMIT: must be a whole number of segments above 0, got ${s.monthlyLimit}`);
  }
  return {
    ...s,
    quiet: s.quietHours ? named('QUIET_HOURS', () => parseDailyWindow(s.quietHours!)) : null,
    hours: s.businessHours ? named('BUSINESS_HOURS', () => parseBusinessHours(s.businessHours!, s.holidays)) : null,
  };
}
