import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { ProblemCode } from '../problem-codes.ts';
import { problemResponse, standardProblems } from './problems.ts';

type Json = Record<string, unknown>;
type RouteDocument = Parameters<typeof jsonSchemaTransform>[0];

const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * @fastify/swagger's per-route transform: the zod schemas as JSON Schema (fastify-type-provider-zod),
 * then what every route of the HTTP layer shares, so no route documents it by hand:
 * - every problem it can answer, by status, with the codes (the standard ones from its traits, plus
 *   its own `x-problems`), each status with the Problem shape, an example and `Retry-After` where due;
 * - `Idempotency-Key` marked required where the route requires it (it is checked after
 *   authentication, so the runtime schema can't require it: a missing token must stay 401);
 * - the WebSocket route, which @fastify/websocket hides, as a GET answering 101.
 */
export function documentRoute(document: RouteDocument) {
  const { route, url } = document;
  const websocket = typeof (route as { wsHandler?: unknown }).wsHandler === 'function';
  const given = document.schema as Json | undefined;
  const out = jsonSchemaTransform(
    websocket && given ? { ...document, schema: { ...given, hide: false } } : document,
  ) as { schema: Json; url: string };
  const schema = out.schema;
  if (!schema || schema.hide) return out;

  const headers = schema.headers as { properties?: Json; required?: string[] } | undefined;
  const idempotent = headers?.properties?.[IDEMPOTENCY_HEADER] !== undefined;
  if (headers && idempotent)
    headers.required = [...new Set([...(headers.required ?? []), IDEMPOTENCY_HEADER])];

  const query = schema.querystring as { properties?: Json } | undefined;
  // Fastify parses a body sent to any of these methods, schema or not (too large: 413, not JSON: 415).
  const takesBody =
    Boolean(schema.body) ||
    [route.method].flat().some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(String(m)));
  const problems = standardProblems({
    input: Boolean(takesBody || schema.querystring || schema.params || schema.headers),
    body: takesBody,
    cursor: query?.properties?.cursor !== undefined,
    signedIn: Array.isArray(schema.security) && schema.security.length > 0,
    pathId: Boolean(schema.params),
    idempotent,
    rateLimited: (route.config as { rateLimit?: unknown } | undefined)?.rateLimit !== false,
    usesDependencies: url.startsWith('/api/v1/'),
  });
  for (const [status, codes] of Object.entries(
    (schema['x-problems'] ?? {}) as Record<string, ProblemCode[]>,
  )) {
    problems.set(Number(status), [...(problems.get(Number(status)) ?? []), ...codes]);
  }
  delete schema['x-problems'];

  const response: Json = { ...(schema.response as Json | undefined) };
  if (websocket) {
    response[101] = {
      type: 'null',
      description:
        'Switching Protocols: the socket then carries JSON text messages, each one of `SocketMessage` (see the AsyncAPI document at `/api-docs/asyncapi.json`).',
    };
    schema['x-messages'] = { $ref: '#/components/schemas/SocketMessage' };
  }
  for (const [status, codes] of [...problems].sort(([a], [b]) => a - b)) {
    if (response[status] === undefined) response[status] = problemResponse(status, codes);
  }
  schema.response = response;
  return out;
}
