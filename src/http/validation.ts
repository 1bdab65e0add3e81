import type { FastifyRequest } from 'fastify';
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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What is wrong with the first string in a request's parsed JSON, query or params (keys included) that no text
 * can carry: a NUL (PostgreSQL refuses it in text) or half of a surrogate pair (not a character at all; URLs
 * and UTF-8 cannot encode it). Null when every string is fine. Walks with a stack, so deep nesting is safe.
 */
export function badText(value: unknown, where: string): string | null {
  const stack: [unknown, string][] = [[value, where]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return `${path} ${problem}`;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${path}.${i}`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        const problem = textProblem(key);
        if (problem) return `${path} has a key that ${problem}`;
        stack.push([item, `${path}.${key}`]);
      }
    }
  }
  return null;
}

function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000), which text cannot carry: remove it.';
  if (LONE_SURROGATE.test(s)) return 'contains half of a UTF-16 surrogate pair (e.g. a lone \\ud83d), which is not a character: send whole characters.';
  return null;
}

/** The `:id` (or another named) path parameter as a whole number; anything else → 400 invalid_id. */
export function idParam(request: FastifyRequest, name = 'id'): number {
  const raw = (request.params as Record<string, string | undefined>)[name] ?? '';
  if (!/^\d{1,9}$/.test(raw)) throw invalid('invalid_id', `"${raw}" is not an id; ids are whole numbers.`);
  return Number(raw);
}
