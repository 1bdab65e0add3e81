import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** An onRequest hook accepting `Authorization: Bearer <token>` for any of the current tokens; 401 otherwise. */
export function bearerAuth(tokens: () => readonly string[]): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new AppError('unauthorized', 'unauthorized', 'Send Authorization: Bearer <token> (SMSDESK_API_TOKEN, or the token smsdesk generated in DATA_DIR/api-token).');
    }
    // Comparing fixed-length digests keeps the comparison constant-time whatever the token length.
    const given = sha256(match[1]!);
    if (!tokens().some((t) => timingSafeEqual(sha256(t), given))) {
      throw new AppError('unauthorized', 'unauthorized', 'The bearer token is not valid.');
    }
  };
}
