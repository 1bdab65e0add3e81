import type { Sql } from './sql.ts';
import { compileTicketIdPattern, type ThreadingSettings } from '../../domain/threading.ts';

/** What an admin changed in the console, stored over the environment's defaults. */
interface StoredThreading {
  windowMinutes?: number;
  ticketIdPattern?: string;
}

const FRESH_MS = 2_000;

/**
 * Threading settings as the console last set them (the `settings` table), over the defaults from the
 * environment. Read at most every 2 s, so a change made on one instance applies to every instance within
 * seconds without a restart.
 */
export class ThreadingSettingsStore {
  private cached: { at: number; value: ThreadingSettings } | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly defaults: ThreadingSettings,
  ) {}

  async current(): Promise<ThreadingSettings> {
    if (this.cached && Date.now() - this.cached.at < FRESH_MS) return this.cached.value;
    const [row] = await this.sql.query<{ value: StoredThreading }>(`SELECT value FROM settings WHERE key = 'threading'`);
    const stored = row?.value ?? {};
    const value: ThreadingSettings = {
      windowMinutes: stored.windowMinutes ?? this.defaults.windowMinutes,
      ticketIdPattern: stored.ticketIdPattern === undefined ? this.defaults.ticketIdPattern : compileTicketIdPattern(stored.ticketIdPattern),
    };
    this.cached = { at: Date.now(), value };
    return value;
  }

  /** Validated by the caller (domain rules); stored and applied on this instance at once. */
  async update(change: StoredThreading): Promise<ThreadingSettings> {
    await this.sql.query(
      `INSERT INTO settings (key, value) VALUES ('threading', $1::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = settings.value || EXCLUDED.value, updated_at = now()`,
      [JSON.stringify(change)],
    );
    this.cached = null;
    return this.current();
  }
}
