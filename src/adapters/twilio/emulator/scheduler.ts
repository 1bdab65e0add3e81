/**
 * The emulator's timers, all cancelled by `close()` so a closed emulator neither keeps the process
 * alive nor posts status callbacks afterwards.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private closedFlag = false;

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Runs `fn` after `ms`; its errors are the caller's to catch (an uncaught one would crash the process). */
  after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.closedFlag) return undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, Math.max(0, ms));
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Resolves after `ms`, or at once when the scheduler closes (check `closed` afterwards). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closedFlag) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.after(ms, wake);
    });
  }

  close(): void {
    this.closedFlag = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
  }
}
