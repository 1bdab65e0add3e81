import { conflict } from './errors.ts';

/** The calendar month (UTC) a send counts in: "2026-12". */
export function usageMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/**
 * What a message counts against the monthly limit: its segments, an MMS one (Twilio bills an MMS as one
 * message whatever its text).
 */
export function billableSegments(m: { segments: number; mediaCount: number }): number {
  return m.mediaCount > 0 ? 1 : Math.max(1, m.segments);
}

export function monthlyLimitReached(p: { accountSid: string; month: string; used: number; adding: number; limit: number }) {
  return conflict('monthly_limit_reached',
    `The monthly limit of ${p.limit} segments for Twilio account ${p.accountSid} is reached for ${p.month}: ` +
    `${p.used} used, this message needs ${p.adding}. Nothing was sent. An admin can raise SMS_MONTHLY_LIMIT in Settings → Usage, or wait for next month.`);
}

/** Price per segment by destination country (ISO code, "*" for any other), in the admin's currency. */
export type PriceTable = Record<string, number>;

/** A rough cost of what was sent: segments per country times its price (the "*" price where a country has none). */
export function estimateCost(byCountry: { country: string | null; segments: number }[], prices: PriceTable): number | null {
  if (!Object.keys(prices).length) return null;
  let total = 0;
  for (const c of byCountry) total += c.segments * (prices[c.country ?? '*'] ?? prices['*'] ?? 0);
  return Math.round(total * 10_000) / 10_000;
}

/** Thresholds admins are warned at, as a share of the limit. */
export const USAGE_WARNINGS = [0.8, 1] as const;

/** What was sent in a month (GET /api/v1/usage). */
export interface UsageReport {
  month: string;
  segments: number;
  messages: number;
  /** Segments a month per Twilio account; null: no limit. */
  limit: number | null;
  byNumber: { number: string; segments: number; messages: number }[];
  byAccount: { accountSid: string; segments: number; messages: number }[];
  byCountry: { country: string | null; segments: number; messages: number }[];
  /** From the admins' price table; null when it has no prices. */
  estimatedCost: number | null;
}
