/**
 * The two ways a call fails, as classes an app can `instanceof`:
 * - ApiError: the server answered with an error status; its problem+json body (RFC 9457) is read
 *   into typed fields. Branch on `code` (stable UPPER_SNAKE), show `detail` to people.
 * - NetworkError: no answer at all (offline, DNS, connection reset) after the retries allowed.
 * Both carry the `Idempotency-Key` the call used, if any: retrying later with that same key can
 * never book twice.
 */
import type { components } from './schema.d.ts';

export type Problem = components['schemas']['Problem'];
export type FieldError = components['schemas']['FieldError'];

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  /** The problem's `code`; `HTTP_<status>` when the body was not problem+json (a proxy's page). */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  /** Quote it when reporting a bug; from the body, else the `X-Request-Id` header. */
  readonly requestId: string | undefined;
  /** Per-field validation failures (400 VALIDATION_FAILED); empty otherwise. */
  readonly errors: FieldError[];
  /** A W3C trace id, when the answer carries one (a `traceId` member or a `traceparent` header). */
  readonly traceId: string | undefined;
  /** Seconds to wait before trying again (429, 503), from `Retry-After`. */
  readonly retryAfter: number | undefined;
  readonly idempotencyKey: string | undefined;
  /** The whole problem body, with extension members such as `opensAt`/`closesAt`. */
  readonly problem: Problem | undefined;

  constructor(response: Response, body: unknown, idempotencyKey?: string) {
    const problem = isProblem(body) ? body : undefined;
    const detail = problem?.detail ?? `HTTP ${response.status}`;
    super(detail);
    this.status = response.status;
    this.code = problem?.code ?? `HTTP_${response.status}`;
    this.title = problem?.title ?? response.statusText;
    this.detail = detail;
    this.requestId = problem?.requestId ?? response.headers.get('x-request-id') ?? undefined;
    this.errors = problem?.errors ?? [];
    this.traceId = traceIdOf(body, response.headers);
    this.retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
    this.idempotencyKey = idempotencyKey;
    this.problem = problem;
  }
}

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly idempotencyKey: string | undefined;
  constructor(cause: unknown, idempotencyKey?: string) {
    super(`No answer from the API: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.idempotencyKey = idempotencyKey;
  }
}

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).code === 'string' &&
    typeof (body as Problem).status === 'number'
  );
}

function traceIdOf(body: unknown, headers: Headers): string | undefined {
  const member = (body as { traceId?: unknown } | null)?.traceId;
  if (typeof member === 'string') return member;
  // traceparent: version-traceid-parentid-flags
  return /^[\da-f]{2}-([\da-f]{32})-/.exec(headers.get('traceparent') ?? '')?.[1];
}

/** `Retry-After` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
