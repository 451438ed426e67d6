import { AppError } from './errors.ts';

const DAY_MS = 86_400_000;

/**
 * Every range in a query reads the same way: `high` after `low` (or equal to it, for inclusive
 * bounds such as fees); else 400 INVALID_RANGE naming the upper bound, whatever the endpoint.
 */
export function assertOrdered(
  low: { name: string; value: number | Date | undefined },
  high: { name: string; value: number | Date | undefined },
  inclusive = false,
): void {
  if (low.value === undefined || high.value === undefined) return;
  if (high.value < low.value || (!inclusive && high.value <= low.value)) {
    const rule = `must be ${inclusive ? 'at least' : 'after'} ${low.name}`;
    throw new AppError(400, 'INVALID_RANGE', `\`${high.name}\` ${rule}`, {
      errors: [{ path: `querystring.${high.name}`, message: rule }],
    });
  }
}

/**
 * A `from`/`to` window of instants: `from` defaults to now, `to` to `defaultDays` after `from`; at
 * most `maxDays` long (400 RANGE_TOO_LARGE).
 */
export function windowOf(
  q: { from?: string | undefined; to?: string | undefined },
  now: Date,
  limits: { defaultDays: number; maxDays: number },
): { from: Date; to: Date } {
  const from = q.from ? new Date(q.from) : now;
  const to = q.to ? new Date(q.to) : new Date(from.getTime() + limits.defaultDays * DAY_MS);
  assertOrdered({ name: 'from', value: from }, { name: 'to', value: to });
  if (to.getTime() - from.getTime() > limits.maxDays * DAY_MS) {
    throw new AppError(400, 'RANGE_TOO_LARGE', `The range may span at most ${limits.maxDays} days`, {
      errors: [{ path: 'querystring.to', message: `must be at most ${limits.maxDays} days after from` }],
    });
  }
  return { from, to };
}
