import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AppError, type ErrorKind } from '../domain/errors.ts';
import { HelpdeskBusy, HelpdeskError, TicketClosed } from '../ports/helpdesk.ts';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, unavailable: 503,
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message } });
}

/** The one place errors become HTTP: the contract's `{"error": {"code", "message"}}`, never a stack trace. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (err instanceof AppError) {
      if (err.kind === 'unavailable') request.log.warn({ err }, `answering 503: ${err.message}`);
      return sendError(reply, STATUS[err.kind], err.code, err.message);
    }
    // A remote helpdesk behind the request: its rate limit, its refusal or its silence, in its own words.
    if (err instanceof HelpdeskBusy) {
      const seconds = Math.max(1, Math.ceil((err.until.getTime() - Date.now()) / 1000));
      return sendError(reply.header('retry-after', String(seconds)), 503, 'helpdesk_busy', `${err.message}; retry in ${seconds} s.`);
    }
    if (err instanceof TicketClosed) return sendError(reply, 409, 'ticket_closed', `${err.message} in the helpdesk.`);
    if (err instanceof HelpdeskError) {
      request.log.warn({ err }, 'helpdesk call failed');
      return sendError(reply, 502, 'helpdesk_error', err.message);
    }
    const fe = err as FastifyError;
    if (fe.validation) return sendError(reply, 400, 'invalid_request', fe.message);
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, 'body_too_large', 'The request body is too large.');
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(reply, 415, 'unsupported_media_type', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here.`);
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendError(reply, fe.statusCode, 'invalid_request', fe.message);
    }
    request.log.error({ err }, 'unhandled error');
    return sendError(reply, 500, 'internal_error', 'Something went wrong on our side; it has been logged.');
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
}
