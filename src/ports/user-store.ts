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

/** Console users, their sessions and the API tokens admins mint. Secrets are kept as hashes only. */
export interface UserStore {
  count(): Promise<number>;
  create(u: { email: string; name: string; role: Role; passwordHash: string }): Promise<User>;
  list(): Promise<User[]>;
  remove(id: number): Promise<boolean>;
  /** The user and their password hash, by email (case-insensitive). */
  byEmail(email: string): Promise<(User & { passwordHash: string }) | null>;
  createSession(userId: number, tokenHash: string, csrfToken: string, expiresAt: Date): Promise<void>;
  /** A live session by its token hash, its expiry pushed to `renewTo` (at most every 10 minutes). */
  session(tokenHash: string, renewTo: Date): Promise<Session | null>;
  endSession(tokenHash: string): Promise<void>;
  createToken(name: string, tokenHash: string, createdBy: number | null): Promise<ApiTokenView>;
  listTokens(): Promise<ApiTokenView[]>;
  revokeToken(id: number): Promise<boolean>;
  /** Whether a live (not revoked) token has this hash; records its use. */
  useToken(tokenHash: string): Promise<boolean>;
}
