/**
 * How many requests may be in flight to one Twilio account. Twilio does not publish its concurrency limit and
 * answers 429/20429 past it, so the limit is learnt: a 429 on a request that went out with n requests in
 * flight (itself included) shows that n is too many, so the limit drops to n - 1 (never below one). It probes
 * one higher again only after a long run of successes, so a steady stream settles just under Twilio's limit
 * and sees a 429 about once per `probeEvery · limit` requests. Several instances sharing an account each see
 * only their own requests: their 429s keep lowering their limits until the sum fits.
 */
export class AdaptiveLimit {
  private limit: number;
  private inFlight = 0;
  private successes = 0;
  private readonly waiting: ((inFlight: number) => void)[] = [];

  constructor(
    private readonly max: number,
    initial = max,
    private readonly probeEvery = 16,
  ) {
    this.limit = initial;
  }

  get current(): number {
    return this.limit;
  }

  /** Waits for room; resolves with the number of requests in flight with this one (pass it to release). */
  async acquire(): Promise<number> {
    if (this.inFlight < this.limit) return ++this.inFlight;
    return new Promise<number>((resolve) => this.waiting.push(resolve));
  }

  release(outcome: 'ok' | 'throttled' | 'other', inFlightAtStart: number): void {
    if (outcome === 'throttled') {
      this.limit = Math.max(1, Math.min(this.limit, inFlightAtStart - 1));
      this.successes = 0;
    } else if (outcome === 'ok' && this.limit < this.max && ++this.successes >= this.probeEvery * this.limit) {
      this.limit++;
      this.successes = 0;
    }
    this.inFlight--;
    while (this.inFlight < this.limit && this.waiting.length) {
      this.waiting.shift()!(++this.inFlight);
    }
  }
}
