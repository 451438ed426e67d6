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
 * The API's documents: OpenAPI 3.1 at /api-docs/openapi.json (Swagger UI at /api-docs), the
 * availability socket's AsyncAPI 3 at /api-docs/asyncapi.json. Register before the routes.
 */
export async function registerApiDocs(app: FastifyInstance, asyncApi: () => unknown): Promise<void> {
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
  await app.register(swaggerUi, { routePrefix: '/api-docs' });
  const hidden = { schema: { hide: true }, config: { rateLimit: false as const } };
  app.get('/api-docs/openapi.json', hidden, async () => app.swagger());
  app.get('/api-docs/asyncapi.json', hidden, async () => asyncApi());
}
