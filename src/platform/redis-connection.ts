import { once } from 'node:events';
import { Redis } from 'ioredis';

/**
 * Fails fast while Redis is unreachable instead of queueing commands behind a reconnect, and (for
 * our own commands) fails a command Redis doesn't answer within `commandTimeoutMs`, so a hung Redis
 * degrades to the database instead of stalling requests. (BullMQ opens its own: bull-queue.ts.)
 */
export function connectRedis(url: string, options: { commandTimeoutMs?: number } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}),
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Connection errors surface as failed commands (handled by each caller) and /readyz; without a
  // listener ioredis would also print each reconnect attempt to the console.
  redis.on('error', () => {});
  return redis;
}

/** Disconnects and resolves once the socket is really gone (so nothing of ours fails or lingers afterwards). */
export function disconnected(redis: Redis): Promise<unknown> {
  const ended = redis.status === 'end' ? Promise.resolve() : once(redis, 'end');
  redis.disconnect();
  return ended;
}
