import { randomUUID } from 'node:crypto';
import type { Sql } from './sql.ts';
import { enqueueing, jobInsert } from '../queue/job-queue.ts';
import { ACTIVITY_TYPES, EVENT_QUEUE, type EventOutbox, type NewEvent, type RecordedEvent } from '../../ports/event-outbox.ts';
import type { EventType } from '../../domain/events.ts';

interface EventRow {
  id: string;
  type: EventType;
  helpdesk: string;
  ticket_id: string | number | null;
  data: RecordedEvent['data'];
  caused_by: number[];
  created_at: Date;
}

/** The job key of an event: one ticket's events are handed on in the order they happened. */
export const eventJobKey = (e: { helpdesk: string; ticketId: number | null; dedupeKey: string }) =>
  e.ticketId === null ? `event:${e.dedupeKey}` : `ticket:${e.helpdesk}:${e.ticketId}`;

/**
 * domain_events plus its jobs (queue domain-event), in one statement per batch: an event seen again (same
 * dedupe key) inserts neither a row nor a job.
 */
export class SqlEventOutbox implements EventOutbox {
  /** `onRecorded`: called once new events committed (wakes this process's dispatcher; others poll). */
  constructor(private readonly sql: Sql, private readonly onRecorded?: () => void) {}

  async record(events: readonly NewEvent[]): Promise<number> {
    if (!events.length) return 0;
    const rows = events.map((e, ord) => ({
      ord,
      id: `evt_${randomUUID().replaceAll('-', '')}`,
      dedupe_key: e.dedupeKey,
      type: e.type,
      helpdesk: e.helpdesk,
      ticket_id: e.ticketId,
      data: e.data,
      caused_by: e.causedBy ?? [],
      job_key: eventJobKey(e),
    }));
    const inserted = await enqueueing(this.sql, EVENT_QUEUE, rows.map((r) => r.job_key), (tx) => tx.query<{ id: string }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(ord int, id text, dedupe_key text, type text, helpdesk text,
                                                          ticket_id bigint, data jsonb, caused_by int[], job_key text)
       ), ins AS (
         INSERT INTO domain_events (id, dedupe_key, type, helpdesk, ticket_id, data, caused_by)
         SELECT id, dedupe_key, type, helpdesk, ticket_id, data, caused_by FROM input ORDER BY ord
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id
       ), jobs_ins AS (
         ${jobInsert({
           queue: `'${EVENT_QUEUE}'`, key: 'input.job_key', payload: "jsonb_build_object('eventId', input.id)",
           from: 'input JOIN ins ON ins.id = input.id', orderBy: 'input.ord',
         })}
       )
       SELECT id FROM ins`,
      [JSON.stringify(rows)],
    ));
    if (inserted.length && this.onRecorded) {
      // Inside a caller's transaction the rows are visible once it commits: a wake now may find nothing, then the poll does.
      this.onRecorded();
    }
    return inserted.length;
  }

  async lastActivity(helpdesk: string, ticketId: number, except: number): Promise<Date | null> {
    const [r] = await this.sql.query<{ at: Date | null }>(
      `SELECT max(created_at) AS at FROM domain_events
        WHERE helpdesk = $1 AND ticket_id = $2 AND type = ANY($3::text[]) AND NOT ($4::int = ANY(caused_by))`,
      [helpdesk, ticketId, ACTIVITY_TYPES, except],
    );
    return r?.at ?? null;
  }

  async get(id: string): Promise<RecordedEvent | null> {
    const [r] = await this.sql.query<EventRow>(
      'SELECT id, type, helpdesk, ticket_id, data, caused_by, created_at FROM domain_events WHERE id = $1',
      [id],
    );
    return r ? toEvent(r) : null;
  }
}

function toEvent(r: EventRow): RecordedEvent {
  return {
    id: r.id, type: r.type, helpdesk: r.helpdesk, ticketId: r.ticket_id === null ? null : Number(r.ticket_id),
    data: r.data, causedBy: r.caused_by ?? [], createdAt: r.created_at,
  };
}
