import type { z } from 'zod';
import { invalid } from '../domain/errors.ts';

/** The request part (`where`: body, query, id) checked against its schema; a 400 naming each problem. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw invalid('invalid_request', result.error.issues.map((i) => `${where} ${i.path.join('.') || ''} ${i.message}`.replace(/\s+/g, ' ')).join('; '));
  }
  return result.data;
}
