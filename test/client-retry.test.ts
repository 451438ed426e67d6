import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApiError, createAmrutamClient, NetworkError, type Tokens } from '@amrutam/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { uniqueName } from './helpers/services.ts';

// @amrutam/client's retries and errors against a real server over HTTP. Failures the server can't
// be made to produce on cue (a lost answer, a 503, a 429) come from a fetch that stands between the
// client and the server; everything else is the server's own answer.
let t: TestApp;
let baseUrl: string;
let doctorId: string;
const freeSlots: string[] = [];
beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const admin = { email: `${uniqueName('ops')}@example.test`, password: 'a long admin password' };
  await t.services.auth.ensureAdmin({ ...admin, name: 'Ops' });
  const doctor = await signUp('doctor');
  await doctor.PUT('/api/v1/doctors/me', {
    body: {
      registrationNumber: 'NCISM/AY/1',
      council: 'NCISM',
      feeMinor: 50000,
      modes: ['video'],
      timezone: 'UTC',
    },
  });
  const base = t.clock.now().getTime() + 72 * 3_600_000;
  const { items } = await doctor.POST('/api/v1/doctors/me/slots', {
    body: {
      slots: Array.from({ length: 8 }, (_, i) => ({
        startsAt: new Date(base + i * 3_600_000).toISOString(),
        endsAt: new Date(base + i * 3_600_000 + 1_800_000).toISOString(),
        mode: 'video' as const,
      })),
    },
  });
  freeSlots.push(...items.map((slot) => slot.id));
  doctorId = (await doctor.GET('/api/v1/doctors/me')).id;
  const ops = createAmrutamClient({ baseUrl });
  await ops.auth.login(admin.email, admin.password);
  await ops.POST('/api/v1/admin/doctors/{id}/verify', {
    params: { path: { id: doctorId } },
    body: { status: 'verified' },
  });
});
afterAll(() => t.close());

async function signUp(role: 'patient' | 'doctor' = 'patient') {
  const client = createAmrutamClient({ baseUrl });
  await client.auth.register({
    email: `${uniqueName(role)}@example.test`,
    password: 'a long enough password',
    name: `Test ${role}`,
    role,
  });
  return client;
}

const slot = () => freeSlots.shift()!;

/** 'network': no answer; 'lost': the server handles it, its answer never arrives; or a canned answer. */
type Step = 'network' | 'lost' | Response;
interface Send {
  method: string;
  path: string;
  key: string | null;
  status?: number;
  requestId?: string | null;
  replayed?: string | null;
}

/**
 * A client (signed in as `tokens`) whose sends that `match` meet `steps` first, then the server.
 * Backoff is short here; Retry-After is honoured as the server (or the step) says.
 */
function harness(tokens: Tokens, match: (path: string) => boolean, steps: Step[] = []) {
  const sends: Send[] = [];
  const lost: unknown[] = [];
  const client = createAmrutamClient({
    baseUrl,
    tokens,
    retry: { attempts: 3, baseDelayMs: 10 },
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      if (!match(path)) return fetch(request);
      const send: Send = { method: request.method, path, key: request.headers.get('idempotency-key') };
      sends.push(send);
      const step = steps.shift();
      if (step === 'network') throw new TypeError('fetch failed');
      const response = step instanceof Response ? step : await fetch(request);
      Object.assign(send, {
        status: response.status,
        requestId: response.headers.get('x-request-id'),
        replayed: response.headers.get('idempotent-replayed'),
      });
      if (step !== 'lost') return response;
      lost.push(await response.json());
      throw new TypeError('fetch failed: connection reset');
    },
  });
  return { client, sends, lost };
}

const problem = (status: number, code: string, retryAfter?: number) =>
  new Response(
    JSON.stringify({
      type: 'urn:test',
      title: 'Test',
      status,
      detail: `canned ${code}`,
      code,
      requestId: 'canned',
    }),
    {
      status,
      headers: {
        'content-type': 'application/problem+json',
        ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
      },
    },
  );

const booking = (path: string) => path === '/api/v1/appointments';

