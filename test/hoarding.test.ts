import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, quickPatients, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// OWASP API6 (unrestricted access to sensitive business flows), its own example: a patient who
// holds a doctor's slots without paying, or re-holds them as each hold lapses, or books every
// slot of a free doctor, keeps everyone else out.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const code = (res: Awaited<ReturnType<TestApp['inject']>>) => res.json().code;

/** `n` doctors with one slot each, an hour apart (so one patient's bookings never overlap). */
async function doctorsAtDistinctHours(n: number) {
  const doctors = [];
  for (let i = 0; i < n; i++) doctors.push(await kit.doctorWithSlots(1, { hoursAhead: 72 + i }));
  return doctors;
}

describe('unpaid holds', () => {
  it('one per doctor: a second slot of the same doctor waits until the first is paid', async () => {
    const { slots } = await kit.doctorWithSlots(3);
    const [p] = await quickPatients(t, 1);
    const first = await kit.book(p!, slots[0]!.id);
    expect(first.statusCode).toBe(201);
    const second = await kit.book(p!, slots[1]!.id);
    expect(second.statusCode).toBe(409);
    expect(code(second)).toBe('TOO_MANY_HOLDS');
    expect(await kit.slotStatus(slots[1]!.id)).toBe('open');
    await kit.checkout(p!, first.json().payment.id);
    await t.inject({
      method: 'POST',
      url: `/api/v1/payments/${first.json().payment.id}/sandbox/succeed`,
      headers: { authorization: `Bearer ${p!.accessToken}` },
    });
    expect((await kit.book(p!, slots[1]!.id)).statusCode).toBe(201);
  });

  it('three at once across doctors; a fourth is refused until one lapses', async () => {
    const doctors = await doctorsAtDistinctHours(4);
    const [p] = await quickPatients(t, 1);
    for (const d of doctors.slice(0, 3)) expect((await kit.book(p!, d.slots[0]!.id)).statusCode).toBe(201);
    const key = randomUUID();
    const fourth = await kit.book(p!, doctors[3]!.slots[0]!.id, key);
    expect(code(fourth)).toBe('TOO_MANY_HOLDS');
    t.clock.advance(600_001);
    // The refusal passed by itself, so it was not the key's answer: the same request now books.
    const token = await t.services.tokens.issueAccessToken({ id: p!.id, role: 'patient' }, p!.id, false);
    const retried = await kit.book({ accessToken: token }, doctors[3]!.slots[0]!.id, key);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('is exact under concurrency: 20 simultaneous bookings by one patient of 20 doctors → 3 holds', async () => {
    const doctors = await doctorsAtDistinctHours(20);
    const [p] = await quickPatients(t, 1);
    const results = await Promise.all(doctors.map((d) => kit.book(p!, d.slots[0]!.id)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 409).every((r) => code(r) === 'TOO_MANY_HOLDS')).toBe(true);
    const held = await t.platform.db
      .selectFrom('appointments')
      .select('id')
      .where('patient_id', '=', p!.id)
      .where('status', '=', 'pending_payment')
      .execute();
    expect(held).toHaveLength(3);
    await kit.assertInvariants();
  });

  it('a slot whose hold the patient let lapse can’t be re-held at once (the refusal is not stored)', async () => {
    const { slots } = await kit.doctorWithSlots(2);
    const [p] = await quickPatients(t, 1);
    expect((await kit.book(p!, slots[0]!.id)).statusCode).toBe(201);
    t.clock.advance(600_001);
    await t.services.appointments.expireHolds();
    const tokenNow = async () => ({
      accessToken: await t.services.tokens.issueAccessToken({ id: p!.id, role: 'patient' }, p!.id, false),
    });
    const token = await tokenNow();
    const key = randomUUID();
    const again = await kit.book(token, slots[0]!.id, key);
    expect(again.statusCode).toBe(409);
    expect(code(again)).toBe('HOLD_COOLDOWN');
    const other = await signUp(t);
    expect((await kit.book(other, slots[1]!.id)).statusCode).toBe(201); // others: fine
    // Once the cool-down (15 min) has passed, the same key books: the refusal was not its answer.
    t.clock.advance(900_001);
    const later = await kit.book(await tokenNow(), slots[0]!.id, key);
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
  });

  it('the cool-down holds before the expiry job has run, and after cancelling the hold unpaid', async () => {
    const { slots } = await kit.doctorWithSlots(1);
    const { slots: others } = await kit.doctorWithSlots(1, { hoursAhead: 80 });
    const [p] = await quickPatients(t, 1);
    expect((await kit.book(p!, slots[0]!.id)).statusCode).toBe(201);
    t.clock.advance(600_001); // lapsed, not expired: no job ran
    const fresh = {
      accessToken: await t.services.tokens.issueAccessToken({ id: p!.id, role: 'patient' }, p!.id, false),
    };
    expect(code(await kit.book(fresh, slots[0]!.id))).toBe('HOLD_COOLDOWN');
    const held = (await kit.book(fresh, others[0]!.id)).json();
    const cancelled = await kit.call(fresh.accessToken, 'POST', `/appointments/${held.id}/cancel`, {
      reason: 'x',
    });
    expect(cancelled.statusCode).toBe(200);
    expect(code(await kit.book(fresh, others[0]!.id))).toBe('HOLD_COOLDOWN');
  });

  it('no cool-down after a paid booking is cancelled, nor after the doctor cancels a hold', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(1);
    const [p] = await quickPatients(t, 1);
    const paid = (await kit.book(p!, slots[0]!.id)).json();
    await kit.checkout(p!, paid.payment.id);
    expect((await kit.pay(p!, paid.payment.id, 'succeed')).statusCode).toBe(200);
    await kit.call(p!.accessToken, 'POST', `/appointments/${paid.id}/cancel`, { reason: 'x' });
    const held = await kit.book(p!, slots[0]!.id);
    expect(held.json()).toMatchObject({ status: 'pending_payment' });
    const byDoctor = await kit.call(doctor.accessToken, 'POST', `/appointments/${held.json().id}/cancel`, {
      reason: 'x',
    });
    expect(byDoctor.statusCode).toBe(200);
    expect((await kit.book(p!, slots[0]!.id)).statusCode).toBe(201);
  });
});

describe('free consultations', () => {
  it('a patient may hold at most 3 upcoming bookings with one doctor, paid or free', async () => {
    const { slots } = await kit.doctorWithSlots(5, { feeMinor: 0 });
    const [p] = await quickPatients(t, 1);
    for (const s of slots.slice(0, 3)) {
      const res = await kit.book(p!, s.id);
      expect(res.json()).toMatchObject({ status: 'confirmed' });
    }
    const fourth = await kit.book(p!, slots[3]!.id);
    expect(code(fourth)).toBe('TOO_MANY_BOOKINGS');
    // Once one is cancelled, there is room again.
    const [first] = await t.platform.db
      .selectFrom('appointments')
      .select('id')
      .where('patient_id', '=', p!.id)
      .execute();
    const cancelled = await kit.call(p!.accessToken, 'POST', `/appointments/${first!.id}/cancel`, {
      reason: 'x',
    });
    expect(cancelled.statusCode).toBe(200);
    expect((await kit.book(p!, slots[3]!.id)).statusCode).toBe(201);
  });
});
