import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { readGeneratedApiToken } from './sandbox-credentials.ts';
import { parseArgs } from 'node:util';

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif', '.webp': 'image/webp', '.mp4': 'video/mp4', '.pdf': 'application/pdf', '.vcf': 'text/vcard', '.txt': 'text/plain' };

const USAGE = `usage: smsdesk simulate --from <E.164> --to <E.164> [--media FILE]... [--url http://127.0.0.1:3000] "text"
Texts a running smsdesk in sandbox mode as a customer would: the built-in Twilio emulator signs and posts the webhook.`;

/** The same token the server accepts: SMSDESK_API_TOKEN, or the one it generated in DATA_DIR. */
function apiToken(): string {
  return process.env.SMSDESK_API_TOKEN || (readGeneratedApiToken(resolve(process.env.DATA_DIR || './data')) ?? '');
}

export async function simulate(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, media: { type: 'string', multiple: true }, url: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || !values.from || !values.to) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const base = values.url ?? `http://${process.env.HOST || '127.0.0.1'}:${process.env.PORT || '3000'}`;
  const media = (values.media ?? []).map((file) => ({
    contentType: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    base64: readFileSync(file).toString('base64'),
  }));
  let res: Response;
  try {
    res = await fetch(`${base}/sandbox/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken()}` },
      body: JSON.stringify({ from: values.from, to: values.to, body: positionals.join(' '), media }),
    });
  } catch (err) {
    console.error(`cannot reach smsdesk at ${base} (${(err as Error).message}); start it with npm start, or pass --url`);
    process.exit(1);
  }
  const text = await res.text();
  if (res.status === 401) {
    console.error('smsdesk refused the API token: run simulate with the same SMSDESK_API_TOKEN or DATA_DIR as the server');
    process.exit(1);
  }
  if (res.status === 404) {
    console.error(`${base} is not in sandbox mode (Twilio credentials are set), so it cannot simulate texts`);
    process.exit(1);
  }
  if (!res.ok) {
    console.error(`simulate failed: HTTP ${res.status} ${text}`);
    process.exit(1);
  }
  const { messageSid, webhookStatus } = JSON.parse(text) as { messageSid: string; webhookStatus: number };
  console.log(`sent ${messageSid} from ${values.from} to ${values.to}: webhook answered ${webhookStatus}`);
}
