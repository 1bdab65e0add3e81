import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

type Env = Record<string, string | undefined>;

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const SID_B = `AC${'b'.repeat(32)}`;

const dir = mkdtempSync(join(tmpdir(), 'smsdesk-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function configFile(content: string): string {
  const path = join(dir, `config-${++fileCount}.json`);
  writeFileSync(path, content);
  return path;
}

/** The ConfigError loadConfig throws for env (fails the test when it does not throw one). */
function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig: defaults', () => {
  const config = loadConfig({});

  it('listens on 127.0.0.1:3000', () => {
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
  });
  it('has no public URL until PUBLIC_URL is set', () => {
    expect(config.publicUrl).toBeNull();
  });
  it('normalizes TWILIO_DEFAULT_NUMBER to E.164', () => {
    expect(loadConfig({ TWILIO_DEFAULT_NUMBER: ' +1 415 555 0199 ' }).twilio.defaultNumber).toBe('+14155550199');
  });
  it('runs in sandbox mode without Twilio credentials', () => {
    expect(config.twilio).toEqual({ sandbox: true, accounts: [], apiBaseUrl: 'https://api.twilio.com', defaultNumber: null });
  });
  it('threads with a 60 minute window and the #(\\d+) pattern', () => {
    expect(config.threading.windowMinutes).toBe(60);
    expect(config.threading.ticketIdPattern!.source).toBe('#(\\d+)');
  });
  it('uses the built-in helpdesk', () => {
    expect(config.helpdesk).toEqual({ kind: 'builtin', freshdesk: null, freshservice: null, zendesk: null, webhookSecret: null, smsTag: 'sms' });
  });
  it('has the remaining defaults', () => {
    expect(config.databaseUrl).toBeNull();
    expect(config.apiToken).toBeNull();
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.blob).toEqual({ azureConnectionString: null, azureContainer: 'smsdesk-media' });
    expect(config.logLevel).toBe('info');
  });
  it('treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '', HOST: ' ', PUBLIC_URL: '', THREAD_WINDOW_MINUTES: '', HELPDESK: '', DATABASE_URL: '' });
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.publicUrl).toBeNull();
    expect(c.threading.windowMinutes).toBe(60);
    expect(c.helpdesk.kind).toBe('builtin');
    expect(c.databaseUrl).toBeNull();
  });
});

