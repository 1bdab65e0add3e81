import type { Harness } from '../helpers/harness.ts';
import { BuiltinHelpdesk } from '../../src/adapters/helpdesk/builtin/builtin-helpdesk.ts';
import { FakeFreshdesk } from '../fakes/freshdesk.ts';
import { FakeFreshservice } from '../fakes/freshservice.ts';
import { FakeZendesk, type ZdStatus } from '../fakes/zendesk.ts';
import type { FakeHelpdeskServer } from '../fakes/fake-helpdesk-server.ts';

/** A ticket as the contract suite reads it, whichever helpdesk holds it. */
export interface SeenTicket {
  id: number;
  requesterId: number;
  requesterPhone: string;
  status: 'open' | 'pending' | 'resolved' | 'closed';
  descriptionHtml: string;
  /** The ticket this one follows up, where the helpdesk records it (Zendesk's via_followup_source_id). */
  followUpOf: number | null;
  attachments: { filename: string; size: number }[];
  notes: { id: number; bodyHtml: string; private: boolean; byRequester: boolean; attachments: { filename: string; size: number }[] }[];
}

export const WEBHOOK_SECRET = 'contract-webhook-secret-0123456789';

/**
 * One helpdesk as the contract suite drives it: smsdesk's environment for it, its state read back in one
 * shape, and what an agent does in its UI (reply, close) with the events that follow.
 */
export interface HelpdeskTarget {
  name: string;
  remote: boolean;
  /** Attachment bytes one ticket may hold (null: no cap). */
  cap: number | null;
  start(): Promise<void>;
  close(): Promise<void>;
  env(): Record<string, string>;
  /** Once smsdesk listens: where the helpdesk's automation posts its events. */
  connect(h: Harness): void;
  tickets(h: Harness): Promise<SeenTicket[]>;
  contactsWith(h: Harness, phone: string): Promise<number[]>;
  /** A contact an agent made in the helpdesk before smsdesk ever saw the customer. */
  precreateContact(h: Harness, phone: string, name: string): Promise<number>;
  agentReply(h: Harness, ticketId: number, html: string): Promise<void>;
  agentClose(h: Harness, ticketId: number): Promise<void>;
  /** An agent resolves the ticket (Freshworks Resolved, Zendesk Solved). */
  agentResolve(h: Harness, ticketId: number): Promise<void>;
  /** An agent raises the priority to urgent; false where the helpdesk has no priorities (the built-in one). */
  agentEscalate(h: Harness, ticketId: number): Promise<boolean>;
  /** The helpdesk delivers its last event about the ticket again (no-op for the built-in helpdesk). */
  refire(ticketId: number): void;
  /** Whether the helpdesk refuses writes to a closed ticket (Zendesk), so smsdesk must open a follow-up. */
  refusesClosedWrites: boolean;
  /** The helpdesk's automation stops posting events (a rule switched off). */
  disconnect(): void;
  /** An agent removes every tag from the ticket (remote helpdesks). */
  untag(ticketId: number): void;
  /** The next n calls to the helpdesk are answered 429 (no-op for the built-in helpdesk). */
  storm(n: number, retryAfterSeconds: number): void;
  /** 429s the helpdesk answered. */
  throttled(): number;
  /**
   * Resolves once smsdesk sent the helpdesk a write whose body contains `text` (and, for a remote helpdesk, once
   * its automation fired the event that write causes); at once for the built-in helpdesk. Rejects loudly on timeout.
   */
  wrote(text: string): Promise<void>;
  /** Events delivered to smsdesk and how it answered them. */
  deliveries(): readonly { status: number | null }[];
  settled(): Promise<void>;
}

interface ApiTicket {
  id: number; status: SeenTicket['status']; requester: { id: number; phone: string }; descriptionHtml: string;
  attachments: { filename: string; size: number }[];
  notes: { id: number; bodyHtml: string; incoming: boolean; private?: boolean; attachments: { filename: string; size: number }[] }[];
}

