/**
 * When a call may be sent again, and how long to wait first.
 *
 * Invariants:
 * - Only idempotent requests are retried: GET, HEAD, OPTIONS, PUT, DELETE, and POSTs that carry an
 *   `Idempotency-Key` (the server replays its stored answer for a repeated key, so a booking whose
 *   answer was lost is not made twice). Any other POST or PATCH is sent exactly once.
 * - Retried: no answer at all (network error), 503 and 429 (they carry `Retry-After`), and the
 *   409s that the API documents as "retry" (a request with this key still running, a concurrent
 *   change), which it never stores under the key.
 * - `Retry-After` is honoured, never shortened: an answer asking for more than `maxRetryAfterMs` is
 *   handed to the caller (with `retryAfter`) instead of holding the call that long.
 * - Otherwise full-jitter exponential backoff, so many clients failing together don't come back
 *   together; at most `attempts` sends per call.
 */
import { retryAfterSeconds } from './errors.ts';

export interface RetryOptions {
  /** Sends per call, the first included (1: never retry). Default 4. */
  attempts: number;
  /** The first backoff's upper bound; it doubles per attempt. Default 250 ms. */
  baseDelayMs: number;
  /** The backoff's ceiling. Default 4 s. */
  maxDelayMs: number;
  /** The longest `Retry-After` the client waits out by itself. Default 10 s. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 10_000,
};

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRY_CODES = new Set(['IDEMPOTENCY_IN_PROGRESS', 'CONCURRENT_UPDATE']);

export function isIdempotent(request: Request): boolean {
  return IDEMPOTENT_METHODS.has(request.method) || request.headers.has('idempotency-key');
}

/** The wait before attempt `attempt + 1` (full jitter). */
export function backoffMs(attempt: number, options: RetryOptions): number {
  return Math.random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
}

/** How long to wait before sending again after this answer, or null: the answer is final. */
export async function retryDelayMs(
  response: Response,
  attempt: number,
  options: RetryOptions,
): Promise<number | null> {
  if (response.status === 503 || response.status === 429) {
    const seconds = retryAfterSeconds(response.headers.get('retry-after'));
    if (seconds === undefined) return backoffMs(attempt, options);
    const wait = seconds * 1000;
    // A little jitter on top: clients told the same second don't all return in it.
    return wait > options.maxRetryAfterMs ? null : wait + Math.random() * options.baseDelayMs;
  }
  if (response.status === 409 && response.headers.get('content-type')?.includes('json')) {
    const code = await response
      .clone()
      .json()
      .then((body) => (body as { code?: unknown }).code)
      .catch(() => undefined);
    if (typeof code === 'string' && RETRY_CODES.has(code)) return backoffMs(attempt, options);
  }
  return null;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as the caller aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
