import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/http/index.ts';
import {
  type Account,
  bearer,
  createDoctor,
  freshToken,
  quickPatients,
  signUp,
  startTestApp,
  type TestApp,
} from './helpers/app.ts';
import { bookingInvariantViolations } from './helpers/invariants.ts';

let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

type Res = Awaited<ReturnType<TestApp['inject']>>;
const book = (
  token: string,
  body: object,
  key: string | null = randomUUID(),
  app: TestApp = t,
): Promise<Res> =>
  app.inject({
    method: 'POST',
    url: '/api/v1/appointments',
    headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });

/** A verified doctor with `count` open 30-minute slots starting `daysAhead` days after the clock. */
async function doctorWithSlots(count: number, options: { feeMinor?: number; daysAhead?: number } = {}) {
  const doctor = await createDoctor(t, admin, { feeMinor: options.feeMinor ?? 50000 });
  const base = t.clock.now().getTime() + (options.daysAhead ?? 3) * 86_400_000;
  const res = await t.inject({
    method: 'POST',
    url: '/api/v1/doctors/me/slots',
    headers: bearer(doctor.accessToken),
    payload: {
      slots: Array.from({ length: count }, (_, i) => ({
        startsAt: new Date(base + i * 3_600_000).toISOString(),
        endsAt: new Date(base + i * 3_600_000 + 1_800_000).toISOString(),
        mode: 'video',
      })),
    },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return { doctor, slots: res.json().items as Array<{ id: string; startsAt: string }> };
}

async function slotStatus(id: string) {
  return (
    await t.platform.db.selectFrom('slots').select('status').where('id', '=', id).executeTakeFirstOrThrow()
  ).status;
}

async function assertInvariants() {
  expect(await bookingInvariantViolations(t.platform.db)).toEqual([]);
}

describe('booking', () => {
  it('holds the slot, creates the appointment and its payment order → 201', async () => {
    const { doctor, slots } = await doctorWithSlots(1);
    const patient = await signUp(t);
    const res = await book(patient.accessToken, { slotId: slots[0]!.id, reason: 'Acidity for two weeks' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      status: 'pending_payment',
      slotId: slots[0]!.id,
      doctorId: doctor.id,
      patientId: patient.id,
      startsAt: slots[0]!.startsAt,
      mode: 'video',
      holdExpiresAt: new Date(t.clock.now().getTime() + 600_000).toISOString(),
      payment: {
        status: 'pending',
        amountMinor: 50000,
        currency: 'INR',
        providerOrderId: expect.stringMatching(/^order_/),
      },
    });
    expect(await slotStatus(slots[0]!.id)).toBe('held');
    const publicSlots = await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots` });
    expect(publicSlots.json().items).toEqual([]);
    await assertInvariants();
  });

  it('a free consultation is confirmed at once and the slot booked', async () => {
    const { slots } = await doctorWithSlots(1, { feeMinor: 0 });
    const patient = await signUp(t);
    const res = await book(patient.accessToken, { slotId: slots[0]!.id });
    expect(res.json()).toMatchObject({ status: 'confirmed', payment: null, holdExpiresAt: null });
    expect(await slotStatus(slots[0]!.id)).toBe('booked');
  });

  it('refuses: unknown slot 404, wrong mode 400, past slot 409, own overlapping appointment 409 PATIENT_CONFLICT', async () => {
    const patient = await signUp(t);
    expect((await book(patient.accessToken, { slotId: randomUUID() })).statusCode).toBe(404);
    const { slots } = await doctorWithSlots(2);
    expect((await book(patient.accessToken, { slotId: slots[0]!.id, mode: 'chat' })).json().code).toBe(
      'MODE_MISMATCH',
    );
    const other = await doctorWithSlots(1);
    expect((await book(patient.accessToken, { slotId: slots[0]!.id })).statusCode).toBe(201);
    const clash = await book(patient.accessToken, { slotId: other.slots[0]!.id });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('PATIENT_CONFLICT');
    expect(await slotStatus(other.slots[0]!.id)).toBe('open'); // all or nothing
    t.clock.advance(30 * 86_400_000);
    const late = await book(await freshToken(t, patient), { slotId: slots[1]!.id });
    t.clock.advance(-30 * 86_400_000);
    expect(late.json().code).toBe('SLOT_UNAVAILABLE');
  });

  it('only patients book; no token → 401 whatever the key', async () => {
    const { slots, doctor } = await doctorWithSlots(1);
    expect((await book(doctor.accessToken, { slotId: slots[0]!.id })).statusCode).toBe(403);
    const anonymous = await t.inject({
      method: 'POST',
      url: '/api/v1/appointments',
      payload: { slotId: slots[0]!.id },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('one winner per slot', () => {
  it('500 concurrent bookings of one slot from 500 patients → exactly one 201, 499 × 409 SLOT_UNAVAILABLE', async () => {
    const { slots } = await doctorWithSlots(1);
    const patients = await quickPatients(t, 500);
    const results = await Promise.all(patients.map((p) => book(p.accessToken, { slotId: slots[0]!.id })));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(499);
    expect(
      results.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'SLOT_UNAVAILABLE'),
    ).toBe(true);
    await assertInvariants();
  });

  it('the same across two API instances on one database', async () => {
    const b = await startTestApp({ shareWith: t });
    try {
      const { slots } = await doctorWithSlots(1);
      const patients = await quickPatients(t, 300);
      const results = await Promise.all(
        patients.map((p, i) => book(p.accessToken, { slotId: slots[0]!.id }, randomUUID(), i % 2 ? b : t)),
      );
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 409)).toHaveLength(299);
      await assertInvariants();
    } finally {
      await b.close();
    }
  });

  it('the same with Redis down: the database alone keeps it exclusive', async () => {
    const c = await startTestApp({ shareWith: t });
    try {
      c.platform.kv.redis!.disconnect();
      const { slots } = await doctorWithSlots(1);
      const patients = await quickPatients(t, 200);
      const results = await Promise.all(
        patients.map((p) => book(p.accessToken, { slotId: slots[0]!.id }, randomUUID(), c)),
      );
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 409)).toHaveLength(199);
      await assertInvariants();
    } finally {
      await c.close();
    }
  });
});

describe('idempotency keys', () => {
  it('same key + same body → the stored answer, replayed; field order does not matter', async () => {
    const { slots } = await doctorWithSlots(1);
    const patient = await signUp(t);
    const key = randomUUID();
    const first = await book(patient.accessToken, { slotId: slots[0]!.id, reason: 'Back pain' }, key);
    const again = await t.inject({
      method: 'POST',
      url: '/api/v1/appointments',
      headers: { ...bearer(patient.accessToken), 'idempotency-key': key, 'content-type': 'application/json' },
      payload: `{ "reason": "Back pain",   "slotId": "${slots[0]!.id}" }`,
    });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const count = await t.platform.db
      .selectFrom('appointments')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('patient_id', '=', patient.id)
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it('same key + different body → 422; missing key → 400; bad body is not stored', async () => {
    const { slots } = await doctorWithSlots(2);
    const patient = await signUp(t);
    const key = randomUUID();
    const bad = await book(patient.accessToken, { slotId: 'not-a-uuid' }, key);
    expect(bad.statusCode).toBe(400);
    expect((await book(patient.accessToken, { slotId: slots[0]!.id }, key)).statusCode).toBe(201);
    const reused = await book(patient.accessToken, { slotId: slots[1]!.id }, key);
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    const missing = await book(patient.accessToken, { slotId: slots[1]!.id }, null);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('IDEMPOTENCY_KEY_REQUIRED');
  });

  it('a business conflict is stored and replayed; keys are per user', async () => {
    const { slots } = await doctorWithSlots(1);
    const [winner, loser] = await quickPatients(t, 2);
    const key = randomUUID();
    expect((await book(winner!.accessToken, { slotId: slots[0]!.id }, key)).statusCode).toBe(201);
    const lost = await book(loser!.accessToken, { slotId: slots[0]!.id }, key);
    expect(lost.statusCode).toBe(409); // the same key from another user is another key
    expect(lost.headers['idempotent-replayed']).toBeUndefined();
    const replay = await book(loser!.accessToken, { slotId: slots[0]!.id }, key);
    expect(replay.statusCode).toBe(409);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(lost.json());
  });

  it('a concurrent duplicate → 409 IDEMPOTENCY_IN_PROGRESS or the replay, never a second booking', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    const results = await Promise.all(
      [0, 1, 2].map(() => book(p!.accessToken, { slotId: slots[0]!.id }, key)),
    );
    expect(results.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replayed'])).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 201 || x.headers['idempotent-replayed'])) {
      expect(r.statusCode === 409 ? r.json().code : r.headers['idempotent-replayed']).toMatch(
        /^(IDEMPOTENCY_IN_PROGRESS|true)$/,
      );
    }
    const n = await t.platform.db
      .selectFrom('appointments')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('patient_id', '=', p!.id)
      .executeTakeFirstOrThrow();
    expect(n.n).toBe(1);
  });

  it('a request that died holding its key: 409 while its lease runs, then a retry takes over', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    const body = { slotId: slots[0]!.id };
    await t.services.idempotencyStore.claim(
      p!.id,
      key,
      fingerprintOf('POST', '/api/v1/appointments', body),
      t.clock.now(),
      30_000,
      86_400_000,
    );
    const blocked = await book(p!.accessToken, body, key);
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().code).toBe('IDEMPOTENCY_IN_PROGRESS');
    t.clock.advance(31_000);
    const retried = await book(p!.accessToken, body, key);
    expect(retried.statusCode).toBe(201);
  });

  it('crash between commit and response: the retry with the same key gives the original answer', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    const body = { slotId: slots[0]!.id };
    // What the route does, minus the answer ever reaching the client (the process "dies" after commit).
    const store = t.services.idempotencyStore;
    const claim = await store.claim(
      p!.id,
      key,
      fingerprintOf('POST', '/api/v1/appointments', body),
      t.clock.now(),
      30_000,
      86_400_000,
    );
    if (claim.kind !== 'claimed') throw new Error('expected to claim the key');
    const handle = {
      async complete(tx: Parameters<typeof store.complete>[4], status: number, answer: unknown) {
        await store.complete(
          p!.id,
          key,
          claim.token,
          { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(answer) },
          tx,
        );
      },
    };
    const committed = await t.services.appointments.book(
      { userId: p!.id, role: 'patient', sessionId: p!.id, mfa: false },
      body,
      { actor: { id: p!.id, role: 'patient' }, requestId: 'lost', ip: null },
      handle,
    );
    const retry = await book(p!.accessToken, body, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(committed.id);
    await assertInvariants();
  });

  it('a slow request that lost its key to a retry can neither answer nor release it', async () => {
    const [p] = await quickPatients(t, 1);
    const store = t.services.idempotencyStore;
    const slow = await store.claim(p!.id, 'k-slow', 'fp', t.clock.now(), 1000, 86_400_000);
    t.clock.advance(1500);
    const retry = await store.claim(p!.id, 'k-slow', 'fp', t.clock.now(), 1000, 86_400_000);
    if (slow.kind !== 'claimed' || retry.kind !== 'claimed')
      throw new Error('expected both claims to succeed');
    const answer = { status: 201, contentType: 'application/json', body: '{}' };
    expect(await store.complete(p!.id, 'k-slow', slow.token, answer)).toBe(false);
    await store.release(p!.id, 'k-slow', slow.token);
    expect(await store.complete(p!.id, 'k-slow', retry.token, answer)).toBe(true);
  });

  it('a business 400 is not stored: the same key may be retried', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    const first = await book(p!.accessToken, { slotId: slots[0]!.id, mode: 'chat' }, key);
    expect(first.json().code).toBe('MODE_MISMATCH');
    const again = await book(p!.accessToken, { slotId: slots[0]!.id, mode: 'chat' }, key);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keys are kept 24 h: after that the same key starts a new request', async () => {
    const { slots } = await doctorWithSlots(2);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    expect((await book(p!.accessToken, { slotId: slots[0]!.id }, key)).statusCode).toBe(201);
    expect((await book(p!.accessToken, { slotId: slots[1]!.id }, key)).statusCode).toBe(422);
    t.clock.advance(24 * 3_600_000 + 1000);
    const token = await t.services.tokens.issueAccessToken({ id: p!.id, role: 'patient' }, p!.id, false);
    const fresh = await book(token, { slotId: slots[1]!.id }, key);
    t.clock.advance(-(24 * 3_600_000 + 1000));
    expect(fresh.statusCode).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('metrics', () => {
  it('exposes booking outcomes, booking duration, holds expired, payments and outbox lag', async () => {
    const body = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    expect(body).toMatch(/booking_attempts_total\{outcome="booked"\} [1-9]/);
    expect(body).toMatch(/booking_attempts_total\{outcome="conflict"\} [1-9]/);
    expect(body).toContain('booking_duration_seconds_bucket');
    expect(body).toContain('holds_expired_total');
    expect(body).toContain('payments_total');
    expect(body).toMatch(/outbox_lag_seconds \d/);
  });
});
