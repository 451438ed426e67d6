import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { noRoute } from './errors.ts';

/**
 * The built web app (web/dist) at `/`. Rules:
 * - The API's own paths are never shadowed: under RESERVED, an unknown path is the API's 404
 *   problem+json, never the app's HTML; so is a missing file under /assets/.
 * - Every other GET is the app's index.html (a SPA route such as /doctors/{id} survives a reload).
 * - Hashed assets are cached for a year; index.html is revalidated on every load so a deploy is
 *   picked up at once. Pre-compressed .br/.gz files (web/build.ts) are sent when accepted.
 * - The page's Content-Security-Policy allows only our own origin: no inline script or style,
 *   no framing; the API's JSON answers keep the global headers (helmet).
 */
const RESERVED = ['/api', '/api-docs', '/metrics', '/healthz', '/readyz', '/.well-known', '/assets'];
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const isReserved = (pathname: string) => RESERVED.some((p) => pathname === p || pathname.startsWith(`${p}/`));

export async function registerWebApp(
  app: FastifyInstance,
  { dir, logger }: { dir: string | null; logger: FastifyBaseLogger },
): Promise<void> {
  if (!dir) return;
  const indexFile = path.join(dir, 'index.html');
  if (!existsSync(indexFile)) {
    logger.warn({ dir }, 'web app not built (npm run build:web): serving the API only');
    return;
  }
  const indexHtml = readFileSync(indexFile);
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: false,
    preCompressed: true,
    schemaHide: true,
    globIgnore: ['index.html', '.vite/**', '**/*.gz', '**/*.br', '.source-hash'],
    setHeaders: (reply, file) => {
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    if (isReserved(request.url.split('?')[0]!)) throw noRoute(request);
    return reply
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(indexHtml);
  });
}
