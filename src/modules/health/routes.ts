import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import { unauthorized } from '../../http/index.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import { SILENT_MS, sinceLastBeat } from '../../platform/job-heartbeat.ts';
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
  // /readyz's `jobs` line as a metric, so an alert can page when nothing runs the jobs. Unseen for
  // SILENT_MS reads +Inf; when the store can't be read the gauge keeps its last value.
  new Gauge({
    name: 'job_runner_heartbeat_age_seconds',
    help: `Seconds since a job runner (worker, or API with RUN_JOBS) last said it was alive; +Inf: none in ${SILENT_MS / 1000} s`,
    registers: [platform.metrics.registry],
    async collect() {
      const ms = await withTimeout(sinceLastBeat(platform.kv, platform.clock), CHECK_TIMEOUT_MS).catch(
        () => undefined,
      );
      if (ms !== undefined) this.set(ms === null ? Number.POSITIVE_INFINITY : ms / 1000);
    },
  });

  app.get(
    '/healthz',
    {
      config,
      schema: {
        tags,
        summary: 'The process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  const readiness = z
    .object({
      status: z.enum(['ready', 'unavailable']),
      checks: z
        .record(z.string(), z.string())
        .meta({
          examples: [
            {
              database: 'ok (postgres)',
              redis: 'ok',
              jobs: 'ok (a job runner was seen 4 s ago)',
              shutdown: 'no',
            },
          ],
        })
        .describe('Each dependency, and whether a job runner was seen'),
    })
    .meta({ id: 'Readiness' });

  app.get(
    '/readyz',
    {
      config,
      schema: {
        tags,
        summary:
          'PostgreSQL and Redis are reachable (503 otherwise, and while shutting down); also reports whether a job runner was seen',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const [database, redis, jobs] = await Promise.all([
        check(() => sql`SELECT 1`.execute(platform.db)),
        platform.kv.mode === 'redis' ? check(() => platform.kv.ping()) : Promise.resolve('off (in-process)'),
        withTimeout(sinceLastBeat(platform.kv, platform.clock), CHECK_TIMEOUT_MS).then(
          (ms) =>
            ms === null
              ? `none seen in ${SILENT_MS / 1000} s: start \`npm run worker\` or set RUN_JOBS=true`
              : `ok (a job runner was seen ${Math.round(ms / 1000)} s ago)`,
          () => 'unknown (Redis is unreachable)',
        ),
      ]);
      // Reported, not a reason to take this instance out of the load balancer: it serves requests
      // whether or not anything runs the jobs.
      const checks = {
        database: `${database} (${platform.dbMode})`,
        redis,
        jobs,
        shutdown: isDraining() ? 'draining' : 'no',
      };
      const ready = database === 'ok' && (redis === 'ok' || platform.kv.mode === 'memory') && !isDraining();
      if (!ready) reply.header('retry-after', '5');
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );

  // Metrics name routes, queues and volumes: in production only for the scraper's token (config.ts).
  const { token, served } = platform.config.metrics;
  // Compared as digests: equal lengths for timingSafeEqual, whatever the header's length.
  const digest = (text: string) => Buffer.from(sha256Hex(text), 'hex');
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  const scraper = (header: string | undefined) =>
    expected === undefined || timingSafeEqual(digest(header ?? ''), expected);
  if (served) {
    app.get(
      '/metrics',
      { config, schema: { tags, summary: 'Prometheus metrics', hide: true } },
      async (request, reply) => {
        if (!scraper(request.headers.authorization)) {
          throw unauthorized('Send `Authorization: Bearer <METRICS_TOKEN>`');
        }
        reply.type(platform.metrics.registry.contentType);
        return platform.metrics.registry.metrics();
      },
    );
  } else {
    platform.logger.warn('/metrics is off: production without METRICS_TOKEN (see docs/operations.md)');
  }

  app.get(
    '/.well-known/jwks.json',
    {
      config,
      schema: {
        tags,
        summary: 'Public keys that sign access tokens',
        response: {
          200: z
            .object({
              keys: z.array(z.record(z.string(), z.unknown())).describe('JWKs (RFC 7517), one per key'),
            })
            .meta({
              examples: [
                {
                  keys: [
                    {
                      kty: 'OKP',
                      crv: 'Ed25519',
                      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
                      kid: 'k1',
                      alg: 'EdDSA',
                      use: 'sig',
                    },
                  ],
                },
              ],
            }),
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: [platform.signingKey.publicJwk] };
    },
  );
};
