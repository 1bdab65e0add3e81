/**
 * A stateful Twilio stand-in on loopback, modelled on GoAlert's mocktwilio: real HTTP, signed
 * webhooks, media behind basic auth that redirects to a separate CDN origin. Used by the tests and
 * by sandbox mode.
 */
export { startTwilioEmulator } from './emulator.ts';
export type { ApiRequestLog, CdnRequestLog, EmulatorOptions, TwilioEmulator } from './emulator.ts';
export { EmulatorUsageError } from './inbound.ts';
export type { InboundInput, InboundMediaInput, InboundResult } from './inbound.ts';
export { twilioSignature } from './signature.ts';
export type { MediaFaults } from './store.ts';
