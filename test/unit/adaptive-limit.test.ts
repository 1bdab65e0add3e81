import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../src/adapters/twilio/adaptive-limit.ts';

describe('AdaptiveLimit', () => {
  it('lets `limit` requests in at once, queues the rest in order and tells each how many were in flight with it', async () => {
    const limit = new AdaptiveLimit(2);
    const order: number[] = [];
    expect(await limit.acquire()).toBe(1);
    expect(await limit.acquire()).toBe(2);
    const third = limit.acquire().then((n) => order.push(3) && n);
    const fourth = limit.acquire().then((n) => order.push(4) && n);
    await Promise.resolve();
    expect(order).toEqual([]);
    limit.release('ok', 1);
    expect(await third).toBe(2);
    limit.release('ok', 2);
    expect(await fourth).toBe(2);
    expect(order).toEqual([3, 4]);
  });

  it('drops to one less than the requests in flight when Twilio answered 429, never below one', async () => {
    const limit = new AdaptiveLimit(16);
    const started = await Promise.all(Array.from({ length: 6 }, () => limit.acquire()));
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    // The fifth request was one too many: the limit becomes 4, and a later 429 at 6 does not raise it.
    limit.release('throttled', 5);
    expect(limit.current).toBe(4);
    limit.release('throttled', 6);
    expect(limit.current).toBe(4);
    for (const n of [1, 2, 3, 4]) limit.release('other', n);
    // Alone and still throttled (another client uses the account): down to one, not zero.
    limit.release('throttled', await limit.acquire());
    expect(limit.current).toBe(1);
    limit.release('throttled', await limit.acquire());
    expect(limit.current).toBe(1);
  });

  it('admits no more than the learnt limit while others wait', async () => {
    const limit = new AdaptiveLimit(8);
    const first = await Promise.all(Array.from({ length: 3 }, () => limit.acquire()));
    limit.release('throttled', first[2]!);
    expect(limit.current).toBe(2);
    let admitted = false;
    const waiting = limit.acquire().then(() => (admitted = true));
    limit.release('ok', 1);
    await Promise.resolve();
    // Two still in flight (one of them the throttled one released first): the waiter is not let in yet.
    expect(admitted).toBe(false);
    limit.release('ok', 2);
    await waiting;
    expect(admitted).toBe(true);
  });

  it('probes one higher after probeEvery × limit successes in a row, up to the maximum', async () => {
    const limit = new AdaptiveLimit(5, 5, 4);
    limit.release('throttled', (await Promise.all([limit.acquire(), limit.acquire(), limit.acquire()]))[2]!);
    for (const n of [1, 2]) limit.release('other', n);
    expect(limit.current).toBe(2);
    const succeed = async (times: number) => {
      for (let i = 0; i < times; i++) limit.release('ok', await limit.acquire());
    };
    await succeed(7);
    expect(limit.current).toBe(2);
    await succeed(1);
    expect(limit.current).toBe(3);
    // A 429 resets the run: it takes a full run of successes again.
    await succeed(11);
    await limit.acquire();
    limit.release('throttled', 4);
    expect(limit.current).toBe(3);
    await succeed(11);
    expect(limit.current).toBe(3);
    await succeed(1);
    expect(limit.current).toBe(4);
    await succeed(1000);
    expect(limit.current).toBe(5);
  });
});