describe('loadConfig: good values', () => {
  it.each([
    ['PORT=0 (ephemeral, tests)', { PORT: '0' }, (c: ReturnType<typeof loadConfig>) => expect(c.port).toBe(0)],
    ['PORT=65535', { PORT: '65535' }, (c: ReturnType<typeof loadConfig>) => expect(c.port).toBe(65535)],
    ['PUBLIC_URL trailing slash dropped', { PUBLIC_URL: 'https://sms.example.com/' }, (c: ReturnType<typeof loadConfig>) => expect(c.publicUrl).toBe('https://sms.example.com')],
    ['PUBLIC_URL with a path', { PUBLIC_URL: 'https://example.com/smsdesk/' }, (c: ReturnType<typeof loadConfig>) => expect(c.publicUrl).toBe('https://example.com/smsdesk')],
    [
      'Twilio credentials → not sandbox',
      { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'secret' },
      (c: ReturnType<typeof loadConfig>) => expect(c.twilio).toMatchObject({ sandbox: false, accounts: [{ sid: SID, authToken: 'secret' }] }),
    ],
    ['THREAD_WINDOW_MINUTES=0 turns the window off', { THREAD_WINDOW_MINUTES: '0' }, (c: ReturnType<typeof loadConfig>) => expect(c.threading.windowMinutes).toBe(0)],
    ["TICKET_ID_PATTERN='' turns the pattern off", { TICKET_ID_PATTERN: '' }, (c: ReturnType<typeof loadConfig>) => expect(c.threading.ticketIdPattern).toBeNull()],
    [
      'custom TICKET_ID_PATTERN',
      { TICKET_ID_PATTERN: 'ticket[- ](\\d+)' },
      (c: ReturnType<typeof loadConfig>) => expect(c.threading.ticketIdPattern!.source).toBe('ticket[- ](\\d+)'),
    ],
    [
      'HELPDESK=freshdesk with https URL',
      { HELPDESK: 'freshdesk', FRESHDESK_URL: 'https://acme.freshdesk.com/', FRESHDESK_API_KEY: 'k' },
      (c: ReturnType<typeof loadConfig>) => expect(c.helpdesk.freshdesk).toEqual({ url: 'https://acme.freshdesk.com', apiKey: 'k' }),
    ],
    [
      'HELPDESK=freshdesk with a local http URL (testing)',
      { HELPDESK: 'freshdesk', FRESHDESK_URL: 'http://127.0.0.1:8080', FRESHDESK_API_KEY: 'k' },
      (c: ReturnType<typeof loadConfig>) => expect(c.helpdesk.freshdesk?.url).toBe('http://127.0.0.1:8080'),
    ],
    [
      'HELPDESK=freshservice with a localhost http URL (testing)',
      { HELPDESK: 'freshservice', FRESHSERVICE_URL: 'http://localhost:9000/', FRESHSERVICE_API_KEY: 'k' },
      (c: ReturnType<typeof loadConfig>) => expect(c.helpdesk.freshservice).toEqual({ url: 'http://localhost:9000', apiKey: 'k' }),
    ],
    [
      'HELPDESK=zendesk',
      { HELPDESK: 'zendesk', ZENDESK_URL: 'https://acme.zendesk.com', ZENDESK_EMAIL: 'a@b.c', ZENDESK_API_TOKEN: 't' },
      (c: ReturnType<typeof loadConfig>) => expect(c.helpdesk).toMatchObject({ kind: 'zendesk', zendesk: { url: 'https://acme.zendesk.com', email: 'a@b.c', apiToken: 't' }, freshdesk: null }),
    ],
    [
      'HELPDESK_WEBHOOK_SECRET and HELPDESK_SMS_TAG',
      { HELPDESK_WEBHOOK_SECRET: ' 0123456789abcdef0123 ', HELPDESK_SMS_TAG: 'text-me' },
      (c: ReturnType<typeof loadConfig>) => expect(c.helpdesk).toMatchObject({ webhookSecret: '0123456789abcdef0123', smsTag: 'text-me' }),
    ],
    ['DATABASE_URL postgres://', { DATABASE_URL: 'postgres://u@db/x' }, (c: ReturnType<typeof loadConfig>) => expect(c.databaseUrl).toBe('postgres://u@db/x')],
    ['DATABASE_URL postgresql://', { DATABASE_URL: 'postgresql://u@db/x' }, (c: ReturnType<typeof loadConfig>) => expect(c.databaseUrl).toBe('postgresql://u@db/x')],
  ] as [string, Env, (c: ReturnType<typeof loadConfig>) => void][])('%s', (_name, env, check) => {
    check(loadConfig(env));
  });
});

