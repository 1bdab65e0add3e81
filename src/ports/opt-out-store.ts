import type { OptOutSource } from '../domain/opt-out.ts';

/** Who asked not to be texted, from which number or Messaging Service, and how. */
export interface OptOutRecord {
  accountSid: string;
  /** A phone number or a Messaging Service SID (MG…): an opt-out from a service covers all its numbers. */
  sender: string;
  customer: string;
  optedOut: boolean;
  /** The keyword texted (STOP, START, …) or the Twilio error that told us (21610). */
  keyword: string;
  source: OptOutSource;
}

/** An opt-out in force. */
export interface ActiveOptOut {
  sender: string;
  keyword: string;
  source: OptOutSource;
  at: Date;
}

export interface OptOutStore {
  record(entry: OptOutRecord): Promise<void>;
  /** The opt-out in force for this customer from any of `senders`, or null when they may be texted. */
  activeOptOut(accountSid: string, senders: string[], customer: string): Promise<ActiveOptOut | null>;
  /** Every opt-out in force for this customer, any account and sender (the console's composer). */
  activeFor(customer: string): Promise<ActiveOptOut[]>;
}
