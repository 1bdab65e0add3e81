import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, sendJson } from './http-util.ts';
import { EmulatorUsageError, type InboundInput, type InboundResult } from './inbound.ts';

/** Comfortably above Twilio's 5 MB MMS limit once base64 inflates it. */
const CONTROL_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

const inboundRequestSchema = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  body: z.string().optional(),
  accountSid: z.string().optional(),
  messageSid: z.string().optional(),
  media: z.array(z.object({ contentType: z.string().min(1), base64: z.string() })).optional(),
});

export interface ControlContext {
  sendInbound: (input: InboundInput) => Promise<InboundResult>;
  /** Every message, inbound and outbound, with its status history. */
  messages: () => unknown[];
  /** Every call, with what it said and its status history. */
  calls: () => unknown[];
}

/**
 * `/__emulator/*`: lets a developer (or the app's sandbox mode) inject an inbound message over
 * HTTP and see every message and call. Unauthenticated, which is acceptable only because the emulator
 * listens on loopback.
 */
export async function handleControlRoute(req: IncomingMessage, res: ServerResponse, pathname: string, ctx: ControlContext): Promise<void> {
  if (pathname === '/__emulator/health' && req.method === 'GET') {
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  if (pathname === '/__emulator/messages' && req.method === 'GET') {
    sendJson(res, 200, ctx.messages());
    return;
  }
  if (pathname === '/__emulator/calls' && req.method === 'GET') {
    sendJson(res, 200, ctx.calls());
    return;
  }
  if (pathname !== '/__emulator/inbound' || req.method !== 'POST') {
    sendJson(res, 404, { error: `no emulator route ${req.method ?? ''} ${pathname}` });
    return;
  }
  let parsed: z.infer<typeof inboundRequestSchema>;
  try {
    parsed = inboundRequestSchema.parse(JSON.parse((await readBody(req, CONTROL_BODY_LIMIT_BYTES)).toString('utf8')));
  } catch (err) {
    sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    return;
  }
  try {
    const result = await ctx.sendInbound({
      ...parsed,
      media: parsed.media?.map((m) => ({ contentType: m.contentType, bytes: Buffer.from(m.base64, 'base64') })),
    });
    sendJson(res, 200, { messageSid: result.messageSid, webhookStatus: result.status });
  } catch (err) {
    // Otherwise the webhook target is down or misbehaving: the emulator itself is fine, hence 502.
    const status = err instanceof EmulatorUsageError ? 400 : 502;
    sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
  }
}