export const builtinTarget: HelpdeskTarget = {
  name: 'builtin',
  remote: false,
  cap: null,
  start: async () => undefined,
  close: async () => undefined,
  env: () => ({}),
  connect: () => undefined,
  async tickets(h) {
    const { body } = await h.api<{ tickets: ApiTicket[] }>('/api/v1/tickets');
    return body.tickets.map((t) => ({
      id: t.id, requesterId: t.requester.id, requesterPhone: t.requester.phone, status: t.status, descriptionHtml: t.descriptionHtml,
      followUpOf: Number(t.descriptionHtml.match(/Follow-up to closed ticket #(\d+)/)?.[1] ?? NaN) || null,
      attachments: t.attachments.map((a) => ({ filename: a.filename, size: a.size })),
      notes: t.notes.map((n) => ({
        id: n.id, bodyHtml: n.bodyHtml, private: n.private ?? false, byRequester: n.incoming,
        attachments: n.attachments.map((a) => ({ filename: a.filename, size: a.size })),
      })),
    }));
  },
  async contactsWith(h, phone) {
    const { body } = await h.api<{ contacts: { id: number }[] }>(`/api/v1/contacts?phone=${encodeURIComponent(phone)}`);
    return body.contacts.map((c) => c.id);
  },
  async precreateContact(h, phone, name) {
    return (await new BuiltinHelpdesk(h.sql).createContact({ phone, name })).id;
  },
  async agentReply(h, ticketId, html) {
    const res = await h.api(`/api/v1/tickets/${ticketId}/replies`, { method: 'POST', body: { bodyHtml: html } });
    if (res.status !== 202) throw new Error(`reply refused: ${JSON.stringify(res.body)}`);
  },
  async agentClose(h, ticketId) {
    await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'closed' } });
  },
  async agentResolve(h, ticketId) {
    await h.api(`/api/v1/tickets/${ticketId}`, { method: 'PATCH', body: { status: 'resolved' } });
  },
  agentEscalate: async () => false,
  refire: () => undefined,
  refusesClosedWrites: false,
  disconnect: () => undefined,
  untag: () => undefined,
  storm: () => undefined,
  throttled: () => 0,
  wrote: async () => undefined,
  deliveries: () => [],
  settled: async () => undefined,
};

/** What the remote targets share: the fake's server, its events, its 429s. */
abstract class RemoteTarget<F extends FakeHelpdeskServer> implements HelpdeskTarget {
  abstract name: string;
  readonly remote = true;
  abstract cap: number | null;
  fake!: F;
  protected abstract make(): F;
  abstract env(): Record<string, string>;
  abstract tickets(h: Harness): Promise<SeenTicket[]>;
  abstract contactsWith(h: Harness, phone: string): Promise<number[]>;
  abstract precreateContact(h: Harness, phone: string, name: string): Promise<number>;
  abstract agentReply(h: Harness, ticketId: number, html: string): Promise<void>;
  abstract agentClose(h: Harness, ticketId: number): Promise<void>;
  abstract agentResolve(h: Harness, ticketId: number): Promise<void>;
  abstract agentEscalate(h: Harness, ticketId: number): Promise<boolean>;
  abstract refire(ticketId: number): void;

  async start() {
    this.fake = await this.make().start();
  }

  async close() {
    await this.fake?.close();
  }

  refusesClosedWrites = false;

  connect(h: Harness) {
    this.fake.webhook = { url: `${h.smsdesk.publicUrl}/webhooks/helpdesk/${this.name}`, secret: WEBHOOK_SECRET };
  }

  disconnect() {
    this.fake.webhook = null;
  }

  untag(ticketId: number) {
    (this.fake as unknown as { tickets: Map<number, { tags: string[] }> }).tickets.get(ticketId)!.tags = [];
  }

  storm(n: number, retryAfterSeconds: number) {
    this.fake.storm(n, retryAfterSeconds);
  }

  throttled() {
    return this.fake.throttled;
  }

  async wrote(text: string) {
    await this.fake.waitForRequest((c) => c.method !== 'GET' && c.request.raw.toString('utf8').includes(text), { what: `a write containing ${JSON.stringify(text)}` });
  }

  deliveries() {
    return this.fake.deliveries;
  }

  settled() {
    return this.fake.settled();
  }
}

const FD_STATUS = { 2: 'open', 3: 'pending', 4: 'resolved', 5: 'closed' } as const;

/** Freshdesk and Freshservice keep tickets and conversations alike; only the requester differs. */
abstract class FreshworksTarget<F extends FakeFreshdesk | FakeFreshservice> extends RemoteTarget<F> {
  protected abstract phoneOf(requesterId: number): string;

