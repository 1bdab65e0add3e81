import {
  HelpdeskError, TicketClosed,
  type AddNoteInput, type AttachmentInput, type CreateTicketInput, type HelpdeskContact, type HelpdeskTicket, type TicketHeader,
  type RecordedRemoteHelpdesk, type RemoteHelpdesk, type TicketEventView, type TicketQuery, type TicketStatus, type TicketSummary,
} from '../../ports/helpdesk.ts';
import type { HelpdeskRecords } from '../../ports/helpdesk-records.ts';
import { escapeHtml } from '../../domain/html.ts';
import { writeMarker } from '../../domain/write-marker.ts';
import type { StatusHistory } from '../../ports/status-history.ts';
import type { EventOutbox } from '../../ports/event-outbox.ts';

export interface RecordedOptions {
  /** How long a cached ticket summary serves threading before it is fetched again. */
  summaryTtlMs: number;
  /** A link to smsdesk's own copy of an attachment that the helpdesk cannot hold (its per-ticket cap). */
  attachmentLink: (a: AttachmentInput) => string;
  /** Status changes seen in helpdesk events are recorded here. */
  history?: StatusHistory;
  /** Where a priority change seen in an event is recorded (ticket.priority_changed). */
  events?: EventOutbox;
  /** HELPDESK_SMS_TAG: the tag every ticket smsdesk opens carries, which auto-SMS looks for (default `sms`). */
  smsTag?: string;
}

export const DEFAULT_SUMMARY_TTL_MS = 2 * 60_000;

/**
 * A remote helpdesk with what smsdesk keeps locally around it:
 * - every write is idempotent: recorded as started before the call and done (with the remote id) after it;
 *   a replay after a crash between the two looks for the write's marker in the helpdesk before writing again,
 *   and a replay after "done" makes no call at all;
 * - ticket summaries (status, requester, updated time) are kept from smsdesk's own writes, helpdesk events
 *   and fetches, and serve threading for `summaryTtlMs`, so a follow-up text costs one call (the note);
 * - attachments past the helpdesk's per-ticket cap (Freshdesk: 20 MB) are not uploaded; the body links to
 *   smsdesk's own copy instead and says why.
 */
export class RecordedHelpdesk implements RecordedRemoteHelpdesk {
  private readonly inProgress = new Map<string, Promise<number>>();

  constructor(
    readonly inner: RemoteHelpdesk,
    private readonly records: HelpdeskRecords,
    private readonly opts: RecordedOptions,
  ) {}

  get name() {
    return this.inner.name;
  }

  get createdPriority() {
    return this.inner.createdPriority;
  }

  get attachmentCapBytes() {
    return this.inner.attachmentCapBytes;
  }

  get calls() {
    return this.inner.calls;
  }

  findContactByPhone(phone: string): Promise<HelpdeskContact | null> {
    return this.inner.findContactByPhone(phone);
  }

  createContact(input: { phone: string; name: string }): Promise<HelpdeskContact> {
    return this.inner.createContact(input);
  }

  async createTicket(input: CreateTicketInput): Promise<{ id: number }> {
    const key = input.idempotencyKey;
    const id = await this.once(key, 'ticket', () => this.inner.findTicketWith(input.requesterId, writeMarker(key)), async () => {
      const fit = this.fit(0, input.attachments);
      // The SMS tag, so agents' replies on the tickets smsdesk opens are texted.
      const tags = [...new Set([...(input.tags ?? []), this.opts.smsTag ?? 'sms'])];
      const { id } = await this.inner.createTicket({
        ...input, tags, descriptionHtml: this.body(input.descriptionHtml, fit.linked, key), attachments: fit.kept,
      });
      await this.records.cacheTicket(this.name, {
        id, status: 'open', requesterId: input.requesterId, requesterPhone: input.requesterPhone, updatedAt: new Date(),
        priority: this.inner.createdPriority,
      }, bytes(fit.kept));
      // Every agent message on a ticket smsdesk opened is a reply auto-SMS may send.
      await this.records.markHandled(this.name, id, 0);
      return id;
    });
    return { id };
  }

  async addNote(ticketId: number, input: AddNoteInput): Promise<{ id: number }> {
    const key = input.idempotencyKey;
    const id = await this.once(key, 'note', () => this.inner.findNoteWith(ticketId, writeMarker(key)), async () => {
      const cached = await this.records.cachedTicket(this.name, ticketId);
      let fit = this.fit(cached?.attachmentBytes ?? 0, input.attachments);
      const write = () => this.inner.addNote(ticketId, { ...input, bodyHtml: this.body(input.bodyHtml, fit.linked, key), attachments: fit.kept });
      let note: { id: number };
      try {
        note = await write();
      } catch (err) {
        if (err instanceof TicketClosed) await this.records.touchTicket(this.name, ticketId, { status: 'closed', updatedAt: new Date() });
        // Files smsdesk did not count (an agent's) filled the ticket: link them all instead.
        if (!(isAttachmentRefusal(err) && fit.kept.length)) throw err;
        fit = { kept: [], linked: input.attachments };
        note = await write();
      }
      await this.records.touchTicket(this.name, ticketId, { updatedAt: new Date(), addAttachmentBytes: bytes(fit.kept) });
      return note.id;
    });
    return { id };
  }

  async setStatus(ticketId: number, status: TicketStatus): Promise<void> {
    await this.inner.setStatus(ticketId, status);
    await this.records.touchTicket(this.name, ticketId, { status, updatedAt: new Date() });
  }

