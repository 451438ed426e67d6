import { once } from 'node:events';
import { context, trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { failed, SpanKind, type Tracing } from './tracing.ts';

/**
 * Fails fast while Redis is unreachable instead of queueing commands behind a reconnect, and (for
 * our own commands) fails a command Redis doesn't answer within `commandTimeoutMs`, so a hung Redis
 * degrades to the database instead of stalling requests. (BullMQ opens its own: bull-queue.ts.)
 */
export function connectRedis(
  url: string,
  options: { commandTimeoutMs?: number; tracing?: Tracing | null } = {},
): Redis {
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
  if (options.tracing) traceCommands(redis, options.tracing);
  return redis;
}

/**
 * Each command a CLIENT span, inside a trace only (as the database's: db/traced.ts). The span names
 * the command, never its keys or arguments. Pipelines and scripts go through sendCommand too.
 */
function traceCommands(redis: Redis, tracing: Tracing): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    if (!trace.getSpan(context.active())) return send(command, stream);
    const operation = command.name.toUpperCase();
    const span = tracing.tracer.startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'redis', 'db.operation.name': operation },
    });
    const sent = send(command, stream);
    command.promise.then(
      () => span.end(),
      (error: unknown) => {
        failed(span, error);
        span.end();
      },
    );
    return sent;
  };
}

/** Disconnects and resolves once the socket is really gone (so nothing of ours fails or lingers afterwards). */
export function disconnected(redis: Redis): Promise<unknown> {
  const ended = redis.status === 'end' ? Promise.resolve() : once(redis, 'end');
  redis.disconnect();
  return ended;
}
