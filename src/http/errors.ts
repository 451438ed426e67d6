import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isDependencyDown } from '../platform/unavailable.ts';
import { traceIdOf } from './tracing.ts';

export interface FieldError {
  path: string;
  message: string;
}

/** A failure the client should see as it is: status, stable code, safe detail. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterSeconds: number | undefined;
  readonly errors: FieldError[] | undefined;
  /** A passing state (a lock, a race still running): the same request may get another answer soon. */
  readonly transient: boolean;
  /** When a time window decides the answer: when it opens and closes (problem extension members). */
  readonly window: ProblemWindow | undefined;

  constructor(
    status: number,
    code: string,
    detail: string,
    options: {
      retryAfterSeconds?: number;
      errors?: FieldError[];
      transient?: boolean;
      window?: ProblemWindow;
    } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.errors = options.errors;
    this.transient = options.transient ?? false;
    this.window = options.window;
  }
}

export interface ProblemWindow {
  opensAt?: string;
  closesAt?: string;
}

export const unauthorized = (detail = 'Authentication is required', code = 'UNAUTHORIZED') =>
  new AppError(401, code, detail);
export const forbidden = (detail = 'You may not do this', code = 'FORBIDDEN') =>
  new AppError(403, code, detail);
export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (
  code: string,
  detail: string,
  options: { transient?: boolean; window?: ProblemWindow } = {},
) => new AppError(409, code, detail, options);
export const tooManyRequests = (retryAfterSeconds: number, detail = 'Too many requests, slow down') =>
  new AppError(429, 'RATE_LIMITED', detail, { retryAfterSeconds });
export const serviceUnavailable = (detail = 'A dependency is unavailable, retry shortly') =>
  new AppError(503, 'SERVICE_UNAVAILABLE', detail, { retryAfterSeconds: 5 });

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  traceId?: string;
  errors?: FieldError[];
  opensAt?: string;
  closesAt?: string;
}

export function problemOf(error: AppError, requestId: string, traceId?: string): Problem {
  return {
    type: `urn:amrutam:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
    requestId,
    ...(traceId ? { traceId } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
    ...error.window,
  };
}

declare module 'fastify' {
  interface FastifyReply {
    /** The problem code this reply answers with (for the http_problems_total metric). */
    problemCode: string | null;
  }
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  reply.problemCode = error.code;
  if (error.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  return reply
    .status(error.status)
    .type('application/problem+json')
    .send(problemOf(error, reply.request.id, traceIdOf(reply.request.span)));
}

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON', 'The request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'EMPTY_BODY', 'The request body is empty but JSON was declared'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'The request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Send application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST', 'Content-Length does not match the body'],
};

/** Turns anything thrown into a problem+json answer. Detail never echoes the request body. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    return new AppError(400, 'VALIDATION_FAILED', `The ${where} is invalid`, {
      errors: error.validation.flatMap((v) => {
        const at = [where, ...v.instancePath.split('/').filter(Boolean)];
        // One entry per unknown field, named like every other error.
        const unknown =
          v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] }).keys : undefined;
        if (unknown)
          return unknown.map((key) => ({ path: [...at, key].join('.'), message: v.message ?? '' }));
        return [{ path: at.join('.'), message: v.message ?? 'is invalid' }];
      }),
    });
  }
  if (isResponseSerializationError(error)) return new AppError(500, 'INTERNAL', 'Internal error');
  const fastifyError = error as Partial<FastifyError>;
  // JSON.parse messages quote the body (a password, say): the code maps to a fixed text instead.
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) return new AppError(known[0], known[1], known[2]);
  if (fastifyError.statusCode === 429) return tooManyRequests(60);
  if (isDependencyDown(error)) return serviceUnavailable();
  // SQLSTATE class 22 (data exception: a NUL byte, a year out of range, a number too large):
  // input the schemas let through but PostgreSQL can't store or compare. The client's to fix.
  if (typeof fastifyError.code === 'string' && /^22[0-9A-Z]{3}$/.test(fastifyError.code)) {
    return new AppError(400, 'VALIDATION_FAILED', 'A value is out of the range the service accepts');
  }
  // Deadlock or serialization failure: the database rolled this attempt back; a retry will pass.
  if (typeof fastifyError.code === 'string' && ['40P01', '40001'].includes(fastifyError.code)) {
    return new AppError(503, 'RETRY', 'A concurrent change got in the way; retry the request', {
      retryAfterSeconds: 1,
    });
  }
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    return new AppError(
      status,
      (STATUS_CODES[status] ?? 'Bad Request').toUpperCase().replace(/[^A-Z]+/g, '_'),
      STATUS_CODES[status] ?? 'Bad request',
    );
  }
  return new AppError(500, 'INTERNAL', 'Internal error');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.decorateReply('problemCode', null);
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, appError);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, noRoute(request)));
}

/** What the router refuses in a path parameter before any route sees it (Fastify's codes). */
const ROUTER_REFUSALS: Record<string, string> = {
  FST_ERR_BAD_URL: 'must be percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: 'is too long',
};

/**
 * Fastify's `frameworkErrors`: a path parameter the router refuses is invalid input like any other
 * (400 VALIDATION_FAILED), not Fastify's own JSON with a 414; no hook has run, so the request id
 * header is set here.
 */
export function sendFrameworkProblem(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.header('x-request-id', request.id);
  const refusal = ROUTER_REFUSALS[error.code];
  sendProblem(
    reply,
    refusal
      ? new AppError(400, 'VALIDATION_FAILED', 'The URL is invalid', {
          errors: [{ path: 'params', message: refusal }],
        })
      : toAppError(error),
  );
}

/** The answer for a path nothing serves (also the web app's fallback for API-looking paths). */
export function noRoute(request: FastifyRequest): AppError {
  return new AppError(404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`);
}