describe('loadConfig: bad values throw a ConfigError naming the variable', () => {
  const cases: { name: string; env: Env; variable: string; message: RegExp }[] = [
    { name: 'PORT=abc', env: { PORT: 'abc' }, variable: 'PORT', message: /^PORT: must be a whole number, got "abc"$/ },
    { name: 'PORT=3000.5', env: { PORT: '3000.5' }, variable: 'PORT', message: /must be a whole number/ },
    { name: 'PORT=-1', env: { PORT: '-1' }, variable: 'PORT', message: /must be a whole number/ },
    { name: 'PORT=70000', env: { PORT: '70000' }, variable: 'PORT', message: /^PORT: must be between 0 and 65535, got 70000$/ },
    { name: 'PUBLIC_URL=not-a-url', env: { PUBLIC_URL: 'not-a-url' }, variable: 'PUBLIC_URL', message: /must be an absolute URL such as https:\/\/sms\.example\.com, got "not-a-url"/ },
    { name: 'PUBLIC_URL ftp', env: { PUBLIC_URL: 'ftp://example.com' }, variable: 'PUBLIC_URL', message: /must start with http:\/\/ or https:\/\// },
    { name: 'PUBLIC_URL with a query', env: { PUBLIC_URL: 'https://sms.example.com/?a=1' }, variable: 'PUBLIC_URL', message: /must not carry a query or fragment/ },
    { name: 'PUBLIC_URL with a fragment', env: { PUBLIC_URL: 'https://sms.example.com/#x' }, variable: 'PUBLIC_URL', message: /must not carry a query or fragment/ },
    {
      name: 'TWILIO_ACCOUNT_SID without token',
      env: { TWILIO_ACCOUNT_SID: SID },
      variable: 'TWILIO_AUTH_TOKEN',
      message: /^TWILIO_AUTH_TOKEN: must be set together with TWILIO_ACCOUNT_SID \(or unset both for sandbox mode\)$/,
    },
    {
      name: 'TWILIO_AUTH_TOKEN without SID',
      env: { TWILIO_AUTH_TOKEN: 'secret' },
      variable: 'TWILIO_ACCOUNT_SID',
      message: /^TWILIO_ACCOUNT_SID: must be set together with TWILIO_AUTH_TOKEN/,
    },
    {
      name: 'blank TWILIO_AUTH_TOKEN counts as missing',
      env: { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: '  ' },
      variable: 'TWILIO_AUTH_TOKEN',
      message: /must be set together/,
    },
    {
      name: 'malformed account SID',
      env: { TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'secret' },
      variable: 'TWILIO_ACCOUNT_SID',
      message: /must be an Account SID: AC followed by 32 hex digits/,
    },
    {
      name: 'account SID with the wrong prefix',
      env: { TWILIO_ACCOUNT_SID: `SK${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'secret' },
      variable: 'TWILIO_ACCOUNT_SID',
      message: /must be an Account SID/,
    },
    { name: 'TWILIO_DEFAULT_NUMBER not a number', env: { TWILIO_DEFAULT_NUMBER: 'main line' }, variable: 'TWILIO_DEFAULT_NUMBER', message: /E\.164/ },
    { name: 'TWILIO_API_BASE_URL not a URL', env: { TWILIO_API_BASE_URL: 'api.twilio.com' }, variable: 'TWILIO_API_BASE_URL', message: /must be an absolute URL/ },
    { name: 'THREAD_WINDOW_MINUTES=-1', env: { THREAD_WINDOW_MINUTES: '-1' }, variable: 'THREAD_WINDOW_MINUTES', message: /must be a whole number, got "-1"/ },
    { name: 'THREAD_WINDOW_MINUTES=1h', env: { THREAD_WINDOW_MINUTES: '1h' }, variable: 'THREAD_WINDOW_MINUTES', message: /must be a whole number/ },
    { name: 'THREAD_WINDOW_MINUTES over a year', env: { THREAD_WINDOW_MINUTES: '525601' }, variable: 'THREAD_WINDOW_MINUTES', message: /must be between 0 and 525600/ },
    { name: "TICKET_ID_PATTERN='('", env: { TICKET_ID_PATTERN: '(' }, variable: 'TICKET_ID_PATTERN', message: /^TICKET_ID_PATTERN: not a valid regular expression/ },
    {
      name: 'TICKET_ID_PATTERN with lookaround (RE2 cannot run it)', env: { TICKET_ID_PATTERN: '(?<=#)(\\d+)' }, variable: 'TICKET_ID_PATTERN',
      message: /^TICKET_ID_PATTERN: uses lookaround .*, which RE2 does not support/,
    },
    { name: "TICKET_ID_PATTERN='#\\d+' (no group)", env: { TICKET_ID_PATTERN: '#\\d+' }, variable: 'TICKET_ID_PATTERN', message: /^TICKET_ID_PATTERN: needs a capture group around the ticket id/ },
    { name: 'HELPDESK=foo', env: { HELPDESK: 'foo' }, variable: 'HELPDESK', message: /^HELPDESK: must be builtin, freshdesk, freshservice or zendesk, got "foo"$/ },
    { name: 'HELPDESK=Freshdesk (case matters)', env: { HELPDESK: 'Freshdesk' }, variable: 'HELPDESK', message: /must be builtin, freshdesk/ },
    {
      name: 'HELPDESK=freshdesk without FRESHDESK_URL',
      env: { HELPDESK: 'freshdesk', FRESHDESK_API_KEY: 'k' },
      variable: 'FRESHDESK_URL',
      message: /^FRESHDESK_URL: is required when HELPDESK=freshdesk, e\.g\. https:\/\/acme\.freshdesk\.com$/,
    },
    {
      name: 'HELPDESK=freshdesk without FRESHDESK_API_KEY',
      env: { HELPDESK: 'freshdesk', FRESHDESK_URL: 'https://acme.freshdesk.com' },
      variable: 'FRESHDESK_API_KEY',
      message: /is required when HELPDESK=freshdesk/,
    },
    {
      name: 'FRESHDESK_URL=http://evil.example',
      env: { HELPDESK: 'freshdesk', FRESHDESK_URL: 'http://evil.example', FRESHDESK_API_KEY: 'k' },
      variable: 'FRESHDESK_URL',
      message: /must use https:\/\/ \(credentials are sent to it\)/,
    },
    {
      name: 'FRESHDESK_URL=http://localhost.evil.example',
      env: { HELPDESK: 'freshdesk', FRESHDESK_URL: 'http://localhost.evil.example', FRESHDESK_API_KEY: 'k' },
      variable: 'FRESHDESK_URL',
      message: /must use https:\/\//,
    },
    {
      name: 'FRESHDESK_URL with a 127.0.0.1 userinfo in front of another host',
      env: { HELPDESK: 'freshdesk', FRESHDESK_URL: 'http://127.0.0.1:80@evil.example', FRESHDESK_API_KEY: 'k' },
      variable: 'FRESHDESK_URL',
      message: /must use https:\/\//,
    },
    {
      name: 'FRESHDESK_URL with a localhost userinfo in front of another host',
      env: { HELPDESK: 'freshdesk', FRESHDESK_URL: 'http://localhost:x@evil.example/', FRESHDESK_API_KEY: 'k' },
      variable: 'FRESHDESK_URL',
      message: /must use https:\/\//,
    },
    {
      name: 'a short HELPDESK_WEBHOOK_SECRET',
      env: { HELPDESK_WEBHOOK_SECRET: 'letmein' },
      variable: 'HELPDESK_WEBHOOK_SECRET',
      message: /at least 16 characters/,
    },
    {
      name: 'ZENDESK_URL over http',
      env: { HELPDESK: 'zendesk', ZENDESK_URL: 'http://acme.zendesk.com', ZENDESK_EMAIL: 'a@b.c', ZENDESK_API_TOKEN: 't' },
      variable: 'ZENDESK_URL',
      message: /must use https:\/\//,
    },
    {
      name: 'HELPDESK=freshservice without FRESHSERVICE_URL',
      env: { HELPDESK: 'freshservice', FRESHSERVICE_API_KEY: 'k' },
      variable: 'FRESHSERVICE_URL',
      message: /is required when HELPDESK=freshservice/,
    },
    {
      name: 'DATABASE_URL=mysql://…',
      env: { DATABASE_URL: 'mysql://root@db/smsdesk' },
      variable: 'DATABASE_URL',
      message: /^DATABASE_URL: must start with postgres:\/\/ \(or be unset for the embedded database\)$/,
    },
  ];
  it.each(cases)('$name', ({ env, variable, message }) => {
    const err = configError(env);
    expect(err.name).toBe('ConfigError');
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).toMatch(message);
  });
});

describe('loadConfig: SMSDESK_CONFIG file', () => {
  it('adds values and twilioAccounts from the file', () => {
    const path = configFile(
      JSON.stringify({
        PORT: 4000,
        THREAD_WINDOW_MINUTES: '15',
        HELPDESK: 'freshdesk',
        FRESHDESK_URL: 'https://acme.freshdesk.com',
        FRESHDESK_API_KEY: 'from-file',
        twilioAccounts: [{ sid: SID_B, authToken: 'token-b' }],
      }),
    );
    const c = loadConfig({ SMSDESK_CONFIG: path });
    expect(c.port).toBe(4000);
    expect(c.threading.windowMinutes).toBe(15);
    expect(c.helpdesk.freshdesk).toEqual({ url: 'https://acme.freshdesk.com', apiKey: 'from-file' });
    expect(c.twilio.sandbox).toBe(false);
    expect(c.twilio.accounts).toEqual([{ sid: SID_B, authToken: 'token-b' }]);
  });

  it('the environment wins over the file, and its account comes first', () => {
    const path = configFile(JSON.stringify({ PORT: '4000', LOG_LEVEL: 'debug', twilioAccounts: [{ sid: SID_B, authToken: 'token-b' }] }));
    const c = loadConfig({ SMSDESK_CONFIG: path, PORT: '5000', TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'token-a' });
    expect(c.port).toBe(5000);
    expect(c.logLevel).toBe('debug');
    expect(c.twilio.accounts).toEqual([
      { sid: SID, authToken: 'token-a' },
      { sid: SID_B, authToken: 'token-b' },
    ]);
  });

  it('a bad value in the file is reported under its own variable', () => {
    const err = configError({ SMSDESK_CONFIG: configFile(JSON.stringify({ PORT: 'abc' })) });
    expect(err.variable).toBe('PORT');
  });

  const bad: { name: string; content: string | null; message: RegExp }[] = [
    { name: 'not JSON', content: 'PORT=3000\n', message: /cannot read .*config-\d+\.json as JSON/ },
    { name: 'a JSON array', content: '[1, 2]', message: /must hold a JSON object of VARIABLE: value pairs/ },
    { name: 'JSON null', content: 'null', message: /must hold a JSON object/ },
    { name: 'a nested object value', content: '{"PORT": {"value": 1}}', message: /PORT in .* must be a string or number/ },
    { name: 'twilioAccounts not a list', content: '{"twilioAccounts": {}}', message: /twilioAccounts must be a list of/ },
    { name: 'twilioAccounts entry without token', content: `{"twilioAccounts": [{"sid": "${SID}"}]}`, message: /twilioAccounts must be a list of/ },
    { name: 'twilioAccounts entry null', content: '{"twilioAccounts": [null]}', message: /twilioAccounts must be a list of/ },
    { name: 'missing file', content: null, message: /cannot read .* as JSON/ },
  ];
  it.each(bad)('$name → ConfigError naming SMSDESK_CONFIG', ({ content, message }) => {
    const path = content === null ? join(dir, 'does-not-exist.json') : configFile(content);
    const err = configError({ SMSDESK_CONFIG: path });
    expect(err.variable).toBe('SMSDESK_CONFIG');
    expect(err.message.startsWith('SMSDESK_CONFIG: ')).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('a malformed account SID in the file names where it came from', () => {
    const err = configError({ SMSDESK_CONFIG: configFile(JSON.stringify({ twilioAccounts: [{ sid: 'AC1', authToken: 't' }] })) });
    expect(err.variable).toBe('SMSDESK_CONFIG twilioAccounts[].sid');
    expect(err.message).toMatch(/must be an Account SID/);
  });
});

describe('loadConfig: reads only the env it is given', () => {
  it('ignores process.env when an explicit env is passed', () => {
    // Whatever the test process has set, an empty env gives the defaults.
    expect(loadConfig({}).port).toBe(3000);
    expect(loadConfig({}).twilio.sandbox).toBe(true);
  });
});
