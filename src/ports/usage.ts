/** What was sent this month (GET /api/v1/usage). */
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
