import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// GET /payments (issue 8, item 11): a patient's own payments, or everyone's for an admin.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp();
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const list = (token: string, query = '') =>
  t.inject({ method: 'GET', url: `/api/v1/payments${query}`, headers: bearer(token) });

/** A patient with `n` payments, made a second apart (the first paid, the others not). */
async function patientWithPayments(n: number) {
  const { doctor, slots } = await kit.doctorWithSlots(n);
  const patient = await signUp(t);
  const payments: Array<{ id: string; appointmentId: string }> = [];
  for (const slot of slots) {
    t.clock.advance(1000);
    const res = await kit.book(patient, slot.id);
    expect(res.statusCode, res.body).toBe(201);
    payments.push({ id: res.json().payment.id, appointmentId: res.json().id });
    // One unpaid hold per doctor: paying lets the patient book the next slot.
    await kit.checkout(patient, res.json().payment.id);
    expect((await kit.pay(patient, res.json().payment.id, 'succeed')).statusCode).toBe(200);
  }
  return { doctor, patient, payments };
}

describe('GET /payments', () => {
  it('a patient’s own payments, newest first, in keyset pages', async () => {
    const { patient, payments } = await patientWithPayments(3);
    const first = await list(patient.accessToken, '?limit=2');
    expect(first.statusCode, first.body).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((p: { id: string }) => p.id)).toEqual([payments[2]!.id, payments[1]!.id]);
    expect(page1.items[0]).toEqual({
      id: payments[2]!.id,
      appointmentId: payments[2]!.appointmentId,
      status: 'captured',
      amountMinor: 50000,
      currency: 'INR',
      refundedMinor: 0,
      providerOrderId: expect.any(String),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (await list(patient.accessToken, `?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.items.map((p: { id: string }) => p.id)).toEqual([payments[0]!.id]);
    expect(page2.nextCursor).toBeNull();
  });

  it('never another patient’s; admins see everyone’s; doctors → 403; signed out → 401', async () => {
    const x = await patientWithPayments(1);
    const y = await patientWithPayments(1);
    const ofY = (await list(y.patient.accessToken)).json().items.map((p: { id: string }) => p.id);
    expect(ofY).toEqual([y.payments[0]!.id]);
    const all = (await list(admin.accessToken, '?limit=100')).json().items.map((p: { id: string }) => p.id);
    expect(all).toEqual(expect.arrayContaining([x.payments[0]!.id, y.payments[0]!.id]));
    const doctor = await list(x.doctor.accessToken);
    expect(doctor.statusCode).toBe(403);
    expect((await t.inject({ method: 'GET', url: '/api/v1/payments' })).statusCode).toBe(401);
  });

  it('bad limits, cursors and unknown parameters → 400', async () => {
    const patient = await signUp(t);
    expect((await list(patient.accessToken)).json()).toEqual({ items: [], nextCursor: null });
    for (const [query, code] of [
      ['?limit=0', 'VALIDATION_FAILED'],
      ['?limit=101', 'VALIDATION_FAILED'],
      ['?limit=abc', 'VALIDATION_FAILED'],
      ['?status=captured', 'VALIDATION_FAILED'],
      ['?cursor=not-a-cursor', 'INVALID_CURSOR'],
    ]) {
      const res = await list(patient.accessToken, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().code, query).toBe(code);
    }
  });
});
