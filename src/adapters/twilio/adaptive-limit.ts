/**
 * How many requests may be in flight to one Twilio account. Twilio does not publish its concurrency limit and
 * answers 429/20429 past it, so the limit adapts: halved on every 429, grown back by one request per
 * `limit` successes (additive increase, multiplicative decrease, as TCP does).
 */
export class AdaptiveLimit {
  private limit: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly max: number,
    initial = max,
  ) {
    this.limit = initial;
  }

  get current(): number {
    return Math.floor(this.limit);
  }

  async acquire(): Promise<void> {
    if (this.inFlight < Math.floor(this.limit)) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(outcome: 'ok' | 'throttled' | 'other'): void {
    if (outcome === 'throttled') this.limit = Math.max(1, this.limit / 2);
    else if (outcome === 'ok') this.limit = Math.min(this.max, this.limit + 1 / this.limit);
    this.inFlight--;
    while (this.inFlight < Math.floor(this.limit) && this.waiting.length) {
      this.inFlight++;
      this.waiting.shift()!();
    }
  }
}
