import type { FastifyInstance } from 'fastify';
import { AppError, type FieldError } from './errors.ts';

/**
 * What schemas can't say well, checked before them for every route: a query key given twice (the
 * parser makes it a list, which a schema would call "expected string") and NUL characters anywhere
 * in the input (PostgreSQL can't store them; without this check the refusal names no field).
 */
export function registerInputChecks(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const errors: FieldError[] = [];
    const query = request.query as Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(query ?? {})) {
      if (Array.isArray(value)) errors.push({ path: `querystring.${key}`, message: 'must be given once' });
    }
    for (const [where, value] of [
      ['querystring', query],
      ['params', request.params],
      ['body', request.body],
    ] as const) {
      for (const path of nulPaths(value, where)) {
        errors.push({ path, message: 'must not contain NUL characters (\\u0000)' });
      }
    }
    if (errors.length > 0) throw new AppError(400, 'VALIDATION_FAILED', 'The request is invalid', { errors });
  });
}

/** Paths of strings (keys included) holding U+0000; iterative, so deep JSON can't exhaust the stack. */
function nulPaths(root: unknown, where: string): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, string]> = [[root, where]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) found.push(path);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const at = `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
        if (key.includes('\u0000')) found.push(at);
        else stack.push([child, at]);
      }
    }
  }
  return found.reverse();
}
