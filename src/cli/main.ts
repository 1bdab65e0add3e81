import { ConfigError, loadConfig } from '../config.ts';
import { DataDirInUse } from '../adapters/fs/data-dir-lock.ts';
import { OWNER_ONLY_UMASK } from '../adapters/fs/owner-only.ts';

const USAGE = `smsdesk — Twilio messaging ⇄ helpdesk bridge
  smsdesk serve                      start the server (npm start)
  smsdesk migrate                    apply database migrations and exit
  smsdesk simulate --from --to TEXT  text a sandbox-mode server as a customer
  smsdesk user add --email E --name N [--admin] [--password-stdin]
                                     create a console user
  smsdesk build                      build the agent console (npm run build)`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // The one place that decides it: whatever smsdesk writes (DATA_DIR: database, media, secrets) is owner-only.
  // Not for `build`: web/dist is the package's, read by whoever serves it.
  if (command !== 'build') process.umask(OWNER_ONLY_UMASK);
  switch (command) {
    case 'serve':
      return (await import('./serve.ts')).serve();
    case 'simulate':
      return (await import('./simulate.ts')).simulate(rest);
    case 'user':
      return (await import('./user.ts')).user(loadConfig(), rest);
    case 'build':
      await (await import('./build-web.ts')).buildWeb({ force: true });
      return;
    case 'migrate': {
      const config = loadConfig();
      const { migrateOnly } = await import('./migrate.ts');
      return migrateOnly(config);
    }
    default:
      console.error(USAGE);
      process.exit(command ? 2 : 0);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`smsdesk: configuration error: ${err.message}`);
  } else if (err instanceof DataDirInUse) {
    console.error(err.message);
  } else {
    console.error(`smsdesk: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  process.exit(1);
});
