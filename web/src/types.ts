/** The JSON shapes of docs/console.md (and the REST API's Ticket and Message), as the console reads them. */

import type { User } from '../../src/domain/users.ts';

// A console user has the server's own shape (type-only: nothing of the server enters the bundle).
export type { Role, User } from '../../src/domain/users.ts';

export interface Session {
  user: User;
  csrfToken: string;
}

// Ticket statuses, as the server's domain has them (one source).
import type { TicketStatus } from '../../src/domain/ticket-status.ts';
import type { ScheduleSettings as DomainScheduleSettings } from '../../src/domain/hours.ts';
import type { PriceTable, UsageReport } from '../../src/domain/usage.ts';
export { TICKET_STATUSES, type TicketStatus } from '../../src/domain/ticket-status.ts';

export type Direction = 'inbound' | 'outbound';

export interface Conversation {
  ticketId: number;
  subject: string;
  status: TicketStatus;
  contact: { name: string; phone: string };
  twilioNumber: string | null;
  lastMessage: { id: number; direction: Direction; body: string; status: string; createdAt: string } | null;
  unread: boolean;
  lastActivityAt: string;
  /** The team of its Twilio number (Settings → Twilio numbers), or null. */
  group: string | null;
}

export interface Attachment {
  id: number;
  filename: string;
  contentType: string;
  size: number;
  url: string;
}

export interface Note {
  id: number;
  bodyHtml: string;
  incoming: boolean;
  private: boolean;
  createdAt: string;
  attachments: Attachment[];
}

export interface Ticket {
  id: number;
  subject: string;
  status: TicketStatus;
  requester: { id: number; name: string; phone: string };
  twilioNumber: string | null;
  descriptionHtml: string;
  notes: Note[];
  attachments: Attachment[];
  createdAt: string;
  updatedAt: string;
  /** The ticket's latest CSAT rating (a 1–5 answer to an automation's survey), or null. */
  csat?: CsatRating | null;
}

export interface CsatRating {
  rating: number;
  /** The words after the number ("4 great" → "great"); may be empty. */
  comment: string;
  at: string;
}

/** `GET /api/v1/reports/csat?days=`: one row per ISO week (UTC), agent, Twilio number and group. */
export interface CsatReport {
  since: string;
  rows: CsatReportRow[];
}

export interface CsatReportRow {
  /** ISO week, e.g. 2026-W49. */
  week: string;
  /** The agent who last replied on the ticket before the rating, or null (no agent replied). */
  agent: string | null;
  twilioNumber: string | null;
  group: string | null;
  ratings: number;
  /** The rows' ratings' average (rounded to 2 decimals by smsdesk). */
  average: number;
}

export interface StatusChange {
  status: string;
  at: string;
  errorCode: number | null;
}

export interface ErrorExplanation {
  title: string;
  explanation: string;
  fix: string;
  moreInfo: string | null;
}

export interface Media {
  id: number | null;
  contentType: string | null;
  size: number | null;
  url: string | null;
  state?: string;
  error?: string | null;
}

export interface Routing {
  /** `append`, `create`, or `rejected` (an inbound filter kept the text off the tickets: `reason` says why). */
  action?: string;
  rule?: string;
  reason?: string;
  ticketId?: number;
  reopen?: boolean;
  followUpOf?: number;
  keyword?: string;
  decidedAt?: string;
}

export interface Message {
  id: number;
  sid: string | null;
  direction: Direction;
  from: string;
  to: string;
  body: string;
  status: string;
  statusHistory: StatusChange[];
  encoding?: string;
  segments?: number;
  errorCode: number | null;
  errorMessage: string | null;
  errorExplanation: ErrorExplanation | null;
  ticketId: number | null;
  routing: Routing | null;
  media: Media[];
  createdAt: string;
  /** When a scheduled message is to go (null once it is not scheduled, or never was). */
  sendAt?: string | null;
  /** Why a scheduled message was moved (quiet hours in the recipient's time zone), or null. */
  heldBy?: string | null;
  /** `agent`, `api`, `automation:<id>`, `helpdesk`; null for inbound texts. */
  origin?: string | null;
  /** The console user who wrote it (an agent's reply or scheduled text), else null. */
  createdBy?: number | null;
}

export interface Template {
  id: number;
  name: string;
  body: string;
  placeholders?: string[];
  createdAt?: string;
  updatedAt?: string;
}

export interface OptOut {
  sender: string;
  keyword: string;
  /** Why, in words ("they texted STOP", "Twilio reported the number unsubscribed (21610)"). */
  reason?: string;
  at: string;
}

