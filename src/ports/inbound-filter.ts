import type { InboundForRouting } from './message-store.ts';

export type InboundVerdict = { action: 'accept' } | { action: 'reject'; reason: string; webhookId?: number | null };

/**
 * Asked before an inbound text is routed (outgoing webhooks with `"decide": true`): reject keeps the text
 * and opens no ticket. Fails open: anything but a clear rejection is an accept. The verdict is recorded
 * before it is returned, so a replayed routing job gets the same one without asking again.
 */
export interface InboundFilter {
  decide(message: InboundForRouting): Promise<InboundVerdict>;
}
