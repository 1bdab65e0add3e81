/** A sender's throughput and capabilities, as Twilio's queue applies them. */
export interface SenderConfig {
  /** Messages per second Twilio dispatches from this sender; the rest wait, `queued`. */
  mps: number;
  /** Whether the sender can send media; MediaUrl on one that cannot answers 400 / 21606. */
  mms: boolean;
}

export type SenderKind = 'short-code' | 'toll-free' | 'long-code';

/** Twilio's default throughput per sender type (US): short code 100 MPS, toll-free 3, long code 1. */
const DEFAULT_MPS: Record<SenderKind, number> = { 'short-code': 100, 'toll-free': 3, 'long-code': 1 };

/** The NANP toll-free area codes: 800, 833, 844, 855, 866, 877, 888 (not every 8xx: 808 is Hawaii). */
const TOLL_FREE = /^\+18(00|33|44|55|66|77|88)\d{7}$/;
const SHORT_CODE = /^\d{5,6}$/;

export function senderKind(sender: string): SenderKind {
  if (SHORT_CODE.test(sender)) return 'short-code';
  if (TOLL_FREE.test(sender)) return 'toll-free';
  // Everything else, including Messaging Service SIDs and alphanumeric sender IDs, as a long code.
  return 'long-code';
}

/**
 * A sender's configuration: what `setSender` set, else the default for its kind. MMS defaults to
 * capable everywhere, so only a test that asks for a non-MMS sender sees 21606.
 */
export class SenderRegistry {
  private readonly configured = new Map<string, SenderConfig>();

  get(sender: string): SenderConfig {
    return this.configured.get(sender) ?? { mps: DEFAULT_MPS[senderKind(sender)], mms: true };
  }

  /** The senders `set` configured, in the order they were first set. */
  configuredSenders(): string[] {
    return [...this.configured.keys()];
  }

  /** Fields left out keep their current value; `null` restores the defaults. */
  set(sender: string, config: Partial<SenderConfig> | null): void {
    if (config === null) {
      this.configured.delete(sender);
      return;
    }
    const next = { ...this.get(sender), ...config };
    if (!(Number.isFinite(next.mps) && next.mps > 0)) throw new RangeError(`mps must be a positive number, got ${next.mps}`);
    this.configured.set(sender, next);
  }
}
