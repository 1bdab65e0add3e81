/** What the console hears about, live: a text or a message's status, a ticket's change. */
export type ConsoleEvent =
  | { event: 'message'; data: { id?: number; sid?: string; ticketId?: number | null; direction?: 'inbound' | 'outbound'; status?: string } }
  | { event: 'ticket'; data: { id: number } };

/** How events reach the other instances: PostgreSQL's NOTIFY, heard back by every instance's LISTEN. */
export interface EventRelay {
  notify(payload: string): Promise<void>;
  /** Calls `onPayload` for every payload any instance notified; resolves to a function that stops. */
  listen(onPayload: (payload: string) => void): Promise<() => void>;
}
