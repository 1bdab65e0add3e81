import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLog, Hold } from '../../src/adapters/event-log.ts';

/** The awaitable log behind the emulator's and the helpdesk fakes' waitFor… methods. */
describe('EventLog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with an entry recorded before the wait, or with the next one that matches', async () => {
    const log = new EventLog<{ n: number }>('numbers');
    log.push({ n: 1 });
    await expect(log.waitFor((e) => e.n === 1)).resolves.toEqual({ n: 1 });
    const later = log.waitFor((e) => e.n > 5);
    log.push({ n: 2 });
    log.push({ n: 7 });
    log.push({ n: 9 });
    await expect(later).resolves.toEqual({ n: 7 });
  });

  it('counts matches (count) and skips entries before a cursor (since)', async () => {
    const log = new EventLog<number>('numbers');
    log.push(1);
    const since = log.cursor();
    const third = log.waitFor((n) => n % 2 === 1, { count: 3 });
    const afterCursor = log.waitFor((n) => n === 1, { since });
    log.push(3);
    log.push(1);
    await expect(afterCursor).resolves.toBe(1);
    await expect(third).resolves.toBe(1);
    expect(log.entries).toEqual([1, 3, 1]);
  });

  it('rejects after the timeout, saying what it waited for and what it saw', async () => {
    const log = new EventLog<{ status: string }>('status callbacks', (e) => e.status);
    log.push({ status: 'sent' });
    log.push({ status: 'undelivered' });
    const err = await log.waitFor((e) => e.status === 'delivered', { timeoutMs: 30, what: 'the delivered callback' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      'status callbacks: timed out after 30 ms waiting for the delivered callback; 2 recorded:\n  - sent\n  - undelivered',
    );
    const counted = await log.waitFor(() => true, { timeoutMs: 10, count: 3 }).catch((e: unknown) => e);
    expect((counted as Error).message).toMatch(/waiting for \(\) => true \(3 of them; 2 matched\)/);
  });

  it('times out in real time while a test fakes the clock', async () => {
    vi.useFakeTimers();
    const log = new EventLog<number>('numbers');
    await expect(log.waitFor((n) => n === 1, { timeoutMs: 20 })).rejects.toThrow(/timed out after 20 ms .* none were recorded/);
  });

  it('rejects pending and unsatisfiable waits once closed', async () => {
    const log = new EventLog<number>('numbers');
    log.push(1);
    const pending = log.waitFor((n) => n === 2);
    log.close('the emulator closed');
    await expect(pending).rejects.toThrow('numbers: the emulator closed while waiting for (n) => n === 2');
    await expect(log.waitFor((n) => n === 2)).rejects.toThrow(/closed/);
    await expect(log.waitFor((n) => n === 1)).resolves.toBe(1);
  });
});

describe('Hold', () => {
  it('keeps entries waiting until released, and says when n are held', async () => {
    const hold = new Hold<string>('held requests');
    const order: string[] = [];
    const a = hold.enter('a').then(() => order.push('a'));
    const b = hold.enter('b').then(() => order.push('b'));
    await hold.waitUntilHeld(2);
    await Promise.resolve();
    expect(order).toEqual([]);
    hold.release();
    await Promise.all([a, b]);
    expect(order.sort()).toEqual(['a', 'b']);
    // Released: later entries pass at once.
    await hold.enter('c');
    expect(hold.held.entries).toEqual(['a', 'b']);
    await expect(new Hold('held requests').waitUntilHeld(1, { timeoutMs: 10 })).rejects.toThrow(/held requests: timed out after 10 ms waiting for 1 held/);
  });
});
