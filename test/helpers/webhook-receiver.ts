import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  /** The raw body, as signed. */
  body: string;
  headers: IncomingHttpHeaders;
  json: any;
}

/** What the receiver answers a request: a status and body, or nothing at all ('hang': the request is left open). */
export type Answer = { status: number; body?: string; contentType?: string } | 'hang';

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook (the tests allow 127.0.0.1 through SMSDESK_FETCH_ALLOW). */
  url: string;
  received: ReceivedWebhook[];
  /** How to answer the requests from now on (the default is 204). */
  answer(fn: (hook: ReceivedWebhook, index: number) => Answer): void;
  /** Resolves once `n` requests have come (the n-th of them); fails loudly after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

/** A local endpoint for outgoing webhooks: records each POST with its raw body and answers as told. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let answer: (hook: ReceivedWebhook, index: number) => Answer = () => ({ status: 204 });
  const waiters: { n: number; resolve: (h: ReceivedWebhook) => void }[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // not JSON: tests look at `body`
      }
      const hook: ReceivedWebhook = { path: req.url ?? '', body, headers: req.headers, json };
      received.push(hook);
      const reply = answer(hook, received.length - 1);
      if (reply === 'hang') hanging.push(res);
      else res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' }).end(reply.body ?? '');
      for (const w of waiters.filter((x) => received.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(received[w.n - 1]!);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answer(fn) {
      answer = fn;
    },
    waitFor(n, timeoutMs = 10_000) {
      if (received.length >= n) return Promise.resolve(received[n - 1]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the receiver got ${received.length} request(s) in ${timeoutMs} ms, not ${n}`)), timeoutMs);
        waiters.push({ n, resolve: (h) => {
          clearTimeout(timer);
          resolve(h);
        } });
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
