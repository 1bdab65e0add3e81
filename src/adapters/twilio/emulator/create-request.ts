import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { readForm, sendJson, sendTwilioError } from './http-util.ts';
import type { CreateFault, TwilioApiError } from './outbound.ts';
import type { Scheduler } from './scheduler.ts';

/** The most a create or update form may hold. */
export const FORM_LIMIT_BYTES = 1024 * 1024;

/** A form value, with an empty one taken as absent (as Twilio does for To, From, Body, Url…). */
export function formValue(form: URLSearchParams, name: string): string | null {
  const value = form.get(name);
  return value === null || value === '' ? null : value;
}

export interface CreateRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Requests in flight on this API, counted against `maxConcurrentRequests` (past it: 429). */
  concurrency: { active: number };
  maxConcurrentRequests: number;
  requestLatencyMs: number;
  scheduler: Scheduler;
  /** The next queued fault of this API (failNextCreates / failNextCallCreates), if any. */
  takeFault: () => CreateFault | undefined;
  /** Runs once the form is read, before the request's latency (a test's hold of creates). */
  received?: (form: URLSearchParams) => Promise<void>;
}

/**
 * What Twilio's create endpoints (Messages, Calls) share: the concurrency limit (429 with Retry-After), the
 * request's latency, the faults a test queued (a dropped connection or an error: nothing created; a late
 * answer: created, answered after `hangMs`), and 201 with the resource `create` made, or its refusal.
 */
export async function answerCreate(
  r: CreateRequest,
  create: (form: URLSearchParams) => { ok: true; resource: unknown } | { ok: false; error: TwilioApiError },
): Promise<void> {
  const { req, res, concurrency, scheduler } = r;
  if (concurrency.active >= r.maxConcurrentRequests) {
    sendTwilioError(res, 429, 20429, 'Too Many Requests', { 'Retry-After': '1' });
    return;
  }
  concurrency.active += 1;
  try {
    const form = await readForm(req, FORM_LIMIT_BYTES);
    await r.received?.(form);
    await scheduler.sleep(r.requestLatencyMs);
    if (scheduler.closed) return;
    const fault = r.takeFault();
    if (fault && 'dropConnection' in fault) {
      // The connection goes down before Twilio has taken the request: nothing is created, no answer comes.
      req.socket.destroy();
      return;
    }
    if (fault && 'status' in fault) {
      // Twilio did not take the request: nothing is created.
      const code = fault.code ?? 20000 + fault.status;
      sendTwilioError(res, fault.status, code, fault.message ?? STATUS_CODES[fault.status] ?? 'Error', fault.status === 429 ? { 'Retry-After': '1' } : {});
      return;
    }
    // Rendered now: a slow answer still describes the resource as it was created.
    const result = create(form);
    if (!result.ok) {
      sendTwilioError(res, result.error.status, result.error.code, result.error.message);
      return;
    }
    if (fault) {
      // Twilio took it; the client may give up before this answer arrives.
      await scheduler.sleep(fault.hangMs);
      if (scheduler.closed || res.destroyed) return;
    }
    sendJson(res, 201, result.resource);
  } finally {
    concurrency.active -= 1;
  }
}
