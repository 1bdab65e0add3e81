import { describe, expect, it } from 'vitest';
import {
  applyStatus,
  isFailure,
  isStatus,
  isTerminal,
  MESSAGE_STATUSES,
  nextStatus,
  STATUS_RANK,
  type Status,
  type StatusEvent,
} from '../../src/domain/message-status.ts';

const event = (status: Status, errorCode: number | null = null): StatusEvent => ({
  status,
  at: `2024-05-01T12:00:0${MESSAGE_STATUSES.indexOf(status) % 10}Z`,
  errorCode,
});

const fold = (events: StatusEvent[]) =>
  events.reduce<{ status: Status | null; history: StatusEvent[] }>(
    (state, e) => applyStatus(state.history, e),
    { status: null, history: [] },
  );

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('MESSAGE_STATUSES and STATUS_RANK', () => {
  it('covers every Twilio message status', () => {
    expect([...MESSAGE_STATUSES].sort()).toEqual(
      ['accepted', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'canceled', 'receiving', 'received'].sort(),
    );
    expect(Object.keys(STATUS_RANK).sort()).toEqual([...MESSAGE_STATUSES].sort());
  });

  it('isStatus accepts exactly the statuses', () => {
    for (const s of MESSAGE_STATUSES) expect(isStatus(s)).toBe(true);
    expect(isStatus('Delivered')).toBe(false);
    expect(isStatus('partially_delivered')).toBe(false);
    expect(isStatus('')).toBe(false);
  });
});

