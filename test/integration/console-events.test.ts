import { afterEach, describe, expect, it, vi } from 'vitest';
import { backends, type TestDatabase } from '../helpers/databases.ts';
import { notifyRelay } from '../../src/adapters/db/console-relay.ts';
import { ConsoleEvents, type ConsoleEvent } from '../../src/app/console-events.ts';
import type { Sql } from '../../src/adapters/db/sql.ts';

/** An instance's event bus, as startSmsdesk makes it. */
async function consoleEventsOn(sql: Sql) {
  const events = new ConsoleEvents(await notifyRelay(sql));
  return { events, stop: await events.start() };
}

/** Live console events reach the browsers of every instance sharing the database, each event once. */
describe.each(backends)('console events on $name', (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.cleanup());

  const collect = (into: ConsoleEvent[]) => (e: ConsoleEvent) => into.push(e);

  it('delivers what one instance publishes to its own subscribers and, on PostgreSQL, to the other instance', async () => {
    db = await backend.open();
    const a = await consoleEventsOn(db.sql);
    const seenA: ConsoleEvent[] = [];
    a.events.subscribe(collect(seenA));
    const burst = Array.from({ length: 300 }, (_, i): ConsoleEvent => ({ event: 'message', data: { id: i, ticketId: 7, direction: 'inbound', status: 'received' } }));
    let seenB: ConsoleEvent[] | null = null;
    let b: Awaited<ReturnType<typeof consoleEventsOn>> | null = null;
    if (db.connectAgain) {
      b = await consoleEventsOn(await db.connectAgain());
      seenB = [];
      b.events.subscribe(collect(seenB));
    }
    for (const e of burst) a.events.publish(e);
    a.events.publish({ event: 'ticket', data: { id: 7 } });
    // Retried until it holds; after 10 s the last failed expectation says how many arrived.
    await vi.waitFor(() => {
      expect(seenA.length, 'events seen on instance A').toBeGreaterThanOrEqual(301);
      if (seenB) expect(seenB.length, 'events seen on instance B').toBeGreaterThanOrEqual(301);
    }, { timeout: 10_000, interval: 20 });
    expect(seenA).toEqual([...burst, { event: 'ticket', data: { id: 7 } }]);
    if (seenB) expect(seenB).toEqual(seenA);
    a.stop();
    b?.stop();
  });
});
