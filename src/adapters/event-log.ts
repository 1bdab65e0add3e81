// node:timers, not the globals: a test's fake timers must not stop a wait from timing out.
import { clearTimeout, setTimeout } from 'node:timers';

/**
 * What stand-ins (the Twilio emulator, the helpdesk fakes in test/fakes) record, awaitable: a test waits for the
 * event it needs instead of sleeping, and a wait that times out says what it waited for and what it saw.
 */
export interface WaitOptions {
  /** Real milliseconds, even under fake timers; default 10 s (well inside the test timeout, so this error wins). */
  timeoutMs?: number;
  /** What is awaited, in the timeout's message; default: the predicate's source. */
  what?: string;
  /**
   * Only entries at or after this position (from `cursor()`) count. Default 0: entries recorded before the wait
   * began count too, so a wait started after its event happened does not miss it.
   */
  since?: number;
  /** Resolve with the count-th matching entry (default 1st). */
  count?: number;
}

export const DEFAULT_WAIT_MS = 10_000;

interface Waiter<T> {
  matches: (entry: T) => boolean;
  needed: number;
  found: number;
  resolve: (entry: T) => void;
  reject: (err: Error) => void;
}

/** An append-only log whose entries can be awaited. */
export class EventLog<T> {
  /** Every entry, oldest first. */
  readonly entries: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();
  private closedBecause: string | null = null;

  /**
   * @param name what the log records, e.g. "status callbacks", in timeout messages
   * @param describe one entry in a timeout message
   */
  constructor(
    private readonly name: string,
    private readonly describe: (entry: T) => string = (entry) => JSON.stringify(entry),
  ) {}

  push(entry: T): void {
    this.entries.push(entry);
    for (const waiter of this.waiters) {
      if (!waiter.matches(entry)) continue;
      waiter.found += 1;
      if (waiter.found >= waiter.needed) waiter.resolve(entry);
    }
  }

  /** The position the next entry will have: pass it as `since` to wait only for later entries. */
  cursor(): number {
    return this.entries.length;
  }

  /** The first (or `count`-th) entry matching `predicate`; rejects with what was seen once `timeoutMs` passes. */
  waitFor(predicate: (entry: T) => boolean, opts: WaitOptions = {}): Promise<T> {
    const needed = opts.count ?? 1;
    const since = opts.since ?? 0;
    let found = 0;
    for (const entry of this.entries.slice(since)) {
      if (!predicate(entry)) continue;
      found += 1;
      if (found >= needed) return Promise.resolve(entry);
    }
    const what = opts.what ?? predicate.toString();
    if (this.closedBecause !== null) return Promise.reject(new Error(`${this.name}: ${this.closedBecause} while waiting for ${what}`));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        matches: predicate,
        needed,
        found,
        resolve: (entry) => {
          this.waiters.delete(waiter);
          clearTimeout(timer);
          resolve(entry);
        },
        reject: (err) => {
          this.waiters.delete(waiter);
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => waiter.reject(new Error(this.timeoutMessage(what, waiter, since, timeoutMs))), timeoutMs);
      timer.unref();
      this.waiters.add(waiter);
    });
  }

  /** Rejects every pending wait, and any later one that is not already satisfied (e.g. "the emulator closed"). */
  close(reason: string): void {
    this.closedBecause = reason;
    for (const waiter of [...this.waiters]) waiter.reject(new Error(`${this.name}: ${reason} while waiting for ${waiter.matches.toString()}`));
  }

  private timeoutMessage(what: string, waiter: Waiter<T>, since: number, timeoutMs: number): string {
    const considered = this.entries.slice(since);
    const counted = waiter.needed > 1 ? ` (${waiter.needed} of them; ${waiter.found} matched)` : '';
    const shown = considered.slice(-LAST_SHOWN).map((entry) => `  - ${truncate(this.describe(entry))}`);
    const seen = considered.length === 0
      ? 'none were recorded'
      : `${considered.length} recorded${considered.length > LAST_SHOWN ? `, the last ${LAST_SHOWN}` : ''}:\n${shown.join('\n')}`;
    return `${this.name}: timed out after ${timeoutMs} ms waiting for ${what}${counted}; ${seen}`;
  }
}

const LAST_SHOWN = 10;

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Requests (or anything) held at a point until released: a test makes them overlap for sure, then lets them go. */
export class Hold<T> {
  /** Every entry that was held, oldest first. */
  readonly held: EventLog<T>;
  private readonly waiting = new Set<() => void>();
  private holding = true;

  constructor(name: string, describe?: (entry: T) => string) {
    this.held = new EventLog(name, describe);
  }

  /** Resolves once released (at once after `release()`). */
  enter(entry: T): Promise<void> {
    if (!this.holding) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.add(resolve);
      this.held.push(entry);
    });
  }

  /** Resolves once `n` entries are held. */
  async waitUntilHeld(n: number, opts: Omit<WaitOptions, 'count'> = {}): Promise<void> {
    await this.held.waitFor(() => true, { what: `${n} held`, ...opts, count: n });
  }

  /** Lets every held entry go, and stops holding. */
  release(): void {
    this.holding = false;
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  }
}
