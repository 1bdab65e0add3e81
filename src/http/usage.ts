import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parse } from './validation.ts';
import { authenticate, requireAdmin, type AuthOptions } from './auth.ts';
import type { ScheduleSettingsStore } from '../adapters/db/schedule-settings-store.ts';
import type { SqlUsageStore } from '../adapters/db/usage-store.ts';
import type { RecipientZones } from '../adapters/phone/time-zones.ts';
import type { Clock } from '../ports/clock.ts';
import { invalid } from '../domain/errors.ts';
import { estimateCost, usageMonth, USAGE_WARNINGS, type PriceTable, type UsageReport } from '../domain/usage.ts';
import { isOpen, isTimeZone, nextOpening, type CompiledSchedule } from '../domain/hours.ts';
import { phoneInput } from '../domain/phone.ts';

export interface UsageOptions {
  auth: AuthOptions;
  usage: SqlUsageStore;
  schedule: ScheduleSettingsStore;
  zones: RecipientZones;
  clock: Clock;
}

/** Approximate list prices per segment, for the estimate until an admin enters the account's own. */
export const DEFAULT_PRICES: PriceTable = { US: 0.0083, CA: 0.0083 };

/**
 * This month's usage against the limit, the schedule settings behind quiet and business hours, the price
 * table of the cost estimate, and a contact's own time zone.
 */
export async function usageApi(app: FastifyInstance, opts: UsageOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.auth));

  const prices = async (): Promise<PriceTable> => (await opts.schedule.prices()) ?? DEFAULT_PRICES;

  app.get('/api/v1/usage', async (request): Promise<UsageReport & { prices: PriceTable; warning: number | null }> => {
    const q = parse(z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month such as 2026-12').optional() }), request.query, 'query');
    const month = q.month ?? usageMonth(opts.clock.now());
    const settings = await opts.schedule.current();
    const report = await opts.usage.report(month);
    const table = await prices();
    const limit = settings.monthlyLimit;
    // The share of the limit the busiest account has used: admins are warned at 80% and 100%.
    const worst = limit ? Math.max(0, ...report.byAccount.map((a) => a.segments / limit)) : 0;
    const warning = limit ? ([...USAGE_WARNINGS].reverse().find((t) => worst >= t) ?? null) : null;
    return { ...report, limit, estimatedCost: estimateCost(report.byCountry, table), prices: table, warning };
  });

  const scheduleJson = (s: CompiledSchedule) => ({
    quietHours: s.quietHours, businessHours: s.businessHours, holidays: s.holidays, defaultTimezone: s.defaultTimezone,
    monthlyLimit: s.monthlyLimit,
  });

  app.get('/api/v1/settings/schedule', async () => {
    const s = await opts.schedule.current();
    const now = opts.clock.now();
    const zone = s.defaultTimezone;
    return {
      ...scheduleJson(s), prices: await prices(),
      businessOpen: s.hours ? isOpen(now, zone, s.hours) : null,
      nextOpening: s.hours ? nextOpening(now, zone, s.hours) : null,
    };
  });

  app.patch('/api/v1/settings/schedule', async (request) => {
    requireAdmin(request);
    const change = parse(z.object({
      quietHours: z.string().max(20).nullable().optional(),
      businessHours: z.string().max(300).nullable().optional(),
      holidays: z.array(z.string().max(10)).max(366).optional(),
      defaultTimezone: z.string().max(64).optional(),
      monthlyLimit: z.number().int().min(1).max(1_000_000_000).nullable().optional(),
      prices: z.record(z.string().regex(/^([A-Z]{2}|\*)$/, 'must be a country code such as US, or * for the rest'), z.number().min(0).max(100)).optional(),
    }).strict(), request.body, 'body');
    const { prices: newPrices, ...rest } = change;
    const empty = (v: string | null | undefined) => (v === undefined ? undefined : v?.trim() ? v.trim() : null);
    try {
      const s = await opts.schedule.update({
        ...rest,
        ...(rest.quietHours !== undefined ? { quietHours: empty(rest.quietHours) } : {}),
        ...(rest.businessHours !== undefined ? { businessHours: empty(rest.businessHours) } : {}),
      }, newPrices);
      return { ...scheduleJson(s), prices: await prices() };
    } catch (err) {
      if (err instanceof Error && /^[A-Z_]+: /.test(err.message)) throw invalid('invalid_setting', err.message);
      throw err;
    }
  });

  // A contact's own time zone (quiet hours use it before the number's); null clears it.
  app.put('/api/v1/contacts/time-zone', async (request) => {
    const body = parse(z.object({ phone: z.string(), timeZone: z.string().max(64).nullable() }).strict(), request.body, 'body');
    const phone = phoneInput(body.phone, 'phone');
    if (body.timeZone !== null && !isTimeZone(body.timeZone)) {
      throw invalid('invalid_time_zone', `"${body.timeZone}" is not an IANA time zone such as America/New_York.`);
    }
    await opts.zones.setContactZone(phone, body.timeZone);
    const settings = await opts.schedule.current();
    return { phone, ...(await opts.zones.zoneOf(phone, settings.defaultTimezone)) };
  });

  app.get('/api/v1/contacts/time-zone', async (request) => {
    const q = parse(z.object({ phone: z.string() }), request.query, 'query');
    const phone = phoneInput(q.phone, 'phone');
    const settings = await opts.schedule.current();
    return { phone, ...(await opts.zones.zoneOf(phone, settings.defaultTimezone)) };
  });
}
