import { invalid } from './errors.ts';

/** An ISO 8601 date and time with seconds optional and an explicit offset (Z or ±hh:mm). */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * When a scheduled message is to go: a time with its offset, after `now` and at most a year ahead.
 * Anything else is refused with `invalid_send_at` saying what to send instead.
 */
export function parseSendAt(raw: unknown, now: Date): Date {
  if (typeof raw !== 'string' || !ISO_WITH_OFFSET.test(raw) || Number.isNaN(Date.parse(raw))) {
    throw invalid('invalid_send_at',
      `sendAt must be an ISO 8601 time with its offset, e.g. 2026-12-24T09:00:00-05:00 or 2026-12-24T14:00:00Z; got ${JSON.stringify(raw)}.`);
  }
  const at = new Date(raw);
  if (at.getTime() <= now.getTime()) {
    throw invalid('invalid_send_at', `sendAt ${raw} is in the past (it is ${now.toISOString()} now); leave sendAt out to send at once.`);
  }
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + 1);
  if (at.getTime() > limit.getTime()) {
    throw invalid('invalid_send_at', `sendAt ${raw} is more than a year ahead; the latest is ${limit.toISOString()}.`);
  }
  return at;
}
