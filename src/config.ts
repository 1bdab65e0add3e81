import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileTicketIdPattern, type TicketIdPattern } from './domain/threading.ts';
import { toE164 } from './domain/phone.ts';
import { parseSenderRates } from './domain/sender-rates.ts';
import { parseFetchAllow, type FetchAllowEntry } from './domain/fetch-allow.ts';
import { compileSchedule, type ScheduleSettings } from './domain/hours.ts';
import ipaddr from 'ipaddr.js';
import type { TwilioAccount } from './ports/messaging.ts';

/**
 * Configuration from the environment, optionally completed by a JSON file (SMSDESK_CONFIG); the environment
 * wins. Every bad value raises a ConfigError naming the variable, so start-up can stop with one clear line.
 */
export type HelpdeskKind = 'builtin' | 'freshdesk' | 'freshservice' | 'zendesk';

export type { TwilioAccount } from './ports/messaging.ts';

export interface Config {
  port: number;
  host: string;
  /** TRUST_PROXY as Fastify's trustProxy: whose X-Forwarded-For is believed for the client's address. */
  trustProxy: boolean | number | string[];
  dataDir: string;
  databaseUrl: string | null;
  /** null: PUBLIC_URL unset, so it is http://HOST:PORT of the address actually bound (PORT=0 in tests). */
  publicUrl: string | null;
  twilio: {
    /** No credentials configured: smsdesk runs its own Twilio emulator. */
    sandbox: boolean;
    accounts: TwilioAccount[];
    apiBaseUrl: string;
    /** Replies to a ticket bound to no number come from this one (TWILIO_DEFAULT_NUMBER). */
    defaultNumber: string | null;
  };
  apiToken: string | null;
  /** METRICS_TOKEN: the bearer token GET /metrics requires; null: /metrics answers anyone who can reach it. */
  metricsToken: string | null;
  threading: { windowMinutes: number; ticketIdPattern: TicketIdPattern | null };
  helpdesk: {
    kind: HelpdeskKind;
    freshdesk: { url: string; apiKey: string } | null;
    freshservice: { url: string; apiKey: string } | null;
    zendesk: { url: string; email: string; apiToken: string } | null;
    /** HELPDESK_WEBHOOK_SECRET: what the helpdesk's webhook must carry (Zendesk: its signing secret); null refuses all. */
    webhookSecret: string | null;
    /** HELPDESK_SMS_TAG: agent replies on tickets with this tag go out by SMS (auto-SMS). */
    smsTag: string;
  };
  blob: { azureConnectionString: string | null; azureContainer: string };
  logLevel: string;
  /** Per-number send rates in segments per second (SMSDESK_SENDER_RATES); others get their kind's default. */
  senderRates: ReadonlyMap<string, number>;
  /** SMSDESK_FETCH_ALLOW: development hosts that user-supplied URLs may reach although not public. */
  fetchAllow: readonly FetchAllowEntry[];
  /** Quiet and business hours, time zone, monthly limit: the defaults that Settings may override. */
  schedule: ScheduleSettings;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

/** Values from the optional JSON config file, keyed by the same names as the environment variables. */
function readConfigFile(path: string): { values: Source; twilioAccounts: TwilioAccount[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('SMSDESK_CONFIG', `cannot read ${path} as JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('SMSDESK_CONFIG', `${path} must hold a JSON object of VARIABLE: value pairs`);
  }
  const values: Source = {};
  let twilioAccounts: TwilioAccount[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'twilioAccounts') {
      twilioAccounts = parseAccounts(value);
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[key] = String(value);
    } else {
      throw new ConfigError('SMSDESK_CONFIG', `${key} in ${path} must be a string or number`);
    }
  }
  return { values, twilioAccounts };
}

function parseAccounts(value: unknown): TwilioAccount[] {
  const problem = 'twilioAccounts must be a list of {"sid": "AC…", "authToken": "…"}';
  if (!Array.isArray(value)) throw new ConfigError('SMSDESK_CONFIG', problem);
  return value.map((entry: unknown) => {
    const e = entry as { sid?: unknown; authToken?: unknown };
    if (typeof e?.sid !== 'string' || typeof e.authToken !== 'string') throw new ConfigError('SMSDESK_CONFIG', problem);
    checkAccountSid('SMSDESK_CONFIG twilioAccounts[].sid', e.sid);
    return { sid: e.sid, authToken: e.authToken };
  });
}

function checkAccountSid(variable: string, sid: string): void {
  if (!/^AC[0-9a-fA-F]{32}$/.test(sid)) {
    throw new ConfigError(variable, 'must be an Account SID: AC followed by 32 hex digits (Twilio Console → Account Info)');
  }
}

function integer(src: Source, name: string, fallback: number, min: number, max: number): number {
  const raw = src[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function httpUrl(name: string, raw: string, hint: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL such as ${hint}, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must start with http:// or https://, got "${raw}"`);
  }
  if (url.search || url.hash) throw new ConfigError(name, `must not carry a query or fragment, got "${raw}"`);
  return url.toString().replace(/\/+$/, '');
}

function helpdeskUrl(src: Source, name: string, hint: string): string {
  const raw = src[name];
  if (!raw) throw new ConfigError(name, `is required when HELPDESK=${src.HELPDESK}, e.g. ${hint}`);
  const url = httpUrl(name, raw, hint);
  // The host as parsed, not a prefix of the text: "http://127.0.0.1:80@evil.example" is evil.example.
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'https:' && !(protocol === 'http:' && (hostname === '127.0.0.1' || hostname === 'localhost'))) {
    throw new ConfigError(name, 'must use https:// (credentials are sent to it)');
  }
  return url;
}

