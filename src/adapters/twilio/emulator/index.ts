/**
 * A stateful Twilio stand-in on loopback, modelled on GoAlert's mocktwilio: real HTTP, signed
 * webhooks, media behind basic auth that redirects to a separate CDN origin, and the outbound
 * Messages API (create, fetch, list, cancel) with per-sender queues and signed status callbacks, and
 * the Calls API (create, fetch, list) with per-account CPS, call progress, signed status callbacks and
 * the text each call would speak. Used by the tests and by sandbox mode.
 */
export { startTwilioEmulator } from './emulator.ts';
export type { ApiRequestLog, CdnRequestLog, EmulatorOptions, HeldCreates, InboundWebhookLog, TwilioEmulator } from './emulator.ts';
export type { WaitOptions } from '../../event-log.ts';
export { EmulatorUsageError } from './inbound.ts';
export type { InboundInput, InboundMediaInput, InboundResult } from './inbound.ts';
export type { CreateRequestLog, EmulatorMessageView } from './messages-api.ts';
export type { EmulatorCallView } from './calls-api.ts';
export type { CallEvent, CallOutcome, CallStatus, CallStatusCallbackLog } from './calls.ts';
export type { TwimlError } from './twiml-reader.ts';
export type { CreateFault, DeliveryOutcome, OutboundSettings, SentLogEntry, StatusCallbackLog } from './outbound.ts';
export type { SenderConfig } from './senders.ts';
export { twilioSignature } from './signature.ts';
export type { MediaFaults, MessageStatus } from './store.ts';
