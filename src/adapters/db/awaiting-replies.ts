import type { Sql } from './sql.ts';
import { enqueueJobs } from '../queue/job-queue.ts';
import { SqlEventOutbox } from './event-outbox.ts';
import type { AwaitingReplies, AwaitingReply, CsatRating, CsatReportRow } from '../../ports/awaiting-replies.ts';
import type { NewEvent } from '../../domain/events.ts';

interface Row {
  id: number;
  kind: AwaitingReply['kind'];
  automation_id: number | null;
  run_id: number;
  action_index: number;
  helpdesk: string;
  ticket_id: string | number;
  customer: string;
  twilio_number: string;
  answers: string[];
  expires_at: Date;
  state: AwaitingReply['state'];
  answer: string | null;
  answer_message_id: number | null;
}

const toReply = (r: Row): AwaitingReply => ({
  id: r.id, kind: r.kind, automationId: r.automation_id, runId: r.run_id, actionIndex: r.action_index, helpdesk: r.helpdesk,
  ticketId: Number(r.ticket_id), customer: r.customer, twilioNumber: r.twilio_number, answers: r.answers, expiresAt: r.expires_at,
  state: r.state, answer: r.answer, answerMessageId: r.answer_message_id,
});

/** awaiting_replies and csat_ratings; every change that is an event records it in the same transaction. */
export class SqlAwaitingReplies implements AwaitingReplies {
  constructor(private readonly sql: Sql, private readonly onEvents?: () => void) {}

  async expect(a: Parameters<AwaitingReplies['expect']>[0], timer: { queue: string } | null): Promise<AwaitingReply> {
    return this.sql.transaction(async (tx) => {
      const [ins] = await tx.query<Row>(
        `INSERT INTO awaiting_replies (kind, automation_id, run_id, action_index, helpdesk, ticket_id, customer, twilio_number, answers, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (run_id, action_index) DO NOTHING RETURNING *`,
        [a.kind, a.automationId, a.runId, a.actionIndex, a.helpdesk, a.ticketId, a.customer, a.twilioNumber, a.answers, a.expiresAt],
      );
      if (ins) {
        if (timer) await enqueueJobs(tx, timer.queue, [{ key: `awaiting:${ins.id}`, payload: { awaitingId: ins.id }, runAt: a.expiresAt }]);
        return toReply(ins);
      }
      const [earlier] = await tx.query<Row>('SELECT * FROM awaiting_replies WHERE run_id = $1 AND action_index = $2', [a.runId, a.actionIndex]);
      return toReply(earlier!);
    });
  }

  async waitingFor(customer: string, twilioNumber: string, at: Date): Promise<AwaitingReply[]> {
    const rows = await this.sql.query<Row>(
      `SELECT * FROM awaiting_replies WHERE customer = $1 AND twilio_number = $2 AND state = 'waiting' AND expires_at > $3 ORDER BY id DESC LIMIT 20`,
      [customer, twilioNumber, at],
    );
    return rows.map(toReply);
  }

  async get(id: number): Promise<AwaitingReply | null> {
    const [r] = await this.sql.query<Row>('SELECT * FROM awaiting_replies WHERE id = $1', [id]);
    return r ? toReply(r) : null;
  }

  async answer(id: number, answer: { messageId: number; text: string; csat?: { rating: number; comment: string } }, events: NewEvent[]): Promise<boolean> {
    const ok = await this.sql.transaction(async (tx) => {
      const [row] = await tx.query<Row>(
        `UPDATE awaiting_replies SET state = 'answered', answer = $2, answer_message_id = $3
          WHERE id = $1 AND (state = 'waiting' OR answer_message_id = $3) RETURNING *`,
        [id, answer.text, answer.messageId],
      );
      if (!row) return false;
      if (answer.csat) {
        await tx.query(
          `INSERT INTO csat_ratings (helpdesk, ticket_id, rating, comment, agent_id, twilio_number, number_group, message_id, awaiting_id)
           SELECT $1, $2, $3, $4,
                  (SELECT created_by FROM messages WHERE ticket_id = $2 AND direction = 'outbound' AND created_by IS NOT NULL ORDER BY id DESC LIMIT 1),
                  $5::text, (SELECT value ->> $5::text FROM settings WHERE key = 'number_groups'), $6, $7
           ON CONFLICT (message_id) DO NOTHING`,
          [row.helpdesk, row.ticket_id, answer.csat.rating, answer.csat.comment, row.twilio_number, answer.messageId, id],
        );
      }
      await new SqlEventOutbox(tx).record(events);
      return true;
    });
    if (ok && events.length) this.onEvents?.();
    return ok;
  }

  async expire(id: number, events: (a: AwaitingReply) => NewEvent[]): Promise<AwaitingReply | null> {
    const expired = await this.sql.transaction(async (tx) => {
      const [row] = await tx.query<Row>(`UPDATE awaiting_replies SET state = 'expired' WHERE id = $1 AND state = 'waiting' RETURNING *`, [id]);
      if (!row) return null;
      const reply = toReply(row);
      await new SqlEventOutbox(tx).record(events(reply));
      return reply;
    });
    if (expired) this.onEvents?.();
    return expired;
  }

  async latestCsat(helpdesk: string, ticketIds: number[]): Promise<Map<number, CsatRating>> {
    if (!ticketIds.length) return new Map();
    const rows = await this.sql.query<{ ticket_id: string | number; rating: number; comment: string; at: Date }>(
      `SELECT DISTINCT ON (ticket_id) ticket_id, rating, comment, at FROM csat_ratings
        WHERE helpdesk = $1 AND ticket_id = ANY($2::bigint[]) ORDER BY ticket_id, id DESC`,
      [helpdesk, ticketIds],
    );
    return new Map(rows.map((r) => [Number(r.ticket_id), { ticketId: Number(r.ticket_id), rating: r.rating, comment: r.comment, at: r.at }]));
  }

  async csatReport(helpdesk: string, since: Date): Promise<CsatReportRow[]> {
    const rows = await this.sql.query<{ week: string; agent: string | null; twilio_number: string | null; number_group: string | null; ratings: number; average: number }>(
      `SELECT to_char(c.at AT TIME ZONE 'UTC', 'IYYY-"W"IW') AS week, u.name AS agent, c.twilio_number, c.number_group,
              count(*)::int AS ratings, round(avg(c.rating)::numeric, 2)::float8 AS average
         FROM csat_ratings c LEFT JOIN users u ON u.id = c.agent_id
        WHERE c.helpdesk = $1 AND c.at >= $2
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2 NULLS LAST, 3, 4`,
      [helpdesk, since],
    );
    return rows.map((r) => ({ week: r.week, agent: r.agent, twilioNumber: r.twilio_number, group: r.number_group, ratings: r.ratings, average: r.average }));
  }
}
