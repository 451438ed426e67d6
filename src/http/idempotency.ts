import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { canonicalJson } from '../platform/canonical-json.ts';
import type { Clock } from '../platform/clock.ts';
import type { Cipher } from '../platform/crypto.ts';
import {
  type IdempotencyKey,
  type IdempotencyStore,
  isKeyCollision,
  KeyTaken,
  type StoredAnswer,
} from '../platform/idempotency-store.ts';
import { requireAuth } from './auth.ts';
import { AppError, conflict, problemOf } from './errors.ts';

/** Turns a stored result (the rows, parsed from JSON) into the response body. */
type Render = (rows: never) => unknown;

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;

/**
 * Method, path and canonical body: the same request whatever its field order or whitespace. Keyed
 * (the body may hold PHI, e.g. a reason): the stored fingerprint can't be matched against guesses.
 */
export function fingerprintOf(cipher: Cipher, method: string, url: string, body: unknown): string[] {
  return cipher.digests(
    `${method} ${url.split('?')[0]} ${canonicalJson(body ?? null)}`,
    'idempotency fingerprint',
  );
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyKey: IdempotencyKey | null;
  }
}

/**
 * A refusal the operation decided (the slot is taken, the appointment is not yours) is the key's
 * answer; what the client should fix or simply retry is not: bad input (400), auth (401/403),
 * throttling (429), our failures (5xx) and passing states (a lock, a race still running).
 */
const isDecided = (error: AppError) => (error.status === 404 || error.status === 409) && !error.transient;

/**
 * Idempotency for booking-type writes (SPEC §3.4). Same key + same request → the first answer again
 * (`Idempotent-Replayed: true`); same key + another request → 422; while the first still runs → 409;
 * no key → 400. Keys are per user and kept 24 h. Operations write their answer in their own
 * transaction (see platform/idempotency-store.ts); refusals are stored here once decided.
 */
export function createIdempotency(store: IdempotencyStore, clock: Clock, cipher: Cipher) {
  /** preHandler, after the role guard (401/403 come first, whatever the key). */
  const requireKey: preHandlerAsyncHookHandler = async (request: FastifyRequest) => {
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
    request.idempotencyKey = {
      userId: auth.userId,
      key,
      fingerprints: fingerprintOf(cipher, request.method, request.url, request.body),
    };
  };

  function send(reply: FastifyReply, answer: StoredAnswer, render: Render, replayed: boolean) {
    if (replayed) reply.header('idempotent-replayed', 'true');
    reply.status(answer.status);
    if (answer.kind === 'problem') {
      reply.problemCode = (JSON.parse(answer.body) as { code: string }).code;
      return reply.type('application/problem+json').send(answer.body);
    }
    // Rendered the same way the first time and on every replay; sent as is (no second validation pass).
    return reply.type('application/json').send(JSON.stringify(render(JSON.parse(answer.body) as never)));
  }

  function fromKeyState(reply: FastifyReply, state: KeyTaken['state'], render: Render) {
    switch (state.kind) {
      case 'replay':
        return send(reply, state.answer, render, true);
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
          { transient: true },
        );
    }
  }

  /**
   * Runs `operation` under the request's key and answers: its result, rendered by `render`; the
   * story the key already has; or its refusal, which becomes the key's answer when decided.
   */
  async function respond(
    request: FastifyRequest,
    reply: FastifyReply,
    operation: (key: IdempotencyKey) => Promise<StoredAnswer>,
    render: Render,
  ) {
    const key = request.idempotencyKey;
    if (!key) throw new Error('respond() needs the requireKey preHandler');
    try {
      return send(reply, await operation(key), render, false);
    } catch (error) {
      if (error instanceof KeyTaken) return fromKeyState(reply, error.state, render);
      if (isKeyCollision(error)) {
        // Another request with this key committed first: its answer is the answer. Or the row in
        // the way is older than the TTL (not yet removed by the hourly job): remove it, run again.
        const state = await store.find(key, clock.now());
        if (state) return fromKeyState(reply, state, render);
        await store.retire(key, clock.now());
        return respond(request, reply, operation, render);
      }
      if (!(error instanceof AppError) || !isDecided(error)) throw error;
      const refusal: StoredAnswer = {
        status: error.status,
        kind: 'problem',
        body: JSON.stringify(problemOf(error, request.id)),
      };
      const prior = await store.saveRefusal(key, refusal, clock.now());
      if (prior) return fromKeyState(reply, prior, render);
      return send(reply, refusal, render, false);
    }
  }

  return { requireKey, respond };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