  async getTicketSummary(ticketId: number): Promise<TicketSummary | null> {
    const cached = await this.records.cachedTicket(this.name, ticketId);
    if (cached && Date.now() - cached.seenAt.getTime() < this.opts.summaryTtlMs) {
      const { seenAt: _seen, attachmentBytes: _bytes, ...summary } = cached;
      return summary;
    }
    const fresh = await this.inner.getTicketSummary(ticketId);
    if (fresh) await this.records.cacheTicket(this.name, fresh);
    return fresh;
  }

  async getTicket(ticketId: number): Promise<HelpdeskTicket | null> {
    const t = await this.inner.getTicket(ticketId);
    if (t) await this.records.cacheTicket(this.name, { id: t.id, status: t.status, requesterId: t.requester.id, requesterPhone: t.requester.phone, updatedAt: t.updatedAt });
    return t;
  }

  async getTicketHeader(ticketId: number): Promise<TicketHeader | null> {
    const t = await this.inner.getTicketHeader(ticketId);
    if (t) await this.records.cacheTicket(this.name, { id: t.id, status: t.status, requesterId: t.requester.id, requesterPhone: t.requester.phone, updatedAt: t.updatedAt });
    return t;
  }

  listTickets(query: TicketQuery): Promise<HelpdeskTicket[]> {
    return this.inner.listTickets(query);
  }

  listContacts(query: { phone?: string }): Promise<HelpdeskContact[]> {
    return this.inner.listContacts(query);
  }

  findNoteWith(ticketId: number, marker: string): Promise<{ id: number } | null> {
    return this.inner.findNoteWith(ticketId, marker);
  }

  findTicketWith(requesterId: number, marker: string): Promise<{ id: number } | null> {
    return this.inner.findTicketWith(requesterId, marker);
  }

  /** Also notes a status change made in the helpdesk since smsdesk last looked (for the console's thread). */
  async ticketForEvent(ticketId: number): Promise<TicketEventView | null> {
    const before = await this.records.cachedTicket(this.name, ticketId);
    const view = await this.inner.ticketForEvent(ticketId);
    if (!view) return null;
    // The change (and its event) before the cache moves on: a crash in between sees the change again, never misses it.
    if (before && before.status !== view.summary.status) {
      await this.opts.history?.record(this.name, ticketId, { status: view.summary.status, previous: before.status, changedBy: this.name, tags: view.tags });
    }
    const priority = view.summary.priority ?? null;
    if (before?.priority && priority && before.priority !== priority) {
      await this.opts.events?.record([{
        type: 'ticket.priority_changed', dedupeKey: `ticket.priority_changed:${this.name}:${ticketId}:${view.summary.updatedAt.toISOString()}:${priority}`,
        helpdesk: this.name, ticketId,
        data: { ticket: { id: ticketId, status: view.summary.status, priority, previousPriority: before.priority, tags: view.tags, requesterPhone: view.summary.requesterPhone } },
      }]);
    }
    await this.records.cacheTicket(this.name, view.summary);
    return view;
  }

  /** Of these note ids, those smsdesk wrote (its own notes must never come back as texts). */
  ownNotes(noteIds: number[]): Promise<Set<number>> {
    return this.records.ownNotes(this.name, noteIds);
  }

  /**
   * Runs a write once per key: a concurrent call with the same key in this process shares the first call's
   * result; a record of an earlier run answers from it ("done") or has the helpdesk searched first ("started").
   */
  private once(key: string, kind: 'ticket' | 'note', find: () => Promise<{ id: number } | null>, write: () => Promise<number>): Promise<number> {
    const running = this.inProgress.get(key);
    if (running) return running;
    const p = (async () => {
      const earlier = await this.records.startWrite(this.name, key, kind);
      if (earlier?.state === 'done' && earlier.remoteId !== null) return earlier.remoteId;
      if (earlier) {
        const found = await find();
        if (found) {
          await this.records.finishWrite(this.name, key, found.id);
          return found.id;
        }
      }
      const id = await write();
      await this.records.finishWrite(this.name, key, id);
      return id;
    })().finally(() => this.inProgress.delete(key));
    this.inProgress.set(key, p);
    return p;
  }

  /** Which attachments fit under the cap after `used` bytes; the rest are linked. */
  private fit(used: number, files: AttachmentInput[]): { kept: AttachmentInput[]; linked: AttachmentInput[] } {
    const cap = this.inner.attachmentCapBytes;
    if (cap === null) return { kept: files, linked: [] };
    const kept: AttachmentInput[] = [];
    const linked: AttachmentInput[] = [];
    let total = used;
    for (const f of files) {
      if (total + f.size <= cap) {
        kept.push(f);
        total += f.size;
      } else linked.push(f);
    }
    return { kept, linked };
  }

  private body(html: string, linked: AttachmentInput[], key: string): string {
    const links = linked.map((a) => {
      const cap = this.inner.attachmentCapBytes === null ? '' : ` (${this.name} holds ${megabytes(this.inner.attachmentCapBytes)} of attachments per ticket)`;
      return `<p>Attachment ${escapeHtml(a.filename)} (${escapeHtml(a.contentType)}, ${megabytes(a.size)}) is kept by smsdesk, not here${cap}: ` +
        `<a href="${escapeHtml(this.opts.attachmentLink(a))}">download ${escapeHtml(a.filename)}</a>.</p>`;
    });
    return `${html}${links.join('')}<p style="color:#888888;font-size:11px">${escapeHtml(writeMarker(key))}</p>`;
  }
}

function bytes(files: AttachmentInput[]): number {
  return files.reduce((n, f) => n + f.size, 0);
}

function megabytes(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(n < 1024 * 1024 ? 2 : 1)} MB`;
}

/** The helpdesk refused the files for their size (a ticket already full of files smsdesk did not count). */
function isAttachmentRefusal(err: unknown): boolean {
  return err instanceof HelpdeskError && (err.status === 400 || err.status === 413 || err.status === 422) && /attachment/i.test(err.message);
}
