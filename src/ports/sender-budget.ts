/**
 * Each sender's send budget, shared by every smsdesk instance: Twilio queues what a sender is given beyond
 * its rate and fails what waits too long (30001 queue overflow), so smsdesk spaces its own sends instead.
 * The budget is a schedule: every reservation books the next free stretch of `segments / rate` seconds.
 */
export interface SenderBudget {
  /**
   * Books `segments` slots of `sender` at `rate` segments per second and returns the instant this message may
   * go: the end of the previous booking, or now when the sender has been idle. Atomic: concurrent reservations
   * (from any instance) get distinct, non-overlapping slots. The instant is on the database's clock.
   */
  reserve(sender: string, segments: number, rate: number): Promise<Date>;
}

/** What delivery needs to pace a sender: the shared budget and each sender's rate in segments per second. */
export interface SendPacing {
  budget: SenderBudget;
  rate(sender: string): number;
}
