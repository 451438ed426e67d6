import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The headers every answer shares. Rules:
 * - helmet's headers on everything, with a Content-Security-Policy that allows nothing: the API
 *   answers JSON, never a document to run or frame. The two HTML pages set their own on top: the
 *   web app's (web-app.ts) and Swagger UI's (openapi/index.ts).
 * - Under /api/v1 every answer is `Cache-Control: no-store` (they carry tokens and PHI) unless its
 *   route chose a cache header of its own: no browser, proxy or CDN keeps a copy.
 * - CORS, only for CORS_ORIGINS: the methods the API routes use, the request headers it reads and
 *   the response headers a client needs to read.
 */
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const CORS_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'idempotency-key',
  'x-request-id',
  'x-auth-mode',
];
const CORS_RESPONSE_HEADERS = [
  'x-request-id',
  'retry-after',
  'idempotent-replayed',
  'x-ratelimit-limit',
  'content-disposition',
];

export async function registerSecurityHeaders(
  app: FastifyInstance,
  { corsOrigins }: { corsOrigins: readonly string[] },
): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.url.startsWith('/api/v1/') && !reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
    }
    done(null, payload);
  });
  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins.includes('*') ? true : [...corsOrigins],
      methods: CORS_METHODS,
      allowedHeaders: CORS_REQUEST_HEADERS,
      exposedHeaders: CORS_RESPONSE_HEADERS,
      // Browsers may reuse a preflight's answer for 10 minutes (Chromium's own cap is 2 hours).
      maxAge: 600,
    });
  }
}