describe('idempotent retries', () => {
  it('a booking whose answer was lost is sent again with the same key: one appointment, the replayed answer', async () => {
    const patient = await signUp();
    const h = harness(patient.tokens()!, booking, ['lost']);
    const slotId = slot();
    const booked = await h.client.POST('/api/v1/appointments', { body: { slotId } });
    expect(h.sends).toHaveLength(2);
    expect(h.sends[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.sends[1]!.key).toBe(h.sends[0]!.key);
    expect(h.sends.map((s) => [s.status, s.replayed])).toEqual([
      [201, null],
      [201, 'true'],
    ]);
    expect(booked).toEqual(h.lost[0]);
    const mine = await patient.GET('/api/v1/appointments');
    expect(mine.items.filter((a) => a.slotId === slotId)).toHaveLength(1);
  });

  it('503 and 429 are waited out per Retry-After, with the caller’s own key on every send', async () => {
    const patient = await signUp();
    const h = harness(patient.tokens()!, booking, [
      problem(503, 'SERVICE_UNAVAILABLE', 1),
      problem(429, 'RATE_LIMITED', 1),
    ]);
    const key = `book-${randomUUID()}`;
    const started = Date.now();
    const booked = await h.client.POST('/api/v1/appointments', {
      params: { header: { 'idempotency-key': key } },
      body: { slotId: slot() },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(booked.status).toBe('pending_payment');
    expect(h.sends.map((s) => [s.status, s.key])).toEqual([
      [503, key],
      [429, key],
      [201, key],
    ]);
    // The same key for another request is refused (and not retried): 422, typed, with the key.
    const reused = await h.client
      .POST('/api/v1/appointments', {
        params: { header: { 'idempotency-key': key } },
        body: { slotId: slot() },
      })
      .catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(ApiError);
    expect(reused).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED', idempotencyKey: key });
    expect(h.sends).toHaveLength(4);
  });

  it('a key still in flight (409 IDEMPOTENCY_IN_PROGRESS) is asked again; GETs retry network errors', async () => {
    const patient = await signUp();
    const h = harness(patient.tokens()!, booking, [problem(409, 'IDEMPOTENCY_IN_PROGRESS')]);
    expect((await h.client.POST('/api/v1/appointments', { body: { slotId: slot() } })).status).toBe(
      'pending_payment',
    );
    expect(h.sends.map((s) => s.status)).toEqual([409, 201]);
    const read = harness(patient.tokens()!, (path) => path === '/api/v1/appointments', [
      'network',
      'network',
    ]);
    expect((await read.client.GET('/api/v1/appointments')).items).toHaveLength(1);
    expect(read.sends).toHaveLength(3);
  });
});

describe('what is not retried, and how failures arrive', () => {
  it('refusals are typed ApiErrors with code, requestId and field errors, sent once', async () => {
    const [first, second] = [await signUp(), await signUp()];
    const slotId = slot();
    await first.POST('/api/v1/appointments', { body: { slotId } });
    const h = harness(second.tokens()!, booking);
    const taken = await h.client.POST('/api/v1/appointments', { body: { slotId } }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ApiError);
    const error = taken as ApiError;
    expect(error).toMatchObject({ status: 409, code: 'SLOT_UNAVAILABLE', title: 'Conflict', errors: [] });
    expect(error.requestId).toBe(h.sends[0]!.requestId);
    expect(error.idempotencyKey).toBe(h.sends[0]!.key);
    expect(error.message).toBe(error.detail);
    expect(h.sends).toHaveLength(1);

    const invalid = await h.client
      .POST('/api/v1/appointments', { body: { slotId: 'not-a-uuid' } })
      .catch((e) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((invalid as ApiError).errors.map((e) => e.path)).toEqual(['body.slotId']);
    expect((invalid as ApiError).requestId).toMatch(/\S/);
  });

  it('a POST without a key is sent once, whatever the failure; idempotent calls at most `attempts` times', async () => {
    const patient = await signUp();
    const checkout = (path: string) => path.endsWith('/checkout');
    const { payment } = await patient.POST('/api/v1/appointments', { body: { slotId: slot() } });
    const pay = { params: { path: { id: payment!.id } } };
    const unavailable = harness(patient.tokens()!, checkout, [problem(503, 'SERVICE_UNAVAILABLE', 0)]);
    await expect(unavailable.client.POST('/api/v1/payments/{id}/checkout', pay)).rejects.toMatchObject({
      status: 503,
      retryAfter: 0,
    });
    const offline = harness(patient.tokens()!, checkout, ['network']);
    const noAnswer = await offline.client.POST('/api/v1/payments/{id}/checkout', pay).catch((e) => e);
    expect(noAnswer).toBeInstanceOf(NetworkError);
    expect([unavailable.sends.length, offline.sends.length]).toEqual([1, 1]);

    const doctor = (path: string) => path === `/api/v1/doctors/${doctorId}`;
    const down = harness(
      patient.tokens()!,
      doctor,
      [0, 1, 2].map(() => problem(503, 'SERVICE_UNAVAILABLE', 0)),
    );
    await expect(
      down.client.GET('/api/v1/doctors/{id}', { params: { path: { id: doctorId } } }),
    ).rejects.toThrow(ApiError);
    expect(down.sends).toHaveLength(3);
    // Asked to wait longer than the client waits by itself (10 s): handed back at once.
    const later = harness(patient.tokens()!, doctor, [problem(429, 'RATE_LIMITED', 120)]);
    await expect(
      later.client.GET('/api/v1/doctors/{id}', { params: { path: { id: doctorId } } }),
    ).rejects.toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      retryAfter: 120,
    });
    expect(later.sends).toHaveLength(1);
    // An answer that is not problem+json (a proxy's page) still arrives as an ApiError.
    const proxy = harness(patient.tokens()!, doctor, [new Response('<h1>Bad gateway</h1>', { status: 502 })]);
    await expect(
      proxy.client.GET('/api/v1/doctors/{id}', { params: { path: { id: doctorId } } }),
    ).rejects.toMatchObject({
      status: 502,
      code: 'HTTP_502',
    });
  });
});
