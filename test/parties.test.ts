import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// What each party reads of their own things: a doctor's slots in every state, and appointments
// that name the other side, whatever the doctor's review state.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const ownSlots = async (doctor: Account, query = '') => {
  const res = await kit.call(doctor.accessToken, 'GET', `/doctors/me/slots${query}`, undefined, null);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Array<{
    id: string;
    status: string;
    source: string;
    appointmentId: string | null;
  }>;
};

describe('GET /doctors/me/slots', () => {
  it('lists every state with the appointment that has the slot; a lapsed hold reads as open', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(4, { hoursAhead: 48 });
    const [held, paid, lapsed, blocked] = slots.map((s) => s.id) as [string, string, string, string];
    const first = await signUp(t);
    const second = await signUp(t);
    const holding = (await kit.book(first, held)).json();
    const booked = (await kit.book(second, paid)).json();
    await kit.checkout(second, booked.payment.id);
    expect((await kit.pay(second, booked.payment.id, 'succeed')).statusCode).toBe(200);
    const third = await signUp(t);
    expect((await kit.book(third, lapsed)).statusCode).toBe(201);
    await sql`UPDATE slots SET status = 'blocked' WHERE id = ${blocked}`.execute(t.platform.db);
    t.clock.advance(5 * 60_000);
    await sql`UPDATE appointments SET hold_expires_at = ${t.clock.now()} WHERE slot_id = ${lapsed}`.execute(
      t.platform.db,
    );
    await sql`UPDATE slots SET held_until = ${t.clock.now()} WHERE id = ${lapsed}`.execute(t.platform.db);

    const items = await ownSlots(doctor);
    expect(
      items.map(({ id, status, source, appointmentId }) => ({ id, status, source, appointmentId })),
    ).toEqual([
      { id: held, status: 'held', source: 'manual', appointmentId: holding.id },
      { id: paid, status: 'booked', source: 'manual', appointmentId: booked.id },
      { id: lapsed, status: 'open', source: 'manual', appointmentId: null },
      { id: blocked, status: 'blocked', source: 'manual', appointmentId: null },
    ]);
  });

  it('works before verification, when the public is told the doctor does not exist', async () => {
    const doctor = await createDoctor(t, admin, {}, false);
    const startsAt = new Date(t.clock.now().getTime() + 48 * 3_600_000);
    const added = await kit.call(
      doctor.accessToken,
      'POST',
      '/doctors/me/slots',
      {
        slots: [
          {
            startsAt: startsAt.toISOString(),
            endsAt: new Date(startsAt.getTime() + 1_800_000).toISOString(),
            mode: 'video',
          },
        ],
      },
      null,
    );
    expect(added.statusCode, added.body).toBe(201);
    expect((await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots` })).statusCode).toBe(
      404,
    );
    expect(await ownSlots(doctor)).toMatchObject([{ status: 'open', appointmentId: null }]);
  });

  it('takes the same range rules as the public list; patients are 403', async () => {
    const { doctor } = await kit.doctorWithSlots(1);
    const get = (q: string) => kit.call(doctor.accessToken, 'GET', `/doctors/me/slots?${q}`, undefined, null);
    const reversed = await get('from=2026-03-05T00:00:00Z&to=2026-03-04T00:00:00Z');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json()).toMatchObject({
      code: 'INVALID_RANGE',
      errors: [{ path: 'querystring.to', message: 'must be after from' }],
    });
    expect((await get('from=2026-03-01T00:00:00Z&to=2026-04-15T00:00:00Z')).json().code).toBe(
      'RANGE_TOO_LARGE',
    );
    const patient = await signUp(t);
    expect(
      (await kit.call(patient.accessToken, 'GET', '/doctors/me/slots', undefined, null)).statusCode,
    ).toBe(403);
  });
});

describe('appointments name the other party', () => {
  it('the patient sees the doctor’s name and the doctor the patient’s, on every answer and replay', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(2);
    const patient = await signUp(t);
    const names = { doctorName: 'Test doctor', patientName: 'Test patient' };
    const key = 'names-1';
    const booked = await kit.book(patient, slots[0]!.id, key);
    expect(booked.json()).toMatchObject(names);
    expect((await kit.book(patient, slots[0]!.id, key)).json()).toMatchObject(names); // replay
    const id = booked.json().id;
    expect(await kit.appointment(doctor, id)).toMatchObject(names);
    const list = await kit.call(doctor.accessToken, 'GET', '/appointments', undefined, null);
    expect(list.json().items).toMatchObject([names]);
    const moved = await kit.call(patient.accessToken, 'POST', `/appointments/${id}/reschedule`, {
      slotId: slots[1]!.id,
    });
    expect(moved.json()).toMatchObject(names);
    const cancelled = await kit.call(doctor.accessToken, 'POST', `/appointments/${id}/cancel`, {
      reason: 'Travelling',
    });
    expect(cancelled.json()).toMatchObject({ ...names, status: 'cancelled' });
  });

  it('a doctor sent back to review is hidden from search but still on their patients’ appointments', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(1);
    const patient = await signUp(t);
    const id = (await kit.book(patient, slots[0]!.id)).json().id;
    const review = await t.inject({
      method: 'PATCH',
      url: '/api/v1/doctors/me',
      headers: bearer(doctor.accessToken),
      payload: { registrationNumber: 'NCISM-99999' },
    });
    expect(review.json().verificationStatus).toBe('pending');
    expect((await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}` })).statusCode).toBe(404);
    expect(await kit.appointment(patient, id)).toMatchObject({
      doctorId: doctor.id,
      doctorName: 'Test doctor',
    });
    const list = await kit.call(patient.accessToken, 'GET', '/appointments', undefined, null);
    expect(list.json().items).toMatchObject([{ id, doctorName: 'Test doctor' }]);
  });
});