function e164(src: Source, name: string): string | null {
  const raw = src[name]?.trim();
  if (!raw) return null;
  const number = toE164(raw);
  if (!number) throw new ConfigError(name, `must be a phone number in E.164 form such as +14155550199, got "${raw}"`);
  return number;
}

function webhookSecret(src: Source): string | null {
  const v = src.HELPDESK_WEBHOOK_SECRET?.trim();
  if (!v) return null;
  if (v.length < 16) throw new ConfigError('HELPDESK_WEBHOOK_SECRET', 'must be at least 16 characters (e.g. openssl rand -hex 24)');
  return v;
}

/** proxy-addr's names for address ranges, which Fastify's trustProxy understands too. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `true`, a hop count, or comma-separated IPs/CIDRs (Fastify's trustProxy); unset or `false`: trust no proxy. */
function trustProxy(src: Source): boolean | number | string[] {
  const raw = src.TRUST_PROXY?.trim() ?? '';
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return integer(src, 'TRUST_PROXY', 0, 0, 20);
  const entries = raw.split(',').map((e) => e.trim());
  for (const entry of entries) {
    // IPv4 only in its four-part decimal form: ipaddr reads "1.5" as 1.0.0.5, which nobody means here.
    const valid = RANGE_NAMES.has(entry) || (entry.includes('/')
      ? ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry)
      : ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry));
    if (!valid) {
      throw new ConfigError('TRUST_PROXY', `"${entry}" is not an IP address or CIDR range; use true, a hop count such as 1, or the proxies' addresses such as 10.0.0.5,10.1.0.0/16`);
    }
  }
  return entries;
}

function required(src: Source, name: string, why: string): string {
  const v = src[name];
  if (!v) throw new ConfigError(name, `is required ${why}`);
  return v;
}

