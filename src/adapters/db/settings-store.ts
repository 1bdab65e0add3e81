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
      ticketIdPattern: stored.ticketIdPattern === undefined ? this.defaults.ticketIdPattern : storedPattern(stored.ticketIdPattern, this.defaults.ticketIdPattern),
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

/**
 * A pattern saved before patterns were matched with RE2 may use syntax RE2 refuses (lookaround, backreferences):
 * the environment's default applies until an admin saves a new one, rather than every text failing to route.
 */
function storedPattern(source: string, fallback: ThreadingSettings['ticketIdPattern']): ThreadingSettings['ticketIdPattern'] {
  try {
    return compileTicketIdPattern(source);
  } catch {
    return fallback;
  }
}

/**
 * Teams by Twilio number: an admin names the group each number belongs to ("Support", "Sales"), and the inbox
 * filters conversations by it, whatever the helpdesk.
 */
export class NumberGroupsStore {
  constructor(private readonly sql: Sql) {}

  async all(): Promise<Record<string, string>> {
    const [row] = await this.sql.query<{ value: Record<string, string> }>(`SELECT value FROM settings WHERE key = 'number_groups'`);
    return row?.value ?? {};
  }

  /** Sets (or, with an empty name, clears) the groups of these numbers; others keep theirs. */
  async set(groups: Record<string, string>): Promise<Record<string, string>> {
    const next = { ...(await this.all()) };
    for (const [number, group] of Object.entries(groups)) {
      if (group) next[number] = group;
      else delete next[number];
    }
    await this.sql.query(
      `INSERT INTO settings (key, value) VALUES ('number_groups', $1::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [JSON.stringify(next)],
    );
    return next;
  }
}
