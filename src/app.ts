import { randomUUID } from 'node:crypto';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import {
  createIdempotency,
  registerAuthentication,
  registerErrorHandling,
  registerInputChecks,
  sendFrameworkProblem,
  useReadableMessages,
} from './http/index.ts';
import { registerApiDocs } from './http/openapi/index.ts';
import { registerRateLimit } from './http/rate-limit.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { registerTracing, traceIdOf } from './http/tracing.ts';
import { registerWebApp } from './http/web-app.ts';
import { analyticsRoutes } from './modules/analytics/routes.ts';
import { appointmentRoutes } from './modules/appointments/routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { adminUserRoutes } from './modules/auth/admin-users-routes.ts';
import { authRoutes } from './modules/auth/routes.ts';
import { availabilityAsyncApi } from './modules/availability/asyncapi.ts';
import { availabilityRoutes } from './modules/availability/routes.ts';
import { availabilitySocket } from './modules/availability/socket.ts';
import { createSocketLimits } from './modules/availability/socket-limits.ts';
import { deadLetterRoutes } from './modules/dead-letters/routes.ts';
import { doctorRoutes } from './modules/doctors/routes.ts';
import { healthRoutes } from './modules/health/routes.ts';
import { notificationRoutes } from './modules/notifications/routes.ts';
import { paymentRoutes } from './modules/payments/routes.ts';
import { recordsRoutes } from './modules/records/routes.ts';
import { reviewRoutes } from './modules/reviews/routes.ts';
import { roomRoutes } from './modules/rooms/routes.ts';
import { lazyChild } from './platform/logger.ts';
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
    // A hop count trusts that many proxies nearest to us (proxy-addr's hop index starts at 0).
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(config.trustProxy)
        : config.trustProxy,
    requestIdHeader: false,
    // Take the caller's X-Request-Id when it is sane (it ends up in logs), else make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Fastify's two lines per request give way to one cheap access-log line (onResponse below).
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    frameworkErrors: sendFrameworkProblem,
  });
  const app = base.withTypeProvider<ZodTypeProvider>();
  base.setChildLoggerFactory((logger, bindings, options) => lazyChild(logger as Logger, bindings, options));
  // First: the request's span is active for every hook and handler after it.
  if (platform.tracing) registerTracing(base, platform.tracing);

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  useReadableMessages();
  registerErrorHandling(base);
  registerInputChecks(base);
  // Bodies are JSON: a text/plain body is 415, not a string that fails validation as "not an object".
  base.removeContentTypeParser('text/plain');

  // One cheap line per request instead of Fastify's two: fixed fields of ours (no bodies, no
  // query strings, no headers), so it skips the redaction every other log line goes through.
  const accessLog = platform.logger.child({}, { redact: [] });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // While draining, responses close their keep-alive connection so shutdown isn't held open by
  // idle clients (a request already running when draining began included).
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    platform.metrics.httpDuration.observe(
      { method: request.method, route, status: String(status) },
      reply.elapsedTime / 1000,
    );
    // Read-your-writes: after a user's write, their reads skip the replica for a moment.
    if (request.auth && request.method !== 'GET' && status < 400) platform.reads.pinUser(request.auth.userId);
    if (reply.problemCode) {
      platform.metrics.httpProblems.inc({
        method: request.method,
        route,
        status: String(status),
        code: reply.problemCode,
      });
    }
    if (accessLog.isLevelEnabled('info')) {
      accessLog.info(
        {
          requestId: request.id,
          ...(request.span ? { traceId: traceIdOf(request.span) } : {}),
          method: request.method,
          route,
          status,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
    }
    done();
  });

  await registerSecurityHeaders(base, { corsOrigins: config.corsOrigins });

  registerAuthentication(base, services.tokens.verifyAccessToken);
  // After authentication (limits key on the user), before body parsing and the idempotency key.
  registerRateLimit(base, {
    counters: platform.kv.counters,
    clock: platform.clock,
    logger: platform.logger,
    perMinute: config.rateLimit.perMinute,
    syncMs: config.rateLimit.syncMs,
  });
  base.decorateRequest('idempotencyKey', null);
  const idempotency = createIdempotency(services.idempotencyStore, platform.clock, platform.cipher);

  // Every instance listens for doctors' changes (its read model, its WebSocket clients).
  await services.feed.listen().catch((error: unknown) => {
    platform.logger.warn({ err: error }, 'not subscribed to doctor changes yet; retried on first use');
  });
  services.readModel.start();
  platform.reads.start();
  // Ended sessions' access tokens are refused from the first request on (modules/auth/revocations.ts).
  await services.revocations.start();
  base.addHook('onClose', async () => {
    services.readModel.stop();
    await services.revocations.stop();
    await services.feed.close();
  });

  await registerApiDocs(base, () => availabilityAsyncApi('1.0.0'), { serve: config.apiDocs });
  await app.register(websocket, {
    options: { maxPayload: 4096 },
    // Tell live clients we are going away (1001) so they reconnect to another instance.
    preClose: async () => {
      for (const client of base.websocketServer.clients) client.close(1001, 'server shutting down');
    },
  });

  await app.register(healthRoutes, { platform, isDraining: () => draining });
  await app.register(
    async (api) => {
      await api.register(authRoutes, {
        auth: services.auth,
        doctorProfileOf: (who) => services.doctors.own(who.userId).catch(() => null),
        mfaRequiredRoles: config.mfaRequiredRoles,
        authPerMinute: config.rateLimit.authPerMinute,
      });
      await api.register(adminUserRoutes, { auth: services.auth, mfaRequiredRoles: config.mfaRequiredRoles });
      await api.register(auditRoutes, { audit: services.audit, mfaRequiredRoles: config.mfaRequiredRoles });
      await api.register(doctorRoutes, {
        doctors: services.doctors,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(availabilityRoutes, {
        availability: services.availability,
        mfaRequiredRoles: config.mfaRequiredRoles,
        schedulePerMinute: config.schedule.changesPerMinute,
      });
      await api.register(availabilitySocket, {
        feed: services.feed,
        doctors: services.doctors,
        limits: createSocketLimits(config.sockets, platform.metrics.registry),
      });
      await api.register(appointmentRoutes, {
        appointments: services.appointments,
        idempotency,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(roomRoutes, { rooms: services.rooms, mfaRequiredRoles: config.mfaRequiredRoles });
      await api.register(reviewRoutes, {
        reviews: services.reviews,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(recordsRoutes, {
        records: services.records,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(paymentRoutes, {
        payments: services.payments,
        events: services.paymentEvents,
        sandbox: services.sandbox,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(notificationRoutes, {
        notifications: services.notifications,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(analyticsRoutes, {
        analytics: services.analytics,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
      await api.register(deadLetterRoutes, {
        deadLetters: services.deadLetters,
        mfaRequiredRoles: config.mfaRequiredRoles,
      });
    },
    { prefix: '/api/v1' },
  );
  await registerWebApp(base, { dir: config.webDir, logger: platform.logger });

  return {
    app: base,
    services,
    startDraining: () => {
      draining = true;
    },
  };
}
