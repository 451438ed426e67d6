import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import {
  createIdempotency,
  registerAuthentication,
  registerErrorHandling,
  tooManyRequests,
} from './http/index.ts';
import { appointmentRoutes } from './modules/appointments/routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { authRoutes } from './modules/auth/routes.ts';
import { availabilityRoutes } from './modules/availability/routes.ts';
import { availabilitySocket } from './modules/availability/socket.ts';
import { doctorRoutes } from './modules/doctors/routes.ts';
import { healthRoutes } from './modules/health/routes.ts';
import { paymentRoutes } from './modules/payments/routes.ts';
import type { Platform } from './platform/platform.ts';
import { createServices, type Services } from './services.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface App {
  app: FastifyInstance;
  services: Services;
  /** Flip /readyz to 503 so load balancers stop sending traffic before we close. */
  startDraining(): void;
}

export async function buildApp(platform: Platform): Promise<App> {
  const { config } = platform;
  const services = createServices(platform);
  let draining = false;

  const base = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino's extra type parameters.
    loggerInstance: platform.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    // Take the caller's X-Request-Id when it is sane (it ends up in logs), else make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
  });
  const app = base.withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(base);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // While draining, responses close their keep-alive connection so shutdown isn't held open by idle clients.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    platform.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(helmet, {
    // Swagger UI needs inline assets; the API itself only serves JSON.
    contentSecurityPolicy: false,
  });
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      exposedHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed'],
    });
  }

  registerAuthentication(base, services.tokens.verifyAccessToken);
  const idempotency = createIdempotency(
    services.idempotencyStore,
    platform.clock,
    config.idempotencyLeaseSeconds * 1000,
  );
  base.decorateRequest('idempotency', null);
  base.addHook('onSend', idempotency.onSend);
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: config.rateLimit.perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.auth ? `user:${request.auth.userId}` : `ip:${request.ip}`),
    ...(platform.kv.redis ? { redis: platform.kv.redis, nameSpace: `${config.redisKeyPrefix}rl:` } : {}),
    // A Redis outage must not take the API down with it.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl / 1000),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Amrutam API',
        version: '1.0.0',
        description: 'Telemedicine backend for Ayurveda consultations',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api-docs' });
  await app.register(websocket, {
    options: { maxPayload: 4096 },
    // Tell live clients we are going away (1001) so they reconnect to another instance.
    preClose: async () => {
      for (const client of base.websocketServer.clients) client.close(1001, 'server shutting down');
    },
  });
  app.get('/api-docs/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );

  await app.register(healthRoutes, { platform, isDraining: () => draining });
  await app.register(
    async (api) => {
      await api.register(authRoutes, {
        auth: services.auth,
        doctorProfileOf: (who) => services.doctors.getVisible(who.userId, who).catch(() => null),
        mfaRequiredRoles: config.mfaRequiredRoles,
        authPerMinute: config.rateLimit.authPerMinute,
      });
      await api.register(auditRoutes, { audit: services.audit, mfaRequiredRoles: config.mfaRequiredRoles });
      await api.register(doctorRoutes, {
        doctors: services.doctors,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(availabilityRoutes, {
        availability: services.availability,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(availabilitySocket, { feed: services.feed, doctors: services.doctors });
      await api.register(appointmentRoutes, {
        appointments: services.appointments,
        idempotency,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(paymentRoutes, {
        payments: services.payments,
        appointments: services.appointments,
        sandbox: services.sandbox,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
    },
    { prefix: '/api/v1' },
  );

  return {
    app: base,
    services,
    startDraining: () => {
      draining = true;
    },
  };
}
