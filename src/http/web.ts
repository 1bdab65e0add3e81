import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

export interface WebOptions {
  /** The built console (web/dist). */
  distDir: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

/** Everything the console loads comes from smsdesk itself; helpdesk attachments may be images on https. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The agent console's files: `/` is the app (hash routes, so no other page), `/assets/*` its hashed bundles
 * (cached for a year). Not built yet: `/` says how to build it.
 */
export async function web(app: FastifyInstance, opts: WebOptions): Promise<void> {
  const security = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY' };

  app.get('/', async (_request, reply) => {
    const html = await readFile(join(opts.distDir, 'index.html'), 'utf8').catch(() => null);
    if (html === null) {
      return reply.code(503).type('text/html; charset=utf-8').headers(security)
        .send('<!doctype html><title>smsdesk</title><p>The console is not built yet: run <code>npm run build</code> (npm start does it when needed).</p>');
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').headers(security).send(html);
  });

  app.get<{ Params: { '*': string } }>('/assets/*', async (request, reply) => {
    const root = join(opts.distDir, 'assets');
    const file = normalize(join(root, request.params['*']));
    if (!file.startsWith(root + sep)) return reply.code(404).send();
    const bytes = await readFile(file).catch(() => null);
    if (!bytes) return reply.code(404).type('text/plain').send('Not found');
    return reply.type(TYPES[extname(file)] ?? 'application/octet-stream').header('cache-control', 'public, max-age=31536000, immutable').headers(security).send(bytes);
  });
}
