import type { Role, User } from '../domain/users.ts';

export type { Role, User } from '../domain/users.ts';

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: Date;
}

export interface ApiTokenView {
  id: number;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/**
 * Whom a minted API token acts for: the admin who minted it (with that user's current role), or null when
 * the operator minted it with the configured token (it acts as the operator: an admin).
 */
export interface TokenOwner {
  user: User | null;
}

/** Console users, their sessions and the API tokens admins mint. Secrets are kept as hashes only. */
export interface UserStore {
  count(): Promise<number>;
  create(u: { email: string; name: string; role: Role; passwordHash: string }): Promise<User>;
  /** An admin, only while there is no user at all (atomic across concurrent calls and instances); null otherwise. */
  createFirstAdmin(u: { email: string; name: string; passwordHash: string }): Promise<User | null>;
  list(): Promise<User[]>;
  /** Deletes the user and revokes the API tokens they minted, in one transaction. */
  remove(id: number): Promise<boolean>;
  /** The user and their password hash, by email as domain/email.ts compares them (case, width and accents aside). */
  byEmail(email: string): Promise<(User & { passwordHash: string }) | null>;
  createSession(userId: number, tokenHash: string, csrfToken: string, expiresAt: Date): Promise<void>;
  /** A live session by its token hash, its expiry pushed to `renewTo` (at most every 10 minutes). */
  session(tokenHash: string, renewTo: Date): Promise<Session | null>;
  endSession(tokenHash: string): Promise<void>;
  createToken(name: string, tokenHash: string, createdBy: number | null): Promise<ApiTokenView>;
  listTokens(): Promise<ApiTokenView[]>;
  revokeToken(id: number): Promise<boolean>;
  /** Whom the live (not revoked) token with this hash acts for, null when there is none; records its use. */
  useToken(tokenHash: string): Promise<TokenOwner | null>;
}
