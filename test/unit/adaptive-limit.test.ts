import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../src/adapters/twilio/adaptive-limit.ts';

describe('AdaptiveLimit', () => {
  it('lets `limit` requests in at once and queues the rest in order', async () => {
    const limit = new AdaptiveLimit(2);
    const order: number[] = [];
    await limit.acquire();
    await limit.acquire();
    const third = limit.acquire().then(() => order.push(3));
    const fourth = limit.acquire().then(() => order.push(4));
    await Promise.resolve();
    expect(order).toEqual([]);
    limit.release('ok');
    await third;
    limit.release('ok');
    await fourth;
    expect(order).toEqual([3, 4]);
  });

  it('halves on a 429, never below one, and grows back by one per limit successes', () => {
    const limit = new AdaptiveLimit(16);
    const cycle = (outcome: 'ok' | 'throttled') => {
      void limit.acquire();
      limit.release(outcome);
    };
    cycle('throttled');
    expect(limit.current).toBe(8);
    for (let i = 0; i < 5; i++) cycle('throttled');
    expect(limit.current).toBe(1);
    cycle('ok');
    expect(limit.current).toBe(2);
    // From 2: 2.5, 2.9, 3.24 — about one more request per `limit` successes.
    for (let i = 0; i < 2; i++) cycle('ok');
    expect(limit.current).toBe(2);
    cycle('ok');
    expect(limit.current).toBe(3);
    for (let i = 0; i < 1000; i++) cycle('ok');
    expect(limit.current).toBe(16);
  });
});