export function loadConfig(env: Source = process.env): Config {
  const file = env.SMSDESK_CONFIG ? readConfigFile(resolve(env.SMSDESK_CONFIG)) : { values: {}, twilioAccounts: [] };
  const src: Source = { ...file.values };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) src[k] = v;

  const port = integer(src, 'PORT', 3000, 0, 65535);
  const host = src.HOST?.trim() || '127.0.0.1';
  const publicUrl = src.PUBLIC_URL
    ? httpUrl('PUBLIC_URL', src.PUBLIC_URL, 'https://sms.example.com')
    : null;

  const sid = src.TWILIO_ACCOUNT_SID?.trim();
  const token = src.TWILIO_AUTH_TOKEN?.trim();
  if (Boolean(sid) !== Boolean(token)) {
    const missing = sid ? 'TWILIO_AUTH_TOKEN' : 'TWILIO_ACCOUNT_SID';
    throw new ConfigError(missing, 'must be set together with ' + (sid ? 'TWILIO_ACCOUNT_SID' : 'TWILIO_AUTH_TOKEN') + ' (or unset both for sandbox mode)');
  }
  const accounts = [...file.twilioAccounts];
  if (sid && token) {
    checkAccountSid('TWILIO_ACCOUNT_SID', sid);
    accounts.unshift({ sid, authToken: token });
  }
  const apiBaseUrl = httpUrl('TWILIO_API_BASE_URL', src.TWILIO_API_BASE_URL || 'https://api.twilio.com', 'https://api.twilio.com');

  let ticketIdPattern: TicketIdPattern | null;
  try {
    ticketIdPattern = compileTicketIdPattern(src.TICKET_ID_PATTERN ?? '#(\\d+)');
  } catch (err) {
    throw new ConfigError('TICKET_ID_PATTERN', (err as Error).message);
  }

  const kind = (src.HELPDESK || 'builtin') as HelpdeskKind;
  if (!['builtin', 'freshdesk', 'freshservice', 'zendesk'].includes(kind)) {
    throw new ConfigError('HELPDESK', `must be builtin, freshdesk, freshservice or zendesk, got "${src.HELPDESK}"`);
  }
  let senderRates: ReadonlyMap<string, number>;
  try {
    senderRates = parseSenderRates(src.SMSDESK_SENDER_RATES ?? '');
  } catch (err) {
    throw new ConfigError('SMSDESK_SENDER_RATES', (err as Error).message);
  }
  let fetchAllow: FetchAllowEntry[];
  try {
    fetchAllow = parseFetchAllow(src.SMSDESK_FETCH_ALLOW ?? '');
  } catch (err) {
    throw new ConfigError('SMSDESK_FETCH_ALLOW', (err as Error).message);
  }
  const databaseUrl = src.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// (or be unset for the embedded database)');
  }

  const schedule: ScheduleSettings = {
    quietHours: src.QUIET_HOURS?.trim() || null,
    businessHours: src.BUSINESS_HOURS?.trim() || null,
    holidays: [],
    defaultTimezone: src.DEFAULT_TIMEZONE?.trim() || 'UTC',
    monthlyLimit: src.SMS_MONTHLY_LIMIT?.trim() ? integer(src, 'SMS_MONTHLY_LIMIT', 0, 1, 1_000_000_000) : null,
  };
  try {
    compileSchedule(schedule);
  } catch (err) {
    const [variable, ...rest] = (err as Error).message.split(': ');
    throw new ConfigError(variable!, rest.join(': '));
  }

  return {
    port,
    host,
    trustProxy: trustProxy(src),
    dataDir: resolve(src.DATA_DIR || './data'),
    databaseUrl,
    publicUrl,
    twilio: { sandbox: accounts.length === 0, accounts, apiBaseUrl, defaultNumber: e164(src, 'TWILIO_DEFAULT_NUMBER') },
    apiToken: src.SMSDESK_API_TOKEN?.trim() || null,
    metricsToken: src.METRICS_TOKEN?.trim() || null,
    threading: { windowMinutes: integer(src, 'THREAD_WINDOW_MINUTES', 60, 0, 525_600), ticketIdPattern },
    helpdesk: {
      kind,
      freshdesk: kind === 'freshdesk'
        ? { url: helpdeskUrl(src, 'FRESHDESK_URL', 'https://acme.freshdesk.com'), apiKey: required(src, 'FRESHDESK_API_KEY', 'when HELPDESK=freshdesk') }
        : null,
      freshservice: kind === 'freshservice'
        ? { url: helpdeskUrl(src, 'FRESHSERVICE_URL', 'https://acme.freshservice.com'), apiKey: required(src, 'FRESHSERVICE_API_KEY', 'when HELPDESK=freshservice') }
        : null,
      zendesk: kind === 'zendesk'
        ? {
            url: helpdeskUrl(src, 'ZENDESK_URL', 'https://acme.zendesk.com'),
            email: required(src, 'ZENDESK_EMAIL', 'when HELPDESK=zendesk'),
            apiToken: required(src, 'ZENDESK_API_TOKEN', 'when HELPDESK=zendesk'),
          }
        : null,
      webhookSecret: webhookSecret(src),
      smsTag: src.HELPDESK_SMS_TAG?.trim() || 'sms',
    },
    blob: {
      azureConnectionString: src.AZURE_STORAGE_CONNECTION_STRING?.trim() || null,
      azureContainer: src.AZURE_STORAGE_CONTAINER?.trim() || 'smsdesk-media',
    },
    logLevel: src.LOG_LEVEL || 'info',
    senderRates,
    fetchAllow,
    schedule,
  };
}
