import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { completeDocument } from './document.ts';
import { documentRoute } from './routes.ts';

export { problemSchema, type RouteProblems } from './problems.ts';

const GUIDE = readFileSync(new URL('./guide.md', import.meta.url), 'utf8');

const TAGS = [
  { name: 'auth', description: 'Accounts, sessions, MFA' },
  { name: 'users', description: 'Your own account' },
  { name: 'doctors', description: 'Profiles, search, verification' },
  { name: 'availability', description: 'Schedules, slots, live changes' },
  { name: 'appointments', description: 'Booking, changes, the consultation’s lifecycle' },
  { name: 'records', description: 'Clinical notes and prescriptions (PHI), and their public verification' },
  { name: 'payments', description: 'Checkout, gateway webhooks, the development sandbox' },
  { name: 'admin', description: 'For admins' },
  { name: 'audit', description: 'The hash-chained audit trail' },
  { name: 'ops', description: 'Health, readiness, keys (outside /api/v1)' },
];

/**
 * Swagger UI's page gets swagger-ui's own CSP (`staticCSP`: scripts from our origin only), not the
 * API's allow-nothing one, relaxed once more: the styles its code inserts at run time (style-src
 * 'unsafe-inline': styles only, never scripts). It is never framed, and requests keep their scheme
 * (a plain-HTTP development server can't answer an upgraded one).
 */
const swaggerCsp = (csp: string) =>
  csp
    .replace("frame-ancestors 'self'", "frame-ancestors 'none'")
    .replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'")
    .replace(/\s*upgrade-insecure-requests;/, '');

/**
 * The API's documents: OpenAPI 3.1 at /api-docs/openapi.json (Swagger UI at /api-docs), the
 * availability socket's AsyncAPI 3 at /api-docs/asyncapi.json. Register before the routes.
 * `serve: false` (API_DOCS=off, production's default) keeps the document for `app.swagger()` (the
 * CLI's export) but serves none of it.
 */
export async function registerApiDocs(
  app: FastifyInstance,
  asyncApi: () => unknown,
  { serve }: { serve: boolean },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Amrutam API', version: '1.0.0', description: GUIDE },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The `accessToken` from login, register, MFA verify or refresh',
          },
          refreshCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'amrutam_refresh',
            description:
              'Cookie mode (browsers): the refresh token in an HttpOnly cookie, set by the auth routes and read by them only with the header `X-Auth-Mode: cookie`',
          },
        },
      },
    },
    transform: documentRoute,
    transformObject: completeDocument,
  });
  if (!serve) return;
  await app.register(swaggerUi, {
    routePrefix: '/api-docs',
    staticCSP: true,
    transformStaticCSP: swaggerCsp,
  });
  const hidden = { schema: { hide: true }, config: { rateLimit: false as const } };
  app.get('/api-docs/openapi.json', hidden, async () => app.swagger());
  app.get('/api-docs/asyncapi.json', hidden, async () => asyncApi());
}
