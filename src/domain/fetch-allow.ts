/**
 * SMSDESK_FETCH_ALLOW: destinations that smsdesk may fetch user-supplied URLs from although they are not
 * public addresses, for development (a media server on 127.0.0.1). Entries name hosts as URLs write them,
 * with or without a port: `127.0.0.1:8080,localhost,[::1]:9000`. Nothing is allowed by default.
 */
export interface FetchAllowEntry {
  /** As the WHATWG URL parser normalizes it (`127.1` → `127.0.0.1`, `[0::1]` → `[::1]`, lower case). */
  host: string;
  /** null: any port. */
  port: number | null;
}

const ENTRY = /^(\[[0-9a-fA-F:.]+\]|[^\s:/?#@[\]*]+)(?::(\d{1,5}))?$/;

/** Throws an Error saying which entry is wrong and what an entry looks like. */
export function parseFetchAllow(raw: string): FetchAllowEntry[] {
  const entries: FetchAllowEntry[] = [];
  for (const part of raw.split(',')) {
    const text = part.trim();
    if (text === '') continue;
    const match = ENTRY.exec(text);
    const bad = () => new Error(`"${text}" is not a host or host:port (e.g. 127.0.0.1:8080,localhost,[::1]:9000)`);
    if (!match) throw bad();
    let host: string;
    try {
      host = new URL(`http://${match[1]}`).hostname;
    } catch {
      throw bad();
    }
    const port = match[2] === undefined ? null : Number(match[2]);
    if (port !== null && (port < 1 || port > 65535)) throw new Error(`"${text}": the port must be between 1 and 65535`);
    entries.push({ host, port });
  }
  return entries;
}

/** Whether a URL's host and port (its scheme's default when it names none) are on the allow-list. */
export function fetchAllowed(entries: readonly FetchAllowEntry[], url: URL): boolean {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return entries.some((e) => e.host === url.hostname && (e.port === null || e.port === port));
}
