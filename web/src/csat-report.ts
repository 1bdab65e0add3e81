/**
 * The CSAT report's figures, from the rows of `GET /api/v1/reports/csat` (one per ISO week, agent, Twilio number
 * and group): totals by week, agent, number and group, each average weighted by its rows' numbers of ratings.
 * Pure: no DOM, no fetch.
 */
import type { CsatReportRow } from './types.ts';

export interface CsatTotal {
  /** The week, agent, number or group; null where smsdesk knows none (no agent replied, no group). */
  key: string | null;
  ratings: number;
  /** Weighted by ratings; null with no ratings (a week without any). */
  average: number | null;
}

export interface CsatSummary {
  ratings: number;
  average: number | null;
  /** Every ISO week from the period's start to `now`, oldest first, those without ratings included. */
  weeks: CsatTotal[];
  /** Most ratings first, then by name; the unknown (null) last. */
  byAgent: CsatTotal[];
  byNumber: CsatTotal[];
  byGroup: CsatTotal[];
}

export function summarizeCsat(rows: readonly CsatReportRow[], since: Date, now: Date): CsatSummary {
  const [all] = totals(rows, () => 'all');
  const byWeek = new Map(totals(rows, (r) => r.week).map((t) => [t.key, t]));
  const weekKeys = new Set(weeksBetween(since, now));
  for (const week of byWeek.keys()) if (week !== null) weekKeys.add(week);
  const weeks = Array.from(weekKeys)
    .sort()
    .map((week) => byWeek.get(week) ?? { key: week, ratings: 0, average: null });
  return {
    ratings: all?.ratings ?? 0,
    average: all?.average ?? null,
    weeks,
    byAgent: ranked(totals(rows, (r) => r.agent)),
    byNumber: ranked(totals(rows, (r) => r.twilioNumber)),
    byGroup: ranked(totals(rows, (r) => r.group)),
  };
}

/** Rows added up by `keyOf`: counts summed, averages weighted by their counts. */
function totals(rows: readonly CsatReportRow[], keyOf: (r: CsatReportRow) => string | null): CsatTotal[] {
  const sums = new Map<string | null, { ratings: number; points: number }>();
  for (const r of rows) {
    if (!(r.ratings > 0) || !Number.isFinite(r.average)) continue;
    const key = keyOf(r);
    const s = sums.get(key) ?? { ratings: 0, points: 0 };
    s.ratings += r.ratings;
    s.points += r.average * r.ratings;
    sums.set(key, s);
  }
  return Array.from(sums, ([key, s]) => ({ key, ratings: s.ratings, average: s.points / s.ratings }));
}

function ranked(list: CsatTotal[]): CsatTotal[] {
  return list.sort((a, b) => {
    if ((a.key === null) !== (b.key === null)) return a.key === null ? 1 : -1;
    return b.ratings - a.ratings || (a.key ?? '').localeCompare(b.key ?? '');
  });
}

const DAY = 86_400_000;

/** The ISO week (UTC) of an instant, as smsdesk writes it: `2026-W49`. */
export function isoWeek(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  // The week belongs to the year of its Thursday.
  day.setUTCDate(day.getUTCDate() + 4 - (day.getUTCDay() || 7));
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The Monday (00:00 UTC) an ISO week starts on; null for anything that is not `YYYY-Www`. */
export function weekStart(week: string): Date | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!m) return null;
  const year = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > 53) return null;
  // 4 January is always in week 1.
  const jan4 = Date.UTC(year, 0, 4);
  const monday1 = jan4 - ((new Date(jan4).getUTCDay() || 7) - 1) * DAY;
  return new Date(monday1 + (n - 1) * 7 * DAY);
}

/** Every ISO week from the one holding `since` to the one holding `now`, oldest first. */
export function weeksBetween(since: Date, now: Date): string[] {
  const first = weekStart(isoWeek(since));
  if (!first || Number.isNaN(now.getTime()) || now < since) return [];
  const weeks: string[] = [];
  for (let t = first.getTime(); t <= now.getTime() && weeks.length < 120; t += 7 * DAY) weeks.push(isoWeek(new Date(t)));
  return weeks;
}

const averageFmt = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 2 });

/** An average rating as the report writes it: "4.0", "4.25"; "–" when there is none. */
export function formatAverage(average: number | null): string {
  return average === null ? '–' : averageFmt.format(Math.round(average * 100) / 100);
}
