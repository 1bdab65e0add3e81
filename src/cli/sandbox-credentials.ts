import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets smsdesk makes for itself on first start, kept in DATA_DIR with owner-only permissions so they
 * survive restarts and are never printed: the sandbox Twilio account and, when SMSDESK_API_TOKEN is unset,
 * an API token.
 */
function readOrCreate(path: string, make: () => string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = make();
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return value;
}

export function sandboxAccount(dataDir: string): { sid: string; authToken: string } {
  mkdirSync(dataDir, { recursive: true });
  const raw = readOrCreate(join(dataDir, 'sandbox-account.json'), () =>
    JSON.stringify({ sid: 'AC' + randomBytes(16).toString('hex'), authToken: randomBytes(16).toString('hex') }),
  );
  return JSON.parse(raw) as { sid: string; authToken: string };
}

export function generatedApiTokenPath(dataDir: string): string {
  return join(dataDir, 'api-token');
}

/** The token a server without SMSDESK_API_TOKEN accepts (what the CLI sends it); null before its first start. */
export function readGeneratedApiToken(dataDir: string): string | null {
  const path = generatedApiTokenPath(dataDir);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
}

export function generatedApiToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  return readOrCreate(generatedApiTokenPath(dataDir), () => 'sd_' + randomBytes(24).toString('base64url'));
}
