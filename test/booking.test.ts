import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/http/index.ts';
import {
  type Account,
  bearer,
  freshToken,
  quickPatients,
  signUp,
  startTestApp,
  type TestApp,
} from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
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

// Doctors with slots three days out (their slots an hour apart), slot states, invariants, locks.
const doctorWithSlots = (count: number, options: { feeMinor?: number } = {}) =>
  kit.doctorWithSlots(count, options);
const slotStatus = (id: string) => kit.slotStatus(id);
const assertInvariants = () => kit.assertInvariants();

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
      reason: 'Acidity for two weeks',
      // The gateway order is made when the patient checks out, not on the booking request.
      payment: { status: 'created', amountMinor: 50000, currency: 'INR', providerOrderId: null },
    });
    expect(await slotStatus(slots[0]!.id)).toBe('held');
    const checkout = await t.inject({
      method: 'POST',
      url: `/api/v1/payments/${body.payment.id}/checkout`,
      headers: bearer(patient.accessToken),
    });
    expect(checkout.json()).toMatchObject({
      paymentId: body.payment.id,
      provider: 'sandbox',
      orderId: expect.stringMatching(/^order_/),
      amountMinor: 50000,
      currency: 'INR',
      status: 'pending',
    });
    const again = await t.inject({
      method: 'POST',
      url: `/api/v1/payments/${body.payment.id}/checkout`,
      headers: bearer(patient.accessToken),
    });
    expect(again.json().orderId).toBe(checkout.json().orderId);
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

  it('refuses: unknown slot 404, wrong mode 400, past slot 409 SLOT_IN_PAST, own overlapping appointment 409 PATIENT_CONFLICT', async () => {
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
    expect(late.json().code).toBe('SLOT_IN_PAST');
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
    // Every loser's refusal is decided and stored as its key's answer (those refused from memory
    // share INSERTs).
    const stored = await t.platform.db
      .selectFrom('idempotency_keys')
      .select(sql<number>`count(*)::int`.as('n'))
      .where(
        'user_id',
        'in',
        patients.map((p) => p.id),
      )
      .where('response_status', '=', 409)
      .executeTakeFirstOrThrow();
    expect(stored.n).toBe(499);
    await assertInvariants();
  });

  it('a slot freed right after it was booked is bookable at once by the next patient', async () => {
    const { slots } = await doctorWithSlots(1);
    const [first, second, third] = await quickPatients(t, 3);
    const won = await book(first!.accessToken, { slotId: slots[0]!.id });
    expect((await book(second!.accessToken, { slotId: slots[0]!.id })).json().code).toBe('SLOT_UNAVAILABLE');
    await kit.call(first!.accessToken, 'POST', `/appointments/${won.json().id}/cancel`, { reason: 'x' });
    const next = await book(third!.accessToken, { slotId: slots[0]!.id });
    expect(next.statusCode).toBe(201);
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

  it('losing to a booking still running is not stored: once that one lets go, the same key books', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    // Another request holds the slot this very moment (its row locked, nothing decided yet).
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = t.platform.db.transaction().execute(async (tx) => {
      await sql`SELECT 1 FROM slots WHERE id = ${slots[0]!.id} FOR UPDATE`.execute(tx);
      locked();
      await released;
      throw new Error('rolled back');
    });
    await isLocked;
    const lost = await book(p!.accessToken, { slotId: slots[0]!.id }, key);
    expect(lost.statusCode).toBe(409);
    expect(lost.json().code).toBe('SLOT_UNAVAILABLE');
    release();
    await expect(holder).rejects.toThrow('rolled back');
    const retry = await book(p!.accessToken, { slotId: slots[0]!.id }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
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

  it('while a request holds its key, another with the key → 409 IDEMPOTENCY_IN_PROGRESS; if it dies, a retry runs at once', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    const body = { slotId: slots[0]!.id };
    const k = {
      userId: p!.id,
      key,
      fingerprints: fingerprintOf(t.platform.cipher, 'POST', '/api/v1/appointments', body),
    };
    // A request mid-transaction holds its key; it then "crashes" (its transaction rolls back).
    await expect(
      t.platform.db.transaction().execute(async (tx) => {
        await t.services.idempotencyStore.begin(tx, k, t.clock.now());
        const blocked = await book(p!.accessToken, body, key);
        expect(blocked.statusCode).toBe(409);
        expect(blocked.json().code).toBe('IDEMPOTENCY_IN_PROGRESS');
        throw new Error('crash');
      }),
    ).rejects.toThrow('crash');
    // Nothing it did survives, and nothing is left to wait for: no lease, no leftover key.
    const retried = await book(p!.accessToken, body, key);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('crash between commit and response: the retry with the same key gives the original answer', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    const body = { slotId: slots[0]!.id, reason: 'Knee pain' };
    // What the route does, minus the answer ever reaching the client (the process "dies" after commit).
    const committed = await t.services.appointments.book(
      { userId: p!.id, role: 'patient', sessionId: p!.id, mfa: false },
      body,
      { actor: { id: p!.id, role: 'patient' }, requestId: 'lost', ip: null },
      {
        userId: p!.id,
        key,
        fingerprints: fingerprintOf(t.platform.cipher, 'POST', '/api/v1/appointments', body),
      },
    );
    const retry = await book(p!.accessToken, body, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(t.services.appointments.renderBooking(JSON.parse(committed.body)));
    expect(retry.json().reason).toBe('Knee pain');
    await assertInvariants();
  });

  it('two requests with one key that slip past each other: the key decides, the loser changes nothing', async () => {
    const { slots } = await doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const key = randomUUID();
    const body = { slotId: slots[0]!.id };
    const fingerprints = fingerprintOf(t.platform.cipher, 'POST', '/api/v1/appointments', body);
    // Another writer of this key (without the advisory lock) is about to commit a refusal.
    let booking: Promise<Res> | undefined;
    await t.platform.db.transaction().execute(async (tx) => {
      await t.services.idempotencyStore.save(
        tx,
        { userId: p!.id, key, fingerprints },
        { status: 409, kind: 'problem', body: '{"code":"SLOT_UNAVAILABLE","detail":"first"}' },
        t.clock.now(),
      );
      booking = book(p!.accessToken, body, key);
      await kit.waitUntilBlocked();
    });
    const res = await booking!;
    expect(res.statusCode).toBe(409);
    expect(res.headers['idempotent-replayed']).toBe('true');
    expect(res.json()).toEqual({ code: 'SLOT_UNAVAILABLE', detail: 'first' });
    expect(await slotStatus(slots[0]!.id)).toBe('open');
    const made = await t.platform.db
      .selectFrom('appointments')
      .select('id')
      .where('patient_id', '=', p!.id)
      .execute();
    expect(made).toEqual([]);
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

describe('indexes the booking and payment paths look rows up by', () => {
  it('exist: appointments by slot, payments by gateway payment, refresh tokens by user', async () => {
    const { rows } = await sql<{ tablename: string; indexdef: string }>`
      SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'`.execute(t.platform.db);
    // A whole-table index led by the column (a partial one serves only the rows it covers).
    const leading = (table: string, column: string) =>
      rows.some(
        (r) =>
          r.tablename === table &&
          new RegExp(`\\(${column}[,)]`).test(r.indexdef) &&
          !r.indexdef.includes(' WHERE '),
      );
    expect(leading('appointments', 'slot_id')).toBe(true);
    expect(leading('payments', 'provider_payment_id')).toBe(true);
    expect(leading('refresh_tokens', 'user_id')).toBe(true);
  });
});
