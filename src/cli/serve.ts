import { loadConfig } from '../config.ts';
import { createLogger, startSmsdesk } from '../smsdesk.ts';
import { startTwilioEmulator, type TwilioEmulator } from '../adapters/twilio/emulator/index.ts';
import { buildWeb, webIsStale } from './build-web.ts';
import { generatedApiToken, generatedApiTokenPath, sandboxAccount } from './sandbox-credentials.ts';
import { lockDataDir } from '../adapters/fs/data-dir-lock.ts';
import { makeOwnerOnly } from '../adapters/fs/owner-only.ts';

export async function serve(): Promise<void> {
  const config = loadConfig();
  // First of all: the embedded database is this process's for its whole life (a second `serve` stops here).
  const dataDirLock = config.databaseUrl ? undefined : lockDataDir(config.dataDir, 'serve');
  // Trees written by older versions had world-writable database files.
  makeOwnerOnly(config.dataDir);
  const logger = createLogger(config.logLevel);
  // npm start builds the console when its sources are newer than the build (or there is none).
  if (webIsStale()) {
    logger.info('building the agent console (web/ → web/dist)');
    await buildWeb({ force: true, quiet: true });
  }
  if (!config.publicUrl && !['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    logger.warn(`PUBLIC_URL is unset, so Twilio signatures are checked against http://${config.host}:${config.port}: ` +
      'set PUBLIC_URL to the exact URL Twilio calls (e.g. https://sms.example.com), or every webhook is refused with 403');
  }
  let emulator: TwilioEmulator | null = null;
  if (config.twilio.sandbox) {
    // No Twilio credentials: run the built-in emulator and trust only its (generated) account.
    const account = sandboxAccount(config.dataDir);
    emulator = await startTwilioEmulator({ accounts: [account] });
    config.twilio.accounts = [account];
    config.twilio.apiBaseUrl = emulator.apiBaseUrl;
  }
  if (!config.apiToken) {
    config.apiToken = generatedApiToken(config.dataDir);
    logger.info(`SMSDESK_API_TOKEN is unset: the API token is in ${generatedApiTokenPath(config.dataDir)}`);
  }
  const smsdesk = await startSmsdesk({
    config,
    logger,
    dataDirLock,
    sandbox: emulator
      ? { emulatorUrl: emulator.apiBaseUrl, accountSid: config.twilio.accounts[0]!.sid }
      : undefined,
  });
  emulator?.setWebhookUrl(`${smsdesk.publicUrl}/webhooks/twilio/messages`);
  logger.info(
    emulator
      ? `smsdesk is up at ${smsdesk.url} in sandbox mode (Twilio emulator at ${emulator.apiBaseUrl}). ` +
          `Text it: npx smsdesk simulate --from +14155550100 --to +14155550199 "My order is late"`
      : `smsdesk is up at ${smsdesk.url}; point your Twilio number's "A message comes in" webhook at ${smsdesk.publicUrl}/webhooks/twilio/messages`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing work in flight, then stopping`);
    await smsdesk.close();
    await emulator?.close();
    dataDirLock?.release();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
