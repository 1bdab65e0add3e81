import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new RangeError(`request body exceeds ${limitBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Twilio's REST error body; `code` is a Twilio error code (2xxxx for the generic HTTP ones). */
export function sendTwilioError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

export function sendTwilioNotFound(res: ServerResponse, path: string): void {
  sendTwilioError(res, 404, 20404, `The requested resource ${path} was not found`);
}

/** Twilio's generic errors follow the pattern 20000 + HTTP status (20404, 20429, 20500, ...). */
export function sendTwilioStatus(res: ServerResponse, status: number, path: string): void {
  if (status === 404) sendTwilioNotFound(res, path);
  else sendTwilioError(res, status, 20000 + status, STATUS_CODES[status] ?? 'Error');
}

export interface BasicCredentials {
  username: string;
  password: string;
}

export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Listens and returns the origin, e.g. `http://127.0.0.1:12345`. */
export async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${hostPart}:${address.port}`;
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  // close() alone waits for keep-alive clients (the app's fetch pool) to hang up.
  server.closeAllConnections();
  await closed;
}

/**
 * Basic auth must name a known account with its token and match the account in the path; Twilio
 * answers 401 otherwise (see `sendUnauthorized`).
 */
export function isAuthorized(authTokens: ReadonlyMap<string, string>, authorization: string | undefined, pathAccountSid: string): boolean {
  const credentials = parseBasicAuth(authorization);
  if (!credentials) return false;
  const expectedToken = authTokens.get(credentials.username);
  return expectedToken !== undefined && expectedToken === credentials.password && credentials.username === pathAccountSid;
}

export function sendUnauthorized(res: ServerResponse): void {
  sendTwilioError(res, 401, 20003, 'Authenticate', { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
}

/** An `application/x-www-form-urlencoded` body, as the SDK sends it (repeated names kept). */
export async function readForm(req: IncomingMessage, limitBytes: number): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, limitBytes)).toString('utf8'));
}
