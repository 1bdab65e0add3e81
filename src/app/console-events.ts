import { EventEmitter } from 'node:events';

/** What the console hears about, live: a text or a message's status, a ticket's change. */
export type ConsoleEvent =
  | { event: 'message'; data: { id?: number; sid?: string; ticketId?: number | null; direction?: 'inbound' | 'outbound'; status?: string } }
  | { event: 'ticket'; data: { id: number } };

/**
 * In-process fan-out of console events to the browsers connected to this instance (Server-Sent Events).
 * With several instances on one PostgreSQL, each instance tells its own browsers what it did itself; a
 * browser re-reads what it shows on every event, so it also catches up on others' work at the next one.
 */
export class ConsoleEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(e: ConsoleEvent): void {
    this.emitter.emit('event', e);
  }

  subscribe(listener: (e: ConsoleEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
