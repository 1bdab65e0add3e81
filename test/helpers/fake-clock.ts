import { clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { vi } from 'vitest';

/**
 * Backoff paths on fake time: Date and setTimeout are faked (real I/O still runs), and `settle` moves the fake
 * clock on in steps until the work is done, so a 1 s Retry-After costs no real second. Assertions then read
 * the fake clock (e.g. the helpdesk fakes' `FakeCall.at`).
 */
export function useFakeClock(): {
  settle<T>(work: Promise<T>, stepMs?: number): Promise<T>;
  frozen<T>(work: Promise<T>, what: string): Promise<T>;
  restore(): void;
} {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  return {
    async settle(work, stepMs = 50) {
      let done = false;
      const tracked = work.finally(() => {
        done = true;
      });
      // A rejection is the caller's to see, through `tracked`.
      tracked.catch(() => undefined);
      while (!done) {
        await vi.advanceTimersByTimeAsync(stepMs);
        // A turn of the real event loop, so sockets make progress between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return tracked;
    },
    /** The work's outcome with the fake clock standing still: work that waits on a timer fails loudly instead. */
    frozen(work, what) {
      return new Promise((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`${what} is still waiting with the clock stopped: it waits on a timer`)), FROZEN_LIMIT_MS);
        work.then(resolve, reject).finally(() => clearTimeout(guard));
      });
    },
    restore: () => vi.useRealTimers(),
  };
}

/** Real time: far more than a few loopback requests take, far less than the test timeout. */
const FROZEN_LIMIT_MS = 10_000;