export interface TwilioNumber {
  number: string;
  /** Null for a number smsdesk has only seen texts to (its account could not list it). */
  accountSid: string | null;
  mms: boolean | null;
  sms: boolean | null;
  ratePerSecond: number | null;
  /** The team this number belongs to ("Support", "Sales"), or null. */
  group: string | null;
}

export interface Settings {
  threading: { windowMinutes: number; ticketIdPattern: string };
  helpdesk: { kind: string; url: string | null; smsTag: string; webhookSecretSet: boolean };
  twilio: { sandbox: boolean; numbers: TwilioNumber[] };
  /** Every group some number belongs to, sorted. */
  groups: string[];
}

/** `PATCH /api/v1/settings`: any of these. */
export interface SettingsChange {
  threading?: { windowMinutes?: number; ticketIdPattern?: string };
  /** Number → group name; an empty name clears the number's group. */
  numberGroups?: Record<string, string>;
}

export interface ApiToken {
  id: number | string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** An outgoing webhook subscription (GET /api/v1/webhooks): `secret` is masked ("…wxyz") except in the 201 that made it. */
export interface Webhook {
  id: number;
  url: string;
  events: string[];
  decide: boolean;
  secret: string;
  createdAt: string;
  createdBy: number | null;
}

export interface WebhookAttempt {
  series: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookDelivery {
  id: number;
  eventId: string;
  type: string;
  /** `decide`: an inbound filter's question (not resendable). */
  kind: 'event' | 'decide';
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  series: number;
  lastStatusCode: number | null;
  lastError: string | null;
  firstAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  /** Newest first. */
  attemptLog: WebhookAttempt[];
}

export interface HandsetMessage {
  sid: string;
  direction: 'sent' | 'received';
  from: string;
  to: string;
  body: string;
  mediaUrls?: string[];
  status: string;
  errorCode: number | null;
  at: string | null;
}

export interface LiveMessageEvent {
  id: number;
  ticketId: number | null;
  direction: Direction;
  status: string;
  from: string;
  to: string;
}

export type LiveEvent = { type: 'message'; data: LiveMessageEvent } | { type: 'ticket'; data: { id: number } };

/** GET /api/v1/tickets/:id/history: a status change, by an agent's name, "API", "a text from the customer" or the helpdesk. */
export interface TicketStatusChange {
  status: TicketStatus;
  previous: TicketStatus | null;
  changedBy: string;
  at: string;
}

/** GET /api/v1/settings/schedule: the settings (src/domain/hours.ts) with the price table and whether the team is open. */
export interface ScheduleSettings extends DomainScheduleSettings {
  /** Price per segment by country code ("*" for any other). */
  prices: PriceTable;
  /** Whether the business is open now (null without business hours); only in the GET answer. */
  businessOpen?: boolean | null;
  /** The next opening (ISO time) after now ("next business morning"), or null. */
  nextOpening?: string | null;
}

/** PATCH /api/v1/settings/schedule: any of these. */
export type ScheduleSettingsChange = Partial<Omit<ScheduleSettings, 'businessOpen' | 'nextOpening'>>;

/** GET /api/v1/usage: what this calendar month (UTC) has sent (src/domain/usage.ts), with the prices used. */
export interface Usage extends UsageReport {
  prices: PriceTable;
  /** 0.8 or 1 once the busiest account has used that share of the limit, else null. */
  warning: number | null;
}

/** GET /api/v1/contacts/time-zone?phone=: the recipient's time zone and how smsdesk knows it. */
export interface RecipientZone {
  phone: string;
  zone: string;
  source: string;
}

// Automations: the spec is the domain's own shape (src/domain/automations.ts; type-only, nothing of it enters the bundle).
import type { ActionKind, AutomationSpec, Trigger } from '../../src/domain/automations.ts';
export type { Action, ActionKind, AutomationSpec, Conditions, SendSmsAction, Trigger } from '../../src/domain/automations.ts';

/** GET /api/v1/automations/:id (and each of the list). */
export interface StoredAutomation extends AutomationSpec {
  id: number;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/v1/automations/vocabulary: what the editor offers, from the server's domain. */
export interface AutomationVocabulary {
  events: Trigger[];
  actions: ActionKind[];
  placeholders: string[];
  defaultSurveyQuestion: string;
}

/** What one action of a run did. */
export interface AutomationRunAction {
  index: number;
  kind: ActionKind;
  state: 'pending' | 'done' | 'skipped' | 'failed';
  detail: string | null;
}

/** GET /api/v1/automations/:id/runs: one event seen by an automation, newest first. */
export interface AutomationRun {
  id: number;
  automationId: number;
  eventId: string;
  event: string;
  ticketId: number | null;
  fired: boolean;
  reason: string;
  state: 'skipped' | 'running' | 'done' | 'failed';
  actions: AutomationRunAction[];
  createdAt: string;
  finishedAt: string | null;
}
