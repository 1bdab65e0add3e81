import type { Sql } from './sql.ts';
import { compileSchedule, type CompiledSchedule, type ScheduleSettings } from '../../domain/hours.ts';
import type { PriceTable } from '../../domain/usage.ts';

const FRESH_MS = 2_000;

/**
 * Quiet hours, business hours and holidays, the default time zone and the monthly limit as the console last
 * set them (the `settings` row 'schedule'), over the environment's defaults. Read at most every 2 s, so a
 * change on one instance applies on every instance within seconds.
 */
export class ScheduleSettingsStore {
  private cached: { at: number; value: Promise<CompiledSchedule> } | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly defaults: ScheduleSettings,
  ) {}

  /** Concurrent callers share one read. */
  current(): Promise<CompiledSchedule> {
    if (this.cached && Date.now() - this.cached.at < FRESH_MS) return this.cached.value;
    const value = this.sql.query<{ value: Partial<ScheduleSettings> }>(`SELECT value FROM settings WHERE key = 'schedule'`)
      .then(([row]) => compileSchedule({ ...this.defaults, ...(row?.value ?? {}) }));
    this.cached = { at: Date.now(), value };
    value.catch(() => {
      if (this.cached?.value === value) this.cached = null;
    });
    return value;
  }

  /**
   * Checks the change against the rest (an Error naming the bad setting), then stores it over the defaults;
   * `prices` replaces the price table of the cost estimate.
   */
  async update(change: Partial<ScheduleSettings>, prices?: PriceTable): Promise<CompiledSchedule> {
    const [row] = await this.sql.query<{ value: Partial<ScheduleSettings> }>(`SELECT value FROM settings WHERE key = 'schedule'`);
    compileSchedule({ ...this.defaults, ...(row?.value ?? {}), ...change });
    await this.sql.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO settings (key, value) VALUES ('schedule', $1::jsonb)
         ON CONFLICT (key) DO UPDATE SET value = settings.value || EXCLUDED.value, updated_at = now()`,
        [JSON.stringify(change)],
      );
      if (prices) {
        await tx.query(
          `INSERT INTO settings (key, value) VALUES ('prices', $1::jsonb)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
          [JSON.stringify(prices)],
        );
      }
    });
    this.cached = null;
    return this.current();
  }

  /** The admins' price table (null: never set). */
  async prices(): Promise<PriceTable | null> {
    const [row] = await this.sql.query<{ value: PriceTable }>(`SELECT value FROM settings WHERE key = 'prices'`);
    return row?.value ?? null;
  }
}
