import { EventEmitter } from 'node:events';

import type { ConsoleEvent, EventRelay } from '../ports/console-events.ts';

export type { ConsoleEvent } from '../ports/console-events.ts';

const FLUSH_MS = 50;
/** NOTIFY payloads must stay under 8,000 bytes. */
const MAX_PAYLOAD = 7_000;

/**
 * Fan-out of console events to the browsers connected (Server-Sent Events). Alone (PGlite), in process. With
 * a relay (several instances on one PostgreSQL), events are sent as NOTIFY, batched every 50 ms so a burst
 * of texts costs a few statements, and every instance (this one included) hands what it hears to its own
 * browsers; if a NOTIFY fails, its events still reach this instance's browsers.
 */
export class ConsoleEvents {
  private readonly emitter = new EventEmitter();
  private buffer: ConsoleEvent[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly relay: EventRelay | null = null) {
    this.emitter.setMaxListeners(0);
  }

  publish(e: ConsoleEvent): void {
    if (!this.relay) {
      this.emitter.emit('event', e);
      return;
    }
    this.buffer.push(e);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** A NOTIFY payload heard from any instance. */
  deliver(payload: string): void {
    let events: ConsoleEvent[];
    try {
      events = JSON.parse(payload) as ConsoleEvent[];
    } catch {
      return;
    }
    for (const e of events) this.emitter.emit('event', e);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const events = this.buffer;
    this.buffer = [];
    const batches: ConsoleEvent[][] = [[]];
    let size = 2;
    for (const e of events) {
      const n = JSON.stringify(e).length + 1;
      if (size + n > MAX_PAYLOAD && batches.at(-1)!.length) {
        batches.push([]);
        size = 2;
      }
      batches.at(-1)!.push(e);
      size += n;
    }
    for (const batch of batches) {
      if (!batch.length) continue;
      await this.relay!.notify(JSON.stringify(batch)).catch(() => {
        for (const e of batch) this.emitter.emit('event', e);
      });
    }
  }

  subscribe(listener: (e: ConsoleEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Starts hearing the relay's payloads (other instances' events, and this one's own). */
  async start(): Promise<() => void> {
    return this.relay ? this.relay.listen((payload) => this.deliver(payload)) : () => undefined;
  }
}
