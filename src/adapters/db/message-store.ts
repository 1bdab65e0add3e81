import type { Sql } from './sql.ts';
import { enqueueing, jobInsert } from '../queue/job-queue.ts';
import { MEDIA_JSON, toStoredMedia, type MediaRow } from './media-rows.ts';
import type { RoutingDecision } from '../../domain/threading.ts';
import type {
  BlobRecord, InboundForRouting, MessageStore, NewInboundMessage, RejectedRouting, Routing, TicketLink,
} from '../../ports/message-store.ts';

interface RoutingRow {
  id: number;
  sid: string;
  account_sid: string;
  from_number: string;
  to_number: string;
  contact_key: string;
  body: string;
  created_at: Date;
  routed_at: Date | null;
  routing: RoutingDecision | null;
  messaging_service_sid: string | null;
  contact_id: number | null;
  link_ticket_id: number | null;
  link_twilio_number: string | null;
  link_last_activity_at: Date | null;
  media: MediaRow[];
}

export class SqlMessageStore implements MessageStore {
  constructor(private readonly sql: Sql) {}

  async insertInbound(batch: NewInboundMessage[], queue: string): Promise<{ sid: string; id: number | null }[]> {
    const input = batch.map((m, ord) => ({
      ord,
      sid: m.sid, account_sid: m.accountSid, from_number: m.from, to_number: m.to, contact_key: m.contactKey,
      body: m.body, num_media: m.media.length, params: m.params,
      media: m.media.map((x, idx) => ({ idx, url: x.url, content_type: x.contentType })),
    }));
    // Message, its media rows and its routing job commit together or not at all; jobs are enqueued in
    // arrival order so a burst from one customer is routed in the order Twilio delivered it.
    const keys = [...new Set(batch.map((m) => m.contactKey))];
    const insert = (tx: Sql) => tx.query<{ id: number; sid: string }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
           ord int, sid text, account_sid text, from_number text, to_number text, contact_key text, body text,
           num_media int, params jsonb, media jsonb)
       ), ins AS (
         INSERT INTO messages (sid, account_sid, direction, from_number, to_number, contact_key, body, num_media,
                               params, status, status_history)
         SELECT sid, account_sid, 'inbound', from_number, to_number, contact_key, body, num_media, params, 'received',
                jsonb_build_array(jsonb_build_object('status', 'received', 'at', now(), 'errorCode', NULL))
           FROM input ORDER BY ord
         ON CONFLICT (sid) DO NOTHING
         RETURNING id, sid, contact_key
       ), media_ins AS (
         INSERT INTO media (message_id, idx, source_url, content_type)
         SELECT ins.id, (m->>'idx')::int, m->>'url', m->>'content_type'
           FROM ins JOIN input USING (sid) CROSS JOIN jsonb_array_elements(input.media) m
       ), job_ins AS (
         ${jobInsert({ queue: '$2', key: 'ins.contact_key', payload: "jsonb_build_object('messageId', ins.id)", from: 'ins', orderBy: 'ins.id' })}
       )
       SELECT id, sid FROM ins`,
      [JSON.stringify(input), queue],
    );
    const inserted = await enqueueing(this.sql, queue, keys, insert);
    const ids = new Map(inserted.map((r) => [r.sid, r.id]));
    return batch.map((m) => {
      const id = ids.get(m.sid) ?? null;
      ids.delete(m.sid); // a SID twice in one batch: the second is the duplicate
      return { sid: m.sid, id };
    });
  }

  async loadForRouting(messageId: number, helpdesk: string): Promise<InboundForRouting | null> {
    const rows = await this.sql.query<RoutingRow>(
      `SELECT m.id, m.sid, m.account_sid, m.from_number, m.to_number, m.contact_key, m.body, m.created_at, m.routed_at, m.routing,
              m.params->>'MessagingServiceSid' AS messaging_service_sid,
              ${MEDIA_JSON} AS media,
              cl.contact_id, tl.ticket_id AS link_ticket_id, tl.twilio_number AS link_twilio_number,
              tl.last_activity_at AS link_last_activity_at
         FROM messages m
         LEFT JOIN contact_links cl ON cl.helpdesk = $2 AND cl.contact_key = m.contact_key
         LEFT JOIN LATERAL (SELECT ticket_id, twilio_number, last_activity_at FROM ticket_links
                             WHERE helpdesk = $2 AND contact_key = m.contact_key AND twilio_number = m.to_number
                             ORDER BY last_activity_at DESC LIMIT 1) tl ON true
        WHERE m.id = $1`,
      [messageId, helpdesk],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id, sid: r.sid, accountSid: r.account_sid, from: r.from_number, to: r.to_number, contactKey: r.contact_key,
      body: r.body, createdAt: r.created_at, routedAt: r.routed_at, pendingDecision: r.routed_at ? null : r.routing,
      media: r.media.map(toStoredMedia),
      knownContactId: r.contact_id,
      messagingServiceSid: r.messaging_service_sid,
      recentLink: r.link_ticket_id === null
        ? null
        : toLink({ ticket_id: r.link_ticket_id, twilio_number: r.link_twilio_number!, last_activity_at: r.link_last_activity_at! }),
    };
  }

  async rememberContact(helpdesk: string, contactKey: string, contactId: number): Promise<void> {
    await this.sql.query(
      `INSERT INTO contact_links (helpdesk, contact_key, contact_id) VALUES ($1, $2, $3)
       ON CONFLICT (helpdesk, contact_key) DO UPDATE SET contact_id = EXCLUDED.contact_id`,
      [helpdesk, contactKey, contactId],
    );
  }

  async links(helpdesk: string, ticketIds: number[]): Promise<TicketLink[]> {
    if (!ticketIds.length) return [];
    const rows = await this.sql.query<LinkRow>(
      'SELECT ticket_id, twilio_number, last_activity_at FROM ticket_links WHERE helpdesk = $1 AND ticket_id = ANY($2::bigint[])',
      [helpdesk, ticketIds],
    );
    return rows.map(toLink);
  }

  async saveBlob(blob: Omit<BlobRecord, 'id'>): Promise<BlobRecord> {
    const rows = await this.sql.query<{ id: number }>(
      `WITH ins AS (INSERT INTO blobs (storage_key, filename, content_type, size, sha256) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (storage_key) DO UPDATE SET filename = EXCLUDED.filename, content_type = EXCLUDED.content_type,
                      size = EXCLUDED.size, sha256 = EXCLUDED.sha256
                    RETURNING id)
       SELECT id FROM ins`,
      [blob.storageKey, blob.filename, blob.contentType, blob.size, blob.sha256],
    );
    return { ...blob, id: rows[0]!.id };
  }

  async markMediaStored(mediaId: number, blobId: number, contentType: string): Promise<void> {
    await this.sql.query(
      `UPDATE media SET state = 'stored', blob_id = $2, content_type = COALESCE(content_type, $3), error = NULL WHERE id = $1`,
      [mediaId, blobId, contentType],
    );
  }

  async markMediaMissing(mediaId: number, error: string): Promise<void> {
    await this.sql.query(`UPDATE media SET state = 'missing', error = $2 WHERE id = $1`, [mediaId, error]);
  }

  async recordDecision(messageId: number, decision: RoutingDecision): Promise<void> {
    await this.sql.query('UPDATE messages SET routing = $2 WHERE id = $1 AND routed_at IS NULL', [messageId, JSON.stringify(decision)]);
  }

  async recordRejection(messageId: number, routing: RejectedRouting): Promise<void> {
    await this.sql.query('UPDATE messages SET routing = $2, routed_at = now() WHERE id = $1 AND routed_at IS NULL', [messageId, JSON.stringify(routing)]);
  }

  async recentLink(helpdesk: string, contactKey: string, twilioNumber: string): Promise<TicketLink | null> {
    const rows = await this.sql.query<LinkRow>(
      `SELECT ticket_id, twilio_number, last_activity_at FROM ticket_links
        WHERE helpdesk = $1 AND contact_key = $2 AND twilio_number = $3 ORDER BY last_activity_at DESC LIMIT 1`,
      [helpdesk, contactKey, twilioNumber],
    );
    return rows[0] ? toLink(rows[0]) : null;
  }

  async bindTicket(input: { helpdesk: string; ticketId: number; contactKey: string; twilioNumber: string }): Promise<void> {
    await this.sql.query(
      `INSERT INTO ticket_links (helpdesk, ticket_id, contact_key, twilio_number, last_activity_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (helpdesk, ticket_id) DO UPDATE SET twilio_number = EXCLUDED.twilio_number, last_activity_at = now()`,
      [input.helpdesk, input.ticketId, input.contactKey, input.twilioNumber],
    );
  }

  async finishRouting(input: { messageId: number; helpdesk: string; contactKey: string; twilioNumber: string; activityAt: Date; routing: Routing }): Promise<void> {
    // One statement, so the binding and the decision land together (a statement is atomic on its own).
    await this.sql.query(
      `WITH link AS (
         INSERT INTO ticket_links (helpdesk, ticket_id, contact_key, twilio_number, last_activity_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (helpdesk, ticket_id) DO UPDATE
           SET twilio_number = EXCLUDED.twilio_number, contact_key = EXCLUDED.contact_key,
               last_activity_at = GREATEST(ticket_links.last_activity_at, EXCLUDED.last_activity_at)
       )
       UPDATE messages SET ticket_id = $2, routing = $6, routed_at = now() WHERE id = $7`,
      [input.helpdesk, input.routing.ticketId, input.contactKey, input.twilioNumber, input.activityAt, JSON.stringify(input.routing), input.messageId],
    );
  }
}

interface LinkRow {
  ticket_id: number;
  twilio_number: string;
  last_activity_at: Date;
}

const toLink = (r: LinkRow): TicketLink => ({ ticketId: r.ticket_id, twilioNumber: r.twilio_number, lastActivityAt: new Date(r.last_activity_at) });