describe('nextStatus', () => {
  const cases: [current: Status, incoming: Status, expected: Status][] = [
    // The happy path, one step at a time.
    ['accepted', 'queued', 'queued'],
    ['scheduled', 'queued', 'queued'],
    ['queued', 'sending', 'sending'],
    ['sending', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['sent', 'undelivered', 'undelivered'],
    ['sent', 'failed', 'failed'],
    ['delivered', 'read', 'read'],
    ['receiving', 'received', 'received'],
    // Skipped steps (callbacks late or never sent).
    ['queued', 'delivered', 'delivered'],
    ['accepted', 'sent', 'sent'],
    ['queued', 'failed', 'failed'],
    ['sending', 'undelivered', 'undelivered'],
    ['sent', 'read', 'read'],
    // Duplicates.
    ['sent', 'sent', 'sent'],
    ['delivered', 'delivered', 'delivered'],
    // Older callbacks arriving late.
    ['delivered', 'sent', 'delivered'],
    ['delivered', 'queued', 'delivered'],
    ['sent', 'sending', 'sent'],
    ['sending', 'queued', 'sending'],
    ['queued', 'accepted', 'queued'],
    ['read', 'delivered', 'read'],
    ['failed', 'sent', 'failed'],
    // Equal-rank alternatives never replace each other.
    ['accepted', 'scheduled', 'accepted'],
    ['scheduled', 'accepted', 'scheduled'],
    ['delivered', 'failed', 'delivered'],
    ['delivered', 'undelivered', 'delivered'],
    // Final statuses.
    ['failed', 'delivered', 'failed'],
    ['undelivered', 'delivered', 'undelivered'], // not documented by Twilio: kept final
    ['undelivered', 'read', 'undelivered'],
    ['failed', 'read', 'failed'],
    ['read', 'failed', 'read'],
    ['canceled', 'queued', 'canceled'],
    ['canceled', 'sent', 'canceled'],
    ['canceled', 'delivered', 'canceled'],
    // canceled only before sending starts.
    ['accepted', 'canceled', 'canceled'],
    ['scheduled', 'canceled', 'canceled'],
    ['queued', 'canceled', 'canceled'],
    ['sending', 'canceled', 'sending'],
    ['sent', 'canceled', 'sent'],
    ['delivered', 'canceled', 'delivered'],
    ['failed', 'canceled', 'failed'],
    // Outbound and inbound lifecycles do not mix.
    ['queued', 'received', 'queued'],
    ['received', 'delivered', 'received'],
    ['receiving', 'sent', 'receiving'],
    ['accepted', 'receiving', 'accepted'],
  ];
  it.each(cases)('%s + %s → %s', (current, incoming, expected) => {
    expect(nextStatus(current, incoming)).toBe(expected);
  });

  it('never moves to a lower rank', () => {
    for (const current of MESSAGE_STATUSES) {
      for (const incoming of MESSAGE_STATUSES) {
        const next = nextStatus(current, incoming);
        expect([current, incoming]).toContain(next);
        if (next !== current) expect(STATUS_RANK[next]).toBeGreaterThan(STATUS_RANK[current]);
      }
    }
  });
});

describe('isTerminal and isFailure', () => {
  const cases: [Status, boolean, boolean][] = [
    ['accepted', false, false],
    ['scheduled', false, false],
    ['queued', false, false],
    ['sending', false, false],
    ['sent', false, false],
    ['delivered', true, false],
    ['undelivered', true, true],
    ['failed', true, true],
    ['read', true, false],
    ['canceled', true, false],
    ['receiving', false, false],
    ['received', true, false],
  ];
  it.each(cases)('%s: terminal %s, failure %s', (status, terminal, failure) => {
    expect(isTerminal(status)).toBe(terminal);
    expect(isFailure(status)).toBe(failure);
  });
});

describe('applyStatus', () => {
  it('starts a history with the first callback', () => {
    expect(applyStatus([], event('sent'))).toEqual({ status: 'sent', history: [event('sent')] });
  });

  it('does not mutate the history it is given', () => {
    const history = [event('queued')];
    applyStatus(history, event('sent'));
    expect(history).toEqual([event('queued')]);
  });

  it('records forward moves in order', () => {
    const state = fold([event('queued'), event('sending'), event('sent'), event('delivered')]);
    expect(state.status).toBe('delivered');
    expect(state.history.map((e) => e.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
  });

  it('keeps error codes on the events', () => {
    const state = fold([event('sent'), event('undelivered', 30003)]);
    expect(state).toEqual({ status: 'undelivered', history: [event('sent'), event('undelivered', 30003)] });
  });

  it('files a late earlier status in its place without changing the current status', () => {
    const state = fold([event('queued'), event('delivered'), event('sent')]);
    expect(state.status).toBe('delivered');
    expect(state.history.map((e) => e.status)).toEqual(['queued', 'sent', 'delivered']);
  });

  it('keeps the first event of a repeated status', () => {
    const first: StatusEvent = { status: 'sent', at: '2024-05-01T12:00:00Z', errorCode: null };
    const repeat: StatusEvent = { status: 'sent', at: '2024-05-01T12:00:09Z', errorCode: null };
    expect(fold([first, repeat]).history).toEqual([first]);
  });

  const ignored: { name: string; events: Status[]; status: Status; history: Status[] }[] = [
    { name: 'second outcome after delivered', events: ['sent', 'delivered', 'failed'], status: 'delivered', history: ['sent', 'delivered'] },
    { name: 'second outcome after failed', events: ['sent', 'failed', 'delivered'], status: 'failed', history: ['sent', 'failed'] },
    { name: 'delivered after undelivered', events: ['sent', 'undelivered', 'delivered'], status: 'undelivered', history: ['sent', 'undelivered'] },
    { name: 'read after failed', events: ['sent', 'failed', 'read'], status: 'failed', history: ['sent', 'failed'] },
    { name: 'cancel after sending started', events: ['queued', 'sending', 'canceled'], status: 'sending', history: ['queued', 'sending'] },
    { name: 'sending after cancel', events: ['scheduled', 'canceled', 'sending'], status: 'canceled', history: ['scheduled', 'canceled'] },
    { name: 'late sent after cancel', events: ['scheduled', 'canceled', 'sent'], status: 'canceled', history: ['scheduled', 'canceled'] },
    { name: 'scheduled beside accepted', events: ['accepted', 'queued', 'scheduled'], status: 'queued', history: ['accepted', 'queued'] },
    { name: 'inbound status on an outbound message', events: ['queued', 'received'], status: 'queued', history: ['queued'] },
    { name: 'outbound status on an inbound message', events: ['received', 'receiving', 'delivered'], status: 'received', history: ['receiving', 'received'] },
  ];
  it.each(ignored)('ignores a callback that does not fit: $name', ({ events, status, history }) => {
    const state = fold(events.map((s) => event(s)));
    expect(state.status).toBe(status);
    expect(state.history.map((e) => e.status)).toEqual(history);
  });

  it('every permutation of queued/sending/sent/delivered ends delivered with the same history', () => {
    const full = ['queued', 'sending', 'sent', 'delivered'] as const;
    const perms = permutations(full);
    expect(perms).toHaveLength(24);
    for (const order of perms) {
      const state = fold(order.map((s) => event(s)));
      expect(state.status, order.join(',')).toBe('delivered');
      expect(state.history, order.join(',')).toEqual(full.map((s) => event(s)));
    }
  });

  it('every permutation of a Messaging Service path through read gives the same result', () => {
    const full = ['accepted', 'queued', 'sending', 'sent', 'delivered', 'read'] as const;
    for (const order of permutations(full)) {
      const state = fold(order.map((s) => event(s)));
      expect(state.status, order.join(',')).toBe('read');
      expect(state.history.map((e) => e.status), order.join(',')).toEqual([...full]);
    }
  });

  it('every permutation of a failing path gives the same result', () => {
    const full = ['queued', 'sending', 'sent', 'undelivered'] as const;
    for (const order of permutations(full)) {
      const state = fold(order.map((s) => event(s, s === 'undelivered' ? 30005 : null)));
      expect(state.status).toBe('undelivered');
      expect(state.history.map((e) => e.status)).toEqual([...full]);
      expect(state.history[3]?.errorCode).toBe(30005);
    }
  });

  it('every permutation of a canceled scheduled message gives the same result', () => {
    for (const order of permutations(['scheduled', 'queued', 'canceled'] as const)) {
      const state = fold(order.map((s) => event(s)));
      expect(state.status).toBe('canceled');
      expect(state.history.map((e) => e.status)).toEqual(['scheduled', 'queued', 'canceled']);
    }
  });

  it('repeats and shuffles together: every permutation with each callback delivered twice', () => {
    const full = ['queued', 'sending', 'sent', 'delivered'] as const;
    for (const order of permutations(full)) {
      const doubled = [...order, ...[...order].reverse()];
      const state = fold(doubled.map((s) => event(s)));
      expect(state.status).toBe('delivered');
      expect(state.history).toEqual(full.map((s) => event(s)));
    }
  });

  it('gaps are fine: a subset of callbacks, in any order, yields that subset in rank order', () => {
    for (const order of permutations(['delivered', 'queued', 'sent'] as const)) {
      const state = fold(order.map((s) => event(s)));
      expect(state.status).toBe('delivered');
      expect(state.history.map((e) => e.status)).toEqual(['queued', 'sent', 'delivered']);
    }
  });
});
