import type { Helpdesk } from '../ports/helpdesk.ts';
import type { OptOutStore } from '../ports/opt-out-store.ts';
import type { OutboundForSending, OutboundStore, Release } from '../ports/outbound-store.ts';
import { DeferJob } from '../ports/queue.ts';
import type { Clock } from '../ports/clock.ts';
import { AppError, conflict, notFound } from '../domain/errors.ts';
import { localTimeLabel, quietUntil, type CompiledSchedule } from '../domain/hours.ts';
import type { RecipientZone } from '../ports/time-zones.ts';
import { checkOutbound } from '../domain/message-limits.ts';
import { segmentInfo } from '../domain/segments.ts';
import { parseSendAt } from '../domain/schedule.ts';
import { scheduledNotSentHtml } from '../domain/ticket-format.ts';
import { SCHEDULE_QUEUE, sendJob } from './send-message.ts';

/**
 * Messages waiting for their time: edited or canceled while they wait, and handed to the send queue when
 * their timer (a job in SCHEDULE_QUEUE, due at sendAt) comes due. Edit, cancel and release each change the
 * message only while it is still scheduled, in one statement, so when two race exactly one wins and the
 * loser says so (409 not_scheduled; a release that lost finds the message canceled or moved).
 */
export class ScheduledMessages {
  constructor(
    private readonly outbound: OutboundStore,
    private readonly optOuts: OptOutStore,
    private readonly helpdesk: Helpdesk,
    private readonly clock: Clock,
    private readonly events: { released: (m: OutboundForSending) => void; failed: (m: OutboundForSending) => void },
    private readonly rules: {
      settings: () => Promise<CompiledSchedule>;
      /** The recipient's time zone and how it was found (their contact, their number, the default). */
      zoneOf: (phone: string, fallback: string) => Promise<RecipientZone>;
    },
  ) {}

  async edit(id: number, change: { sendAt?: string; body?: string }): Promise<void> {
    const m = await this.scheduled(id);
    const sendAt = change.sendAt === undefined ? undefined : parseSendAt(change.sendAt, this.clock.now());
    let body: { body: string; encoding: string; segments: number } | undefined;
    if (change.body !== undefined) {
      checkOutbound({ body: change.body, from: m.from, media: m.mediaUrls.map((url) => ({ url })), mmsCapable: true });
      const seg = segmentInfo(change.body);
      body = { body: change.body, encoding: seg.encoding, segments: seg.segments };
    }
    if (!(await this.outbound.reschedule(id, { sendAt, ...body }, SCHEDULE_QUEUE))) throw await this.notScheduled(id);
  }

  async cancel(id: number): Promise<void> {
    await this.scheduled(id);
    if (!(await this.outbound.cancelScheduled(id, SCHEDULE_QUEUE))) throw await this.notScheduled(id);
  }

  /**
   * The timer came due. What may have changed since the message was scheduled is checked now: the customer
   * may have opted out, the ticket may be gone. Then it joins its conversation's send queue.
   */
  async release(id: number): Promise<void> {
    const m = await this.outbound.loadForSending(id);
    if (!m || m.status !== 'scheduled') return;
    if (m.sendAt && m.sendAt.getTime() > this.clock.now().getTime()) throw new DeferJob(m.sendAt);
    const optOut = await this.optOuts.activeOptOut(m.accountSid, [m.from], m.to);
    if (optOut) {
      return this.fail(m, `${m.to} opted out of messages from ${optOut.sender} on ${optOut.at.toISOString().slice(0, 10)}, after this text was scheduled.`);
    }
    if (m.ticketId !== null && !(await this.helpdesk.getTicketSummary(m.ticketId))) {
      return this.fail(m, `Ticket ${m.ticketId} no longer exists.`, false);
    }
    const settings = await this.rules.settings();
    if (settings.quiet) {
      const zone = await this.rules.zoneOf(m.to, settings.defaultTimezone);
      const until = quietUntil(this.clock.now(), zone.zone, settings.quiet);
      if (until) {
        const why = `quiet hours ${settings.quietHours} in ${zone.zone} (${zone.source}); sends at ${localTimeLabel(until, zone.zone)}`;
        if (await this.outbound.hold(id, until, why, SCHEDULE_QUEUE)) throw new DeferJob(until);
        return;
      }
    }
    let r: Release;
    try {
      r = await this.outbound.releaseDue(m, sendJob(m), { limit: settings.monthlyLimit });
    } catch (err) {
      if (err instanceof AppError && err.code === 'monthly_limit_reached') return this.fail(m, `${err.code}: ${err.message}`);
      throw err;
    }
    if (r.outcome === 'later') throw new DeferJob(r.at);
    if (r.outcome === 'released') this.events.released(m);
  }

  /** The note first (idempotent), so a retry after a busy helpdesk still writes it; then the status. */
  private async fail(m: OutboundForSending, reason: string, note = true): Promise<void> {
    if (note && m.ticketId !== null) {
      await this.helpdesk.addNote(m.ticketId, {
        idempotencyKey: `scheduled:${m.id}:failed`,
        bodyHtml: scheduledNotSentHtml({ to: m.to, sendAt: m.sendAt ?? this.clock.now(), reason }),
        incoming: false,
        private: true,
        attachments: [],
      });
    }
    if (await this.outbound.failScheduled(m.id, reason)) this.events.failed(m);
  }

  private async scheduled(id: number): Promise<OutboundForSending> {
    const m = await this.outbound.loadForSending(id);
    if (!m) throw notFound('message_not_found', `No outbound message ${id}.`);
    if (m.status !== 'scheduled') throw await this.notScheduled(id, m);
    return m;
  }

  private async notScheduled(id: number, known?: OutboundForSending) {
    const m = known ?? (await this.outbound.loadForSending(id));
    return conflict('not_scheduled', `Message ${id} is ${m?.status ?? 'gone'}, not scheduled: only a scheduled message can be edited or canceled.`);
  }
}
