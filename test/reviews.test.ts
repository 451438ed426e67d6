import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// After a completed consultation its patient rates it once; the doctor's rating moves with it.
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp();
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const fresh = async (who: Account) => ({ ...who, accessToken: await freshToken(t, who) });

/** A doctor with `n` completed consultations, each with its own patient. */
async function completed(n: number) {
  const { doctor, slots } = await kit.doctorWithSlots(n, { hoursAhead: 2 });
  const visits: Array<{ patient: Account; id: string }> = [];
  for (const slot of slots) {
    const patient = await signUp(t);
    const a = (await kit.book(patient, slot.id)).json();
    await kit.pay(patient, a.payment.id, 'succeed');
    visits.push({ patient, id: a.id });
  }
  t.clock.set(slots.at(-1)!.startsAt);
  const d = await fresh(doctor);
  for (const { id } of visits) {
    for (const step of ['start', 'complete']) {
      const res = await kit.call(d.accessToken, 'POST', `/appointments/${id}/${step}`, undefined, null);
      if (res.statusCode !== 200) throw new Error(res.body);
    }
  }
  return {
    doctor: d,
    visits: await Promise.all(visits.map(async (v) => ({ ...v, patient: await fresh(v.patient) }))),
  };
}

const review = (who: Account, id: string, body: object) =>
  kit.call(who.accessToken, 'POST', `/appointments/${id}/review`, body, null);

describe('reviews', () => {
  it('the patient rates a completed consultation once; the doctor’s average and count follow exactly', async () => {
    const { doctor, visits } = await completed(3);
    const answers = [];
    for (const [i, rating] of [5, 4, 4].entries()) {
      t.clock.advance(1000); // newest first: each review a second after the last
      answers.push(await review(visits[i]!.patient, visits[i]!.id, { rating, comment: `Visit ${i}` }));
    }
    expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201]);
    expect(answers[2]!.json()).toMatchObject({ rating: 4, doctorRating: { average: 4.33, count: 3 } });
    const profile = await kit.call(doctor.accessToken, 'GET', `/doctors/${doctor.id}`, undefined, null);
    expect(profile.json().rating).toEqual({ average: 4.33, count: 3 });

    const again = await review(visits[0]!.patient, visits[0]!.id, { rating: 1 });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('ALREADY_REVIEWED');

    const list = await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/reviews?limit=2` });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toHaveLength(2);
    expect(JSON.stringify(list.json())).not.toContain(visits[0]!.patient.id);
    const rest = await t.inject({
      method: 'GET',
      url: `/api/v1/doctors/${doctor.id}/reviews?limit=2&cursor=${list.json().nextCursor}`,
    });
    expect(rest.json()).toMatchObject({ items: [{ comment: 'Visit 0', rating: 5 }], nextCursor: null });
    expect(await kit.auditActions(visits[0]!.id)).toContain('review.created');
  });

  it('only a completed consultation, only by its patient; bad ratings and comments are 400', async () => {
    const { doctor, visits } = await completed(1);
    const booked = await kit.booked();
    expect((await review(booked.patient, booked.appointment.id, { rating: 5 })).json().code).toBe(
      'INVALID_STATE',
    );
    const stranger = await signUp(t);
    expect((await review(stranger, visits[0]!.id, { rating: 5 })).statusCode).toBe(404);
    expect((await review(doctor, visits[0]!.id, { rating: 5 })).statusCode).toBe(403);
    for (const body of [
      { rating: 6 },
      { rating: 0 },
      { rating: 4.5 },
      { rating: 5, comment: 'x'.repeat(2001) },
      { rating: 5, extra: 1 },
      {},
    ]) {
      expect((await review(visits[0]!.patient, visits[0]!.id, body)).statusCode, JSON.stringify(body)).toBe(
        400,
      );
    }
  });

  it('two reviews of one consultation at once: one wins; the database refuses the rest outright', async () => {
    const { visits } = await completed(1);
    const { patient, id } = visits[0]!;
    const answers = await Promise.all([
      review(patient, id, { rating: 5 }),
      review(patient, id, { rating: 3 }),
    ]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    await expect(
      sql`UPDATE reviews SET rating = 1 WHERE appointment_id = ${id}`.execute(t.platform.db),
    ).rejects.toThrow(/not changed or removed/);
    const pending = await kit.booked();
    await expect(
      sql`INSERT INTO reviews (appointment_id, doctor_id, patient_id, rating, created_at)
          VALUES (${pending.appointment.id}, ${pending.doctor.id}, ${pending.patient.id}, 5, now())`.execute(
        t.platform.db,
      ),
    ).rejects.toThrow(/completed appointment/);
  });

  it('an unverified doctor’s reviews are 404 to the public, like the profile', async () => {
    const { doctor } = await completed(1);
    await t.inject({
      method: 'PATCH',
      url: '/api/v1/doctors/me',
      headers: { authorization: `Bearer ${doctor.accessToken}` },
      payload: { registrationNumber: 'NCISM-00001' },
    });
    expect((await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/reviews` })).statusCode).toBe(
      404,
    );
  });
});
