import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Platform } from '../../platform/platform.ts';
import { withTimeout } from '../../platform/timeout.ts';

const CHECK_TIMEOUT_MS = 1500;

async function check(run: () => Promise<unknown>): Promise<string> {
  try {
    await withTimeout(run(), CHECK_TIMEOUT_MS);
    return 'ok';
  } catch (error) {
    return `down: ${(error as Error).message}`;
  }
}

/** Operations endpoints, outside /api/v1 and outside rate limits. */
export const healthRoutes: FastifyPluginAsyncZod<{ platform: Platform; isDraining: () => boolean }> = async (
  app,
  { platform, isDraining },
) => {
  const config = { rateLimit: false } as const;
  const tags = ['ops'];

  app.get('/healthz', { config, schema: { tags, summary: 'The process is up' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    {
      config,
      schema: {
        tags,
        summary: 'PostgreSQL and Redis are reachable (503 otherwise, and while shutting down)',
        response: {
          200: z.object({ status: z.string(), checks: z.record(z.string(), z.string()) }),
          503: z.object({ status: z.string(), checks: z.record(z.string(), z.string()) }),
        },
      },
    },
    async (_request, reply) => {
      const [database, redis] = await Promise.all([
        check(() => sql`SELECT 1`.execute(platform.db)),
        platform.kv.mode === 'redis' ? check(() => platform.kv.ping()) : Promise.resolve('off (in-process)'),
      ]);
      const checks = {
        database: `${database} (${platform.dbMode})`,
        redis,
        shutdown: isDraining() ? 'draining' : 'no',
      };
      const ready = database === 'ok' && (redis === 'ok' || platform.kv.mode === 'memory') && !isDraining();
      if (!ready) reply.header('retry-after', '5');
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );

  app.get(
    '/metrics',
    { config, schema: { tags, summary: 'Prometheus metrics', hide: true } },
    async (_request, reply) => {
      reply.type(platform.metrics.registry.contentType);
      return platform.metrics.registry.metrics();
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { config, schema: { tags, summary: 'Public keys that sign access tokens' } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: [platform.signingKey.publicJwk] };
    },
  );
};
