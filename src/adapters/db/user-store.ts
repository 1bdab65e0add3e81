import type { Sql } from './sql.ts';
import type { ApiTokenView, Role, Session, TokenOwner, User, UserStore } from '../../ports/user-store.ts';
import { emailKey } from '../../domain/email.ts';

interface UserRow { id: number; email: string; name: string; role: Role; password_hash: string }
interface TokenRow { id: number; name: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }

const RENEW_EVERY_MS = 10 * 60_000;

const user = (r: UserRow): User => ({ id: r.id, email: r.email, name: r.name, role: r.role });
const token = (r: TokenRow): ApiTokenView => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at });

export class SqlUserStore implements UserStore {
  constructor(private readonly sql: Sql) {}

  async count(): Promise<number> {
    const [r] = await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return r!.n;
  }

  async create(u: { email: string; name: string; role: Role; passwordHash: string }): Promise<User> {
    const [r] = await this.sql.query<UserRow>(
      'INSERT INTO users (email, email_key, name, role, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id, email, name, role, password_hash',
      [u.email.trim(), emailKey(u.email), u.name, u.role, u.passwordHash],
    );
    return user(r!);
  }

  async createFirstAdmin(u: { email: string; name: string; passwordHash: string }): Promise<User | null> {
    return this.sql.transaction(async (tx) => {
      // Held to the commit, it makes "no user yet" and the insert one step: a concurrent insert waits, then
      // this one sees its row (SELECTs are not blocked).
      await tx.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
      const [r] = await tx.query<UserRow>(
        `INSERT INTO users (email, email_key, name, role, password_hash) SELECT $1, $2, $3, 'admin', $4
          WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING id, email, name, role, password_hash`,
        [u.email.trim(), emailKey(u.email), u.name, u.passwordHash],
      );
      return r ? user(r) : null;
    });
  }

  async list(): Promise<User[]> {
    return (await this.sql.query<UserRow>('SELECT id, email, name, role, password_hash FROM users ORDER BY id')).map(user);
  }

  async remove(id: number): Promise<boolean> {
    // The user's API tokens go with them, in the same transaction: a token never outlives its owner's power.
    return this.sql.transaction(async (tx) => {
      await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE created_by = $1 AND revoked_at IS NULL', [id]);
      return (await tx.query('DELETE FROM users WHERE id = $1 RETURNING id', [id])).length > 0;
    });
  }

  async byEmail(email: string): Promise<(User & { passwordHash: string }) | null> {
    const [r] = await this.sql.query<UserRow>('SELECT id, email, name, role, password_hash FROM users WHERE email_key = $1', [emailKey(email)]);
    return r ? { ...user(r), passwordHash: r.password_hash } : null;
  }

  async createSession(userId: number, tokenHash: string, csrfToken: string, expiresAt: Date): Promise<void> {
    await this.sql.query('INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash, userId, csrfToken, expiresAt]);
  }

  async session(tokenHash: string, renewTo: Date): Promise<Session | null> {
    const [r] = await this.sql.query<UserRow & { csrf_token: string; expires_at: Date }>(
      `SELECT u.id, u.email, u.name, u.role, u.password_hash, s.csrf_token, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [tokenHash],
    );
    if (!r) return null;
    // Renewed at most every 10 minutes: a browser's every request is a read, not a write.
    let expiresAt = new Date(r.expires_at);
    if (renewTo.getTime() - expiresAt.getTime() > RENEW_EVERY_MS) {
      await this.sql.query('UPDATE sessions SET expires_at = $2 WHERE token_hash = $1', [tokenHash, renewTo]);
      expiresAt = renewTo;
    }
    return { user: user(r), csrfToken: r.csrf_token, expiresAt };
  }

  async endSession(tokenHash: string): Promise<void> {
    await this.sql.query('DELETE FROM sessions WHERE token_hash = $1 OR expires_at < now()', [tokenHash]);
  }

  async createToken(name: string, tokenHash: string, createdBy: number | null): Promise<ApiTokenView> {
    const [r] = await this.sql.query<TokenRow>(
      'INSERT INTO api_tokens (name, token_hash, created_by) VALUES ($1, $2, $3) RETURNING id, name, created_at, last_used_at, revoked_at',
      [name, tokenHash, createdBy],
    );
    return token(r!);
  }

  async listTokens(): Promise<ApiTokenView[]> {
    return (await this.sql.query<TokenRow>('SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id')).map(token);
  }

  async revokeToken(id: number): Promise<boolean> {
    return (await this.sql.query('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async useToken(tokenHash: string): Promise<TokenOwner | null> {
    const [r] = await this.sql.query<{ id: number; stale: boolean; user_id: number | null; email: string; name: string; role: Role }>(
      `SELECT t.id, (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale,
              u.id AS user_id, u.email, u.name, u.role
         FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      [tokenHash],
    );
    if (!r) return null;
    // last_used_at to the minute: a busy integration does not write on every request.
    if (r.stale) await this.sql.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [r.id]);
    return { user: r.user_id === null ? null : { id: r.user_id, email: r.email, name: r.name, role: r.role } };
  }
}
