import { SqlUserStore } from '../../src/adapters/db/user-store.ts';
import { hashPassword } from '../../src/domain/passwords.ts';
import type { Role } from '../../src/ports/user-store.ts';
import type { Harness } from './harness.ts';

export const PASSWORD = 'correct horse battery';

/** A console user made straight in the database (as `smsdesk user add` does). */
export async function addUser(h: Harness, email: string, role: Role = 'admin', name = 'Ana Agent'): Promise<void> {
  await new SqlUserStore(h.sql).create({ email, name, role, passwordHash: await hashPassword(PASSWORD) });
}

export interface Browser {
  cookie: string;
  csrfToken: string;
  /** A request as the console makes it: the session cookie, and the CSRF token on writes unless `csrf: false`. */
  call<T = Record<string, unknown>>(path: string, init?: { method?: string; body?: unknown; csrf?: boolean; raw?: { bytes: Buffer; type: string } }): Promise<{ status: number; body: T; headers: Headers }>;
}

/** Signs in over HTTP as a browser would; throws unless it worked. */
export async function signIn(h: { smsdesk: { url: string } }, email: string, password = PASSWORD): Promise<Browser> {
  const res = await fetch(`${h.smsdesk.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    cookie,
    csrfToken,
    async call(path, init = {}) {
      const headers: Record<string, string> = { cookie };
      const method = init.method ?? 'GET';
      if (method !== 'GET' && init.csrf !== false) headers['x-csrf-token'] = csrfToken;
      let body: string | Uint8Array<ArrayBuffer> | undefined;
      if (init.raw) {
        headers['content-type'] = init.raw.type;
        body = new Uint8Array(init.raw.bytes);
      } else if (init.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.body);
      }
      const r = await fetch(h.smsdesk.url + path, { method, headers, body });
      const text = await r.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: r.status, body: parsed as never, headers: r.headers };
    },
  };
}
