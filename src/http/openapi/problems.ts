import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { utcSchema } from '../formats.ts';
import { PROBLEM_CODES, type ProblemCode } from '../problem-codes.ts';

/** What a route declares beyond the standard problems (see `standardProblems`): status → codes. */
export type RouteProblems = Partial<
  Record<400 | 401 | 403 | 404 | 409 | 422 | 426 | 429, readonly ProblemCode[]>
>;

declare module 'fastify' {
  interface FastifySchema {
    /** The problem codes this route answers besides the standard ones, by status (OpenAPI `x-problems`). */
    'x-problems'?: RouteProblems;
  }
}

export const fieldErrorSchema = z
  .object({
    path: z
      .string()
      .meta({ examples: ['body.slotId'] })
      .describe('Where: `body.`, `querystring.`, `params.` or `headers.` and the field'),
    message: z
      .string()
      .meta({ examples: ['must be a UUID, e.g. 0b5f8c1e-3c1a-4e1b-9a57-2f0f6d1c9e10'] })
      .describe('The rule it breaks'),
  })
  .meta({ id: 'FieldError' });

export const problemSchema = z
  .object({
    type: z.string().describe('A URN per code'),
    title: z.string().describe('The HTTP status text'),
    status: z.number().int(),
    detail: z.string().describe('For a person: what happened and what to do'),
    code: z.string().describe('Stable, UPPER_SNAKE: what a client branches on'),
    requestId: z.string().describe('Also in the `X-Request-Id` header: quote it when asking for help'),
    traceId: z
      .string()
      .optional()
      .describe('The OpenTelemetry trace of this request, when tracing is on: find it in your tracing UI'),
    errors: z.array(fieldErrorSchema).optional().describe('Validation failures, one per field'),
    opensAt: utcSchema.optional().describe('When a time window decides: when it opens'),
    closesAt: utcSchema.optional().describe('…and when it closes'),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details (`application/problem+json`), the shape of every error',
  });

/** What the HTTP layer can answer on any route with these traits, whatever the route does. */
export function standardProblems(route: {
  input: boolean;
  body: boolean;
  cursor: boolean;
  signedIn: boolean;
  pathId: boolean;
  idempotent: boolean;
  rateLimited: boolean;
  usesDependencies: boolean;
}): Map<number, ProblemCode[]> {
  const by = new Map<number, ProblemCode[]>();
  const add = (status: number, ...codes: ProblemCode[]) =>
    by.set(status, [...(by.get(status) ?? []), ...codes]);
  if (route.input) add(400, 'VALIDATION_FAILED');
  if (route.body) add(400, 'INVALID_JSON', 'EMPTY_BODY', 'BAD_REQUEST');
  if (route.cursor) add(400, 'INVALID_CURSOR');
  if (route.idempotent) add(400, 'IDEMPOTENCY_KEY_REQUIRED', 'IDEMPOTENCY_KEY_INVALID');
  if (route.signedIn)
    add(401, 'UNAUTHORIZED', 'INVALID_TOKEN', 'TOKEN_EXPIRED', 'SESSION_REVOKED', 'ACCOUNT_SUSPENDED');
  if (route.signedIn) add(403, 'FORBIDDEN', 'MFA_REQUIRED');
  if (route.pathId) add(404, 'NOT_FOUND');
  if (route.idempotent) add(409, 'IDEMPOTENCY_IN_PROGRESS');
  if (route.body) add(413, 'PAYLOAD_TOO_LARGE');
  if (route.body) add(415, 'UNSUPPORTED_MEDIA_TYPE');
  if (route.idempotent) add(422, 'IDEMPOTENCY_KEY_REUSED');
  if (route.rateLimited) add(429, 'RATE_LIMITED');
  if (route.usesDependencies) add(503, 'SERVICE_UNAVAILABLE', 'RETRY');
  return by;
}

const RETRY_AFTER = {
  'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' },
} as const;

/** An OpenAPI response (JSON Schema form, for @fastify/swagger) answering problems with these codes. */
export function problemResponse(status: number, codes: readonly ProblemCode[]) {
  const unique = [...new Set(codes)];
  const first = unique[0]!;
  return {
    description: `${STATUS_CODES[status]}. \`code\` is one of:\n${unique.map((c) => `- \`${c}\`: ${PROBLEM_CODES[c]}`).join('\n')}`,
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
    content: {
      'application/problem+json': {
        schema: { $ref: '#/components/schemas/Problem' },
        'x-codes': unique,
        example: {
          type: `urn:amrutam:problem:${first.toLowerCase().replaceAll('_', '-')}`,
          title: STATUS_CODES[status],
          status,
          detail: PROBLEM_CODES[first],
          code: first,
          requestId: '5f0c7d3e-8a41-4a0e-9f65-0b9d2c6a1e77',
          ...(first === 'VALIDATION_FAILED'
            ? {
                errors: [
                  {
                    path: 'body.slotId',
                    message: 'must be a UUID, e.g. 0b5f8c1e-3c1a-4e1b-9a57-2f0f6d1c9e10',
                  },
                ],
              }
            : {}),
        },
      },
    },
  };
}