  async tickets(): Promise<SeenTicket[]> {
    return [...this.fake.tickets.values()].map((t) => ({
      id: t.id, requesterId: t.requester_id, requesterPhone: this.phoneOf(t.requester_id), status: FD_STATUS[t.status as 2 | 3 | 4 | 5],
      descriptionHtml: t.description,
      followUpOf: Number(t.description.match(/Follow-up to closed ticket #(\d+)/)?.[1] ?? NaN) || null,
      attachments: t.attachments.map((a) => ({ filename: a.name, size: a.size })),
      notes: (this.fake.conversations.get(t.id) ?? []).map((n) => ({
        id: n.id, bodyHtml: n.body, private: n.private, byRequester: n.incoming && n.user_id === t.requester_id,
        attachments: n.attachments.map((a) => ({ filename: a.name, size: a.size })),
      })),
    }));
  }

  async agentReply(_h: Harness, ticketId: number, html: string) {
    this.fake.agentReply(ticketId, html);
  }

  async agentClose(_h: Harness, ticketId: number) {
    this.fake.agentSetStatus(ticketId, 5);
  }

  async agentResolve(_h: Harness, ticketId: number) {
    this.fake.agentSetStatus(ticketId, 4);
  }

  async agentEscalate(_h: Harness, ticketId: number) {
    this.fake.agentSetPriority(ticketId, 4);
    return true;
  }

  refire(ticketId: number) {
    this.fake.refire(ticketId);
  }
}

class FreshdeskTarget extends FreshworksTarget<FakeFreshdesk> {
  name = 'freshdesk';
  cap = 20 * 1024 * 1024;
  protected make() {
    return new FakeFreshdesk();
  }
  env() {
    return { HELPDESK: 'freshdesk', FRESHDESK_URL: this.fake.url, FRESHDESK_API_KEY: this.fake.apiKey, HELPDESK_WEBHOOK_SECRET: WEBHOOK_SECRET };
  }
  protected phoneOf(requesterId: number) {
    return this.fake.contacts.get(requesterId)?.mobile ?? '';
  }
  async contactsWith(_h: Harness, phone: string) {
    return [...this.fake.contacts.values()].filter((c) => c.mobile === phone).map((c) => c.id);
  }
  async precreateContact(_h: Harness, phone: string, name: string) {
    const res = await fetch(`${this.fake.url}/api/v2/contacts`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${this.fake.apiKey}:X`).toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ name, mobile: phone }),
    });
    return ((await res.json()) as { id: number }).id;
  }
}

class FreshserviceTarget extends FreshworksTarget<FakeFreshservice> {
  name = 'freshservice';
  cap = 40 * 1024 * 1024;
  protected make() {
    return new FakeFreshservice();
  }
  env() {
    return { HELPDESK: 'freshservice', FRESHSERVICE_URL: this.fake.url, FRESHSERVICE_API_KEY: this.fake.apiKey, HELPDESK_WEBHOOK_SECRET: WEBHOOK_SECRET };
  }
  protected phoneOf(requesterId: number) {
    return this.fake.requesters.get(requesterId)?.mobile_phone_number ?? '';
  }
  async contactsWith(_h: Harness, phone: string) {
    return [...this.fake.requesters.values()].filter((r) => r.mobile_phone_number === phone).map((r) => r.id);
  }
  async precreateContact(_h: Harness, phone: string, name: string) {
    const res = await fetch(`${this.fake.url}/api/v2/requesters`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${this.fake.apiKey}:X`).toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ first_name: name, mobile_phone_number: phone }),
    });
    return ((await res.json()) as { requester: { id: number } }).requester.id;
  }
}

const ZD_STATUS: Record<ZdStatus, SeenTicket['status']> = { new: 'open', open: 'open', pending: 'pending', hold: 'pending', solved: 'resolved', closed: 'closed' };

class ZendeskTarget extends RemoteTarget<FakeZendesk> {
  name = 'zendesk';
  cap = null;
  override refusesClosedWrites = true;
  protected make() {
    return new FakeZendesk();
  }
  env() {
    return { HELPDESK: 'zendesk', ZENDESK_URL: this.fake.url, ZENDESK_EMAIL: this.fake.email, ZENDESK_API_TOKEN: this.fake.apiToken, HELPDESK_WEBHOOK_SECRET: WEBHOOK_SECRET };
  }
  async tickets(): Promise<SeenTicket[]> {
    return [...this.fake.tickets.values()].map((t) => {
      const u = this.fake.users.get(t.requester_id)!;
      const [first, ...rest] = this.fake.comments.get(t.id) ?? [];
      const source = t.via.source.rel === 'follow_up' ? Number((t.via.source.from as { ticket_id?: number }).ticket_id) : null;
      return {
        id: t.id, requesterId: t.requester_id, requesterPhone: u.external_id ?? '', status: ZD_STATUS[t.status],
        descriptionHtml: first?.html_body ?? '', followUpOf: source,
        attachments: (first?.attachments ?? []).map((a) => ({ filename: a.file_name, size: a.size })),
        notes: rest.map((c) => ({
          id: c.id, bodyHtml: c.html_body, private: !c.public, byRequester: c.author_id === t.requester_id,
          attachments: c.attachments.map((a) => ({ filename: a.file_name, size: a.size })),
        })),
      };
    });
  }
  async contactsWith(_h: Harness, phone: string) {
    return [...this.fake.users.values()].filter((u) => u.external_id === phone).map((u) => u.id);
  }
  async precreateContact(_h: Harness, phone: string, name: string) {
    const res = await fetch(`${this.fake.url}/api/v2/users`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${this.fake.email}/token:${this.fake.apiToken}`).toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ user: { name, external_id: phone, phone } }),
    });
    return ((await res.json()) as { user: { id: number } }).user.id;
  }
  async agentReply(_h: Harness, ticketId: number, html: string) {
    this.fake.agentReply(ticketId, html);
  }
  async agentClose(_h: Harness, ticketId: number) {
    this.fake.agentSetStatus(ticketId, 'closed');
  }
  async agentResolve(_h: Harness, ticketId: number) {
    this.fake.agentSetStatus(ticketId, 'solved');
  }
  async agentEscalate(_h: Harness, ticketId: number) {
    this.fake.agentSetPriority(ticketId, 'urgent');
    return true;
  }
  refire(ticketId: number) {
    this.fake.refire(ticketId);
  }
}

export const freshdeskTarget = () => new FreshdeskTarget();
export const freshserviceTarget = () => new FreshserviceTarget();
export const zendeskTarget = () => new ZendeskTarget();
