import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { canonicalJson } from '../platform/canonical-json.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/index.ts';
import type { IdempotencyStore } from '../platform/idempotency-store.ts';
import { requireAuth } from './auth.ts';
import { AppError, conflict } from './errors.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;

/** Method, path and canonical body: the same request whatever its field order or whitespace. */
export function fingerprintOf(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url.split('?')[0]} ${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/** Lets a service record the answer inside its own transaction, so a crash after commit can't lose it. */
export interface IdempotencyHandle {
  complete(tx: Db, status: number, body: unknown): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { userId: string; key: string; token: string; handle: IdempotencyHandle } | null;
  }
}

// Answers that are the client's to fix or retry (bad input, auth, throttling, our failures):
// not stored, the key is given back. 2xx and business refusals (404, 409, 422) are stored.
function isReplayable(status: number): boolean {
  return !(status === 400 || status === 401 || status === 403 || status === 429 || status >= 500);
}

/**
 * Opt-in idempotency for write routes: `preHandler: idempotent` (after authentication; schema
 * validation has already run, so invalid bodies never consume a key). Same key + same request →
 * the stored answer with `Idempotent-Replayed: true`; same key + different request → 422; while
 * the first is running → 409; missing key → 400. Keys are per user and kept 24 h.
 */
export function createIdempotency(store: IdempotencyStore, clock: Clock, leaseMs: number) {
  const idempotent: preHandlerAsyncHookHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const auth = requireAuth(request);
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0) {
      throw new AppError(
        400,
        'IDEMPOTENCY_KEY_REQUIRED',
        'Send an Idempotency-Key header (e.g. a UUID) with this request',
      );
    }
    if (!KEY_PATTERN.test(key))
      throw new AppError(
        400,
        'IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1–255 characters [A-Za-z0-9_.:-]',
      );
    const fingerprint = fingerprintOf(request.method, request.url, request.body);
    const claim = await store.claim(auth.userId, key, fingerprint, clock.now(), leaseMs, IDEMPOTENCY_TTL_MS);
    switch (claim.kind) {
      case 'mismatch':
        throw new AppError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used with a different request',
        );
      case 'in_progress':
        throw conflict(
          'IDEMPOTENCY_IN_PROGRESS',
          'A request with this Idempotency-Key is still being processed; retry shortly',
        );
      case 'replay':
        reply.header('idempotent-replayed', 'true');
        return reply.status(claim.response.status).type(claim.response.contentType).send(claim.response.body);
      case 'claimed': {
        const { token } = claim;
        request.idempotency = {
          userId: auth.userId,
          key,
          token,
          handle: {
            async complete(tx, status, body) {
              const response = {
                status,
                contentType: 'application/json; charset=utf-8',
                body: JSON.stringify(body),
              };
              // A retry took the key over while this request was slow: roll this one back.
              if (!(await store.complete(auth.userId, key, token, response, tx))) {
                throw conflict(
                  'IDEMPOTENCY_IN_PROGRESS',
                  'A retry with this Idempotency-Key took over; this attempt changed nothing',
                );
              }
            },
          },
        };
      }
    }
  };

  /** onSend (registered once): stores the final answer, or gives the key back. */
  async function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const claimed = request.idempotency;
    if (!claimed) return payload;
    request.idempotency = null;
    if (isReplayable(reply.statusCode) && typeof payload === 'string') {
      const contentType = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8');
      await store.complete(claimed.userId, claimed.key, claimed.token, {
        status: reply.statusCode,
        contentType,
        body: payload,
      });
    } else {
      await store.release(claimed.userId, claimed.key, claimed.token);
    }
    return payload;
  }
  return { idempotent, onSend };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
