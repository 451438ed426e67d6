import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock.ts';
import type { Counters } from '../platform/kv.ts';
import { tooManyRequests } from './errors.ts';

/** Per route: `false` (never limited), or its own limit, counted per `scope` and per caller. */
export type RouteRateLimit = false | { max: number; scope: string; by?: 'caller' | 'ip' };

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: RouteRateLimit;
  }
}

const WINDOW_MS = 60_000;

interface Window {
  index: number;
  /** The cluster-wide count as of this instance's last flush of the key (its own flushed counts included). */
  shared: number;
  /** Counted here since that flush. */
  pending: number;
}

/**
 * Request rate limits in fixed one-minute windows, per user (or per IP when anonymous), without a
 * round trip per request: each instance counts in memory and every `syncMs` adds its counts to
 * the shared counters (one pipelined round trip for all keys), learning the cluster-wide counts in
 * return. A request is refused once the last known cluster count plus what this instance counted
 * since reaches the limit.
 *
 * Error bound: one instance alone is exact. With N instances a key can get up to (N − 1) × (its
 * requests per instance in one `syncMs`) more than the limit, since an instance learns of the
 * others' counts at its next flush. If the shared counters are unreachable, each instance keeps
 * limiting alone. (Failed-login throttling, auth/throttle.ts, is exact: it counts in the shared store on every attempt.)
 */
export function registerRateLimit(
  app: FastifyInstance,
  deps: { counters: Counters; clock: Clock; logger: Logger; perMinute: number; syncMs: number },
) {
  const windows = new Map<string, Window>();
  const { clock } = deps;

  app.addHook('onRequest', (request: FastifyRequest, reply, done) => {
    const config = request.routeOptions.config.rateLimit;
    if (config === false) return done();
    const caller = config?.by === 'ip' || !request.auth ? `ip:${request.ip}` : `user:${request.auth.userId}`;
    const key = `${config?.scope ?? 'all'}:${caller}`;
    const max = config?.max ?? deps.perMinute;
    const now = clock.now().getTime();
    const index = Math.floor(now / WINDOW_MS);
    let window = windows.get(key);
    if (!window || window.index !== index) {
      window = { index, shared: 0, pending: 0 };
      windows.set(key, window);
    }
    if (window.shared + window.pending >= max) {
      reply.header('x-ratelimit-limit', max);
      return done(tooManyRequests(((index + 1) * WINDOW_MS - now) / 1000));
    }
    window.pending += 1;
    done();
  });

  async function flush(): Promise<void> {
    const index = Math.floor(clock.now().getTime() / WINDOW_MS);
    const batch: Array<[string, Window, number]> = [];
    for (const [key, window] of windows) {
      if (window.index !== index) windows.delete(key);
      else if (window.pending > 0) batch.push([key, window, window.pending]);
    }
    if (batch.length === 0) return;
    const counts = await deps.counters.add(
      batch.map(([key, , n]) => [`rl:${key}:${index}`, n]),
      2 * WINDOW_MS,
    );
    batch.forEach(([, window, n], i) => {
      window.shared = Math.max(window.shared, counts[i]!);
      window.pending -= n;
    });
  }

  let flushing = false;
  const timer = setInterval(() => {
    if (flushing) return;
    flushing = true;
    flush()
      .catch((error: unknown) => deps.logger.debug({ err: error }, 'rate limit: sharing counts failed'))
      .finally(() => {
        flushing = false;
      });
  }, deps.syncMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
