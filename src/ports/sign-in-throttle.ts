/** A throttle key (e.g. one address, or one email from one address) and how many attempts it allows per window. */
export interface ThrottleKey {
  key: string;
  limit: number;
}

/** Attempts taken by `reserve`: given back by `release` when the sign-in succeeds. */
export interface Reservation {
  keys: { key: string; windowEnds: Date }[];
}

export type Reserved =
  | { ok: true; reservation: Reservation }
  /** `key` has used up its window: nothing was counted, and it allows another attempt in `retryAfterSeconds`. */
  | { ok: false; key: string; retryAfterSeconds: number };

/**
 * Sign-in attempts counted before the password is checked, shared by every instance. Each key allows `limit`
 * attempts in a window that starts with its first one; an attempt in flight counts as a failure until released.
 */
export interface SignInThrottle {
  /**
   * Counts one attempt against every key, each atomically (concurrent attempts on any instance cannot pass a
   * limit together): all of them or, when one is at its limit, none (those already counted are given back).
   */
  reserve(keys: readonly ThrottleKey[], windowSeconds: number): Promise<Reserved>;
  /** The attempt succeeded: its count is given back, and the keys in `forget` start afresh. */
  release(reservation: Reservation, forget: readonly string[]): Promise<void>;
}
