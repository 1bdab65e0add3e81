import type { MessageStore, NewInboundMessage } from '../ports/message-store.ts';
import { AppError } from '../domain/errors.ts';

export const ROUTE_INBOUND_QUEUE = 'route-inbound';
const MAX_BATCH = 200;
/** Webhooks waiting for the database beyond this are refused at once (503) instead of queueing in memory. */
const MAX_WAITING = 5_000;

/**
 * Stores acknowledged webhooks durably, with group commit: webhooks that arrive while a write is in flight
 * are written together by the next one, so the embedded single-connection database acks thousands per
 * second while each caller still learns only after its own row (and its routing job) committed.
 * A failed batch is retried row by row, so one bad row cannot fail its neighbours (unless the database is
 * unreachable, which fails them all at once).
 */
export class ReceiveInbound {
  private pending: { msg: NewInboundMessage; resolve: (r: { duplicate: boolean }) => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly store: MessageStore,
    private readonly onStored: () => void,
  ) {}

  /** Resolves once the message is durably stored (or was already); rejects when the database fails. */
  receive(msg: NewInboundMessage): Promise<{ duplicate: boolean }> {
    if (this.pending.length >= MAX_WAITING) {
      return Promise.reject(new AppError('unavailable', 'overloaded', 'Too many messages are waiting to be stored; Twilio will retry.'));
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ msg, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // Let the requests already read from sockets join this batch before it is written.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        await this.write(batch);
        this.onStored();
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: typeof this.pending): Promise<void> {
    try {
      const results = await this.store.insertInbound(batch.map((b) => b.msg), ROUTE_INBOUND_QUEUE);
      results.forEach((r, i) => batch[i]!.resolve({ duplicate: r.id === null }));
    } catch (err) {
      // Unreachable database: every row would fail alike, so fail them together and fast (Twilio retries).
      if (batch.length === 1 || (err instanceof AppError && err.kind === 'unavailable')) {
        for (const item of batch) item.reject(err);
        return;
      }
      for (const item of batch) await this.write([item]);
    }
  }
}
