import type {
  AddNoteInput, AgentMessage, AttachmentInput, CreateTicketInput, HelpdeskAttachment, HelpdeskNote, HelpdeskTicket, TicketHeader, TicketStatus,
  TicketSummary,
} from '../../ports/helpdesk.ts';
import { RestClient, type RestRequest } from './rest-client.ts';

/**
 * What Freshdesk v2 and Freshservice v2 share (both Freshworks APIs): basic auth with the API key, ticket
 * statuses 2–5, source Phone = 3, the same ticket and note fields, multipart bodies with `attachments[]`,
 * conversations paged by `Link: <…>; rel="next"`. The adapters differ in contacts vs requesters and in bare
 * vs wrapped JSON.
 */
export const TO_FRESHWORKS: Record<TicketStatus, number> = { open: 2, pending: 3, resolved: 4, closed: 5 };
const FROM_FRESHWORKS: Record<number, TicketStatus> = { 2: 'open', 3: 'pending', 4: 'resolved', 5: 'closed' };
/** Ticket source "Phone": an SMS is a phone channel. */
const SOURCE_PHONE = 3;
const PRIORITY_LOW = 1;
/** The most a list page may hold (per_page beyond is a 400). */
export const PAGE = 100;

export interface FwAttachment { id?: number; name: string; content_type: string; size: number; attachment_url: string }
export interface FwTicket {
  id: number; subject: string; status: number; requester_id: number; description?: string; created_at: string; updated_at: string;
  attachments?: FwAttachment[]; tags?: string[]; priority?: number;
}
/** Freshdesk's and Freshservice's priorities (1–4), by name. */
const PRIORITY_NAMES: Record<number, string> = { 1: 'low', 2: 'medium', 3: 'high', 4: 'urgent' };
export interface FwConversation {
  id: number; body: string; incoming: boolean; private: boolean; user_id: number; created_at: string; attachments?: FwAttachment[];
}
/** The requester as a ticket embeds it (`include=requester`): Freshdesk and Freshservice both say mobile/phone. */
export interface FwEmbeddedRequester { id: number; name: string; mobile?: string | null; phone?: string | null }

export interface FreshworksOptions {
  /** https://acme.freshdesk.com, https://acme.freshservice.com */
  url: string;
  apiKey: string;
  /** How long a call waits out 429s before its job goes back to the queue. */
  maxWaitMs?: number;
}

type Fields = Record<string, string | number | boolean | string[]>;

/** The API key as the basic-auth user, `X` as the password (any password does). */
export function freshworksClient(name: string, url: string, apiKey: string, maxWaitMs?: number): RestClient {
  return new RestClient({ name, baseUrl: url, authorization: 'Basic ' + Buffer.from(`${apiKey}:X`).toString('base64'), maxWaitMs });
}

/** Statuses beyond 5 are an account's custom ones, all of them waiting on someone. */
export function freshworksStatus(n: number): TicketStatus {
  return FROM_FRESHWORKS[n] ?? 'pending';
}

/** A new ticket from a text: source Phone, status Open, priority Low, tagged (default `sms`). */
export function ticketRequest(input: CreateTicketInput): Promise<RestRequest> {
  return body({
    requester_id: input.requesterId, subject: input.subject, description: input.descriptionHtml,
    status: TO_FRESHWORKS.open, priority: PRIORITY_LOW, source: SOURCE_PHONE, tags: input.tags ?? ['sms'],
  }, input.attachments);
}

/** A note; `incoming` + `user_id` = the requester make it show as the customer's message. */
export function noteRequest(input: AddNoteInput): Promise<RestRequest> {
  const fields: Fields = { body: input.bodyHtml, incoming: input.incoming, private: input.private };
  if (input.authorId !== undefined) fields.user_id = input.authorId;
  return body(fields, input.attachments);
}

export function summaryOf(t: FwTicket, requester: FwEmbeddedRequester | undefined): TicketSummary {
  return {
    id: t.id, status: freshworksStatus(t.status), requesterId: t.requester_id, requesterPhone: phoneOf(requester), updatedAt: new Date(t.updated_at),
    ...(t.priority === undefined ? {} : { priority: PRIORITY_NAMES[t.priority] ?? String(t.priority) }),
  };
}

export function phoneOf(r: FwEmbeddedRequester | undefined): string {
  return r?.mobile ?? r?.phone ?? '';
}

/** Public messages by agents: not the customer's (incoming, or written as the requester), not private. */
export function agentMessagesOf(conversations: FwConversation[], requesterId: number): AgentMessage[] {
  return conversations
    .filter((c) => !c.incoming && !c.private && c.user_id !== requesterId)
    .map((c) => ({ id: c.id, bodyHtml: c.body, createdAt: new Date(c.created_at) }));
}

/** The ticket without its conversations (one call). */
export function headerOf(t: FwTicket, requester: FwEmbeddedRequester | undefined): TicketHeader {
  const { id, subject, status, requester: r, createdAt, updatedAt } = hydrate(t, requester, []);
  return { id, subject, status, requester: r, createdAt, updatedAt };
}

export function hydrate(t: FwTicket, requester: FwEmbeddedRequester | undefined, conversations: FwConversation[]): HelpdeskTicket {
  return {
    id: t.id,
    subject: t.subject,
    status: freshworksStatus(t.status),
    requester: requester ? { id: requester.id, name: requester.name, phone: phoneOf(requester) } : { id: t.requester_id, name: '', phone: '' },
    descriptionHtml: t.description ?? '',
    notes: conversations.map((n): HelpdeskNote => ({
      id: n.id, bodyHtml: n.body, incoming: n.incoming, private: n.private, createdAt: new Date(n.created_at),
      attachments: (n.attachments ?? []).map(attachment),
    })),
    attachments: (t.attachments ?? []).map(attachment),
    createdAt: new Date(t.created_at),
    updatedAt: new Date(t.updated_at),
  };
}

/** Every conversation of a ticket, oldest first, following `rel="next"` pages of 100; `unwrap` reads one page. */
export async function allConversations<B>(
  client: RestClient, ticketId: number, unwrap: (body: B) => FwConversation[],
): Promise<FwConversation[]> {
  const all: FwConversation[] = [];
  for (let page = 1; ; page++) {
    const { body, headers } = await client.request<B>('GET', `/api/v2/tickets/${ticketId}/conversations`, { query: { page, per_page: PAGE } });
    const items = unwrap(body);
    all.push(...items);
    if (!/rel="next"/.test(headers.get('link') ?? '') || items.length === 0) return all;
  }
}

/** The first item whose field contains `marker`. */
export function withMarker<T extends { id: number }>(items: T[], text: (item: T) => string | undefined, marker: string): { id: number } | null {
  const found = items.find((i) => (text(i) ?? '').includes(marker));
  return found ? { id: found.id } : null;
}

function attachment(a: FwAttachment): HelpdeskAttachment {
  // Freshservice's View a Ticket sample leaves `id` out of attachments.
  return { id: a.id ?? 0, filename: a.name, contentType: a.content_type, size: a.size, sha256: '', url: a.attachment_url };
}

/** JSON, or multipart when there are files: arrays as `name[]`, each file as `attachments[]`. */
async function body(fields: Fields, files: AttachmentInput[]): Promise<RestRequest> {
  if (!files.length) return { json: fields };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) for (const v of value) form.append(`${name}[]`, v);
    else form.append(name, String(value));
  }
  for (const f of files) form.append('attachments[]', new Blob([new Uint8Array(await f.read())], { type: f.contentType }), f.filename);
  return { form };
}
