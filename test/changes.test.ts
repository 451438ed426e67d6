import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/platform/canonical-json.ts';
import { Cipher } from '../src/platform/crypto.ts';
import { type Account, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
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

const cancel = (who: Account, id: string, key?: string) =>
  kit.call(who.accessToken, 'POST', `/appointments/${id}/cancel`, { reason: 'Changed plans' }, key);
const reschedule = (who: Account, id: string, slotId: string, key?: string) =>
  kit.call(who.accessToken, 'POST', `/appointments/${id}/reschedule`, { slotId }, key);
const step = (who: Account, id: string, path: string) =>
  kit.call(who.accessToken, 'POST', `/appointments/${id}/${path}`, undefined, null);
const hours = (n: number) => n * 3_600_000;
/** Moves the test clock; the returned tokens are fresh at the new time. */
async function later(ms: number, ...who: Account[]): Promise<Account[]> {
  t.clock.advance(ms);
  return Promise.all(who.map(async (a) => ({ ...a, accessToken: await freshToken(t, a) })));
}

describe('cancel', () => {
  it('a patient cancelling ≥ 24 h ahead gets a full refund; the slot reopens', async () => {
    const { patient, appointment: a } = await kit.booked(72);
    await kit.pay(patient, a.payment.id, 'succeed');
    const res = await cancel(patient, a.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'patient',
      cancelReason: 'Changed plans',
      refund: { amountMinor: 50000, status: 'pending' },
    });
    expect(await kit.slotStatus(a.slotId)).toBe('open');
  });

  it('GET …/cancellation tells each party, before they decide, what a cancellation now would refund', async () => {
    const quote = (who: Account, id: string) =>
      kit.call(who.accessToken, 'GET', `/appointments/${id}/cancellation`, undefined, null);
    const { patient, doctor, appointment: a } = await kit.booked(72);
    await kit.pay(patient, a.payment.id, 'succeed');
    const startsAt = new Date(a.startsAt).getTime();
    expect((await quote(patient, a.id)).json()).toEqual({
      canCancel: true,
      reason: null,
      paidMinor: 50000,
      refundMinor: 50000,
      currency: 'INR',
      fullRefundUntil: new Date(startsAt - hours(24)).toISOString(),
      lateRefundPercent: 0,
    });
    const [p, d] = await later(hours(50), patient, doctor); // 22 h before the start: late for the patient
    expect((await quote(p!, a.id)).json()).toMatchObject({ canCancel: true, refundMinor: 0 });
    expect((await quote(d!, a.id)).json()).toMatchObject({ refundMinor: 50000, fullRefundUntil: null });
    expect((await cancel(p!, a.id)).json().refund.amountMinor).toBe(0); // what the quote said
    expect((await quote(p!, a.id)).json()).toMatchObject({
      canCancel: false,
      reason: 'The appointment is cancelled',
    });
    const stranger = await signUp(t);
    expect((await quote(stranger, a.id)).statusCode).toBe(404);
  });

  it('a patient cancelling later gets nothing back; a doctor cancelling always refunds in full', async () => {
    const late = await kit.booked(10);
    await kit.pay(late.patient, late.appointment.payment.id, 'succeed');
    expect((await cancel(late.patient, late.appointment.id)).json().refund).toEqual({
      amountMinor: 0,
      status: 'none',
    });
    const byDoctor = await kit.booked(10);
    await kit.pay(byDoctor.patient, byDoctor.appointment.payment.id, 'succeed');
    const doc = await cancel(byDoctor.doctor, byDoctor.appointment.id);
    expect(doc.json()).toMatchObject({ cancelledBy: 'doctor', refund: { amountMinor: 50000 } });
  });

  it('cancelling twice is 409 INVALID_STATE, but the same key replays the first answer', async () => {
    const { patient, appointment: a } = await kit.booked();
    const key = randomUUID();
    const first = await cancel(patient, a.id, key);
    const replay = await cancel(patient, a.id, key);
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const again = await cancel(patient, a.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('INVALID_STATE');
  });

  it('nothing is cancelled after the start by the patient or the doctor; an admin still can, refunding in full', async () => {
    const { doctor, patient, appointment: a } = await kit.booked(2);
    await kit.pay(patient, a.payment.id, 'succeed');
    const [p, d, ad] = await later(hours(2) + 60_000, patient, doctor, admin);
    for (const who of [p!, d!]) {
      const res = await cancel(who, a.id);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('TOO_LATE');
    }
    expect((await cancel(ad!, a.id)).json()).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'admin',
      refund: { amountMinor: 50000 },
    });
  });

  it('a transient conflict (the appointment moved under the request) is not stored: the same key then succeeds', async () => {
    const { patient, appointment: a, otherSlotId } = await kit.booked();
    const key = randomUUID();
    let first: Promise<Awaited<ReturnType<typeof cancel>>> | undefined;
    // The cancel locks the appointment's slot, then waits for the appointment's lock while a
    // reschedule (done here by hand) moves it to another slot and commits.
    await t.platform.db.transaction().execute(async (tx) => {
      await sql`SELECT 1 FROM appointments WHERE id = ${a.id} FOR UPDATE`.execute(tx);
      first = cancel(patient, a.id, key);
      await kit.waitUntilBlocked();
      await sql`UPDATE slots SET status = 'held', held_until = ${t.clock.now()} WHERE id = ${otherSlotId}`.execute(
        tx,
      );
      await sql`UPDATE appointments SET slot_id = ${otherSlotId} WHERE id = ${a.id}`.execute(tx);
    });
    const res = await first!;
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('CONCURRENT_UPDATE');
    await sql`UPDATE slots SET status = 'open', held_until = NULL WHERE id = ${a.slotId}`.execute(
      t.platform.db,
    ); // the move, finished
    const retry = await cancel(patient, a.id, key);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json().status).toBe('cancelled');
  });
});

describe('reschedule', () => {
  it('moves to another open slot atomically, keeping the payment', async () => {
    const { patient, appointment: a, otherSlotId } = await kit.booked();
    await kit.pay(patient, a.payment.id, 'succeed');
    const res = await reschedule(patient, a.id, otherSlotId);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'confirmed',
      slotId: otherSlotId,
      payment: { id: a.payment.id, status: 'captured' },
    });
    expect(await kit.slotStatus(a.slotId)).toBe('open');
    expect(await kit.slotStatus(otherSlotId)).toBe('booked');
    await kit.assertInvariants();
  });

  it('to a taken slot or another doctor’s slot fails with nothing changed', async () => {
    const one = await kit.booked();
    const two = await kit.booked();
    const other = await reschedule(one.patient, one.appointment.id, two.appointment.slotId);
    expect(other.statusCode).toBe(400);
    expect(other.json().code).toBe('DIFFERENT_DOCTOR');
    const stranger = await signUp(t);
    expect((await kit.book(stranger, one.otherSlotId)).statusCode).toBe(201);
    const busy = await reschedule(one.patient, one.appointment.id, one.otherSlotId);
    expect(busy.json().code).toBe('SLOT_UNAVAILABLE');
    const same = await reschedule(one.patient, one.appointment.id, one.appointment.slotId);
    expect(same.json()).toMatchObject({
      code: 'SAME_SLOT',
      detail: expect.stringContaining('already on this slot'),
    });
    expect(await kit.slotStatus(one.appointment.slotId)).toBe('held');
  });

  it('onto a slot whose hold lapsed: that hold is expired, with its audit row and event', async () => {
    const { doctor, slots } = await kit.doctorWithSlots(2);
    const [mover, lapser] = [await signUp(t), await signUp(t)];
    const moving = (await kit.book(mover, slots[0]!.id)).json();
    await kit.pay(mover, moving.payment.id, 'succeed');
    const lapsed = (await kit.book(lapser, slots[1]!.id)).json();
    const [m] = await later(600_001, mover);
    expect((await reschedule(m!, moving.id, slots[1]!.id)).statusCode).toBe(200);
    expect(await kit.auditActions(lapsed.id)).toEqual(['appointment.booked', 'appointment.expired']);
    const events = await t.platform.db.selectFrom('outbox').select(['topic', 'payload']).execute();
    expect(
      events
        .filter((e) => (e.payload as { appointmentId?: string }).appointmentId === lapsed.id)
        .map((e) => e.topic),
    ).toEqual(['appointment.created', 'appointment.expired']);
    expect(doctor.id).toBe(moving.doctorId);
    await kit.assertInvariants();
  });

  it('only until the cut-off (24 h) before the current start, and never after the start', async () => {
    const { patient, appointment: a, otherSlotId } = await kit.booked(20);
    const late = await reschedule(patient, a.id, otherSlotId);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('TOO_LATE');
    expect(await kit.slotStatus(a.slotId)).toBe('held');
  });
});

describe('a reschedule can’t launder a late cancellation (refund judged on the earlier start)', () => {
  let lax: TestApp;
  let laxKit: ReturnType<typeof bookingKit>;
  beforeAll(async () => {
    // A clinic that lets patients reschedule until 1 h before: the refund rule must still hold.
    lax = await startTestApp({ clockStart: '2026-03-01T00:00:00Z', env: { RESCHEDULE_CUTOFF_HOURS: '1' } });
    laxKit = bookingKit(lax, await signUp(lax, 'admin'));
  });
  afterAll(() => lax.close());

  /** One more 30-minute slot of this doctor, `ahead` hours from the clock. */
  async function slotAt(doctor: Account, ahead: number): Promise<string> {
    const startsAt = lax.clock.now().getTime() + hours(ahead);
    const res = await laxKit.call(
      doctor.accessToken,
      'POST',
      '/doctors/me/slots',
      {
        slots: [
          {
            startsAt: new Date(startsAt).toISOString(),
            endsAt: new Date(startsAt + 1_800_000).toISOString(),
            mode: 'video',
          },
        ],
      },
      null,
    );
    return res.json().items[0].id;
  }
  const move = (who: Account, id: string, slotId: string) =>
    laxKit.call(who.accessToken, 'POST', `/appointments/${id}/reschedule`, { slotId });
  const cancelAt = (who: Account, id: string) =>
    laxKit.call(who.accessToken, 'POST', `/appointments/${id}/cancel`, { reason: 'x' });

  it('booked 2 h ahead, moved 3 days out, cancelled: no refund', async () => {
    const { doctor, slots } = await laxKit.doctorWithSlots(1, { hoursAhead: 2 });
    const farSlot = await slotAt(doctor, 72);
    const patient = await signUp(lax);
    const a = (await laxKit.book(patient, slots[0]!.id)).json();
    await laxKit.checkout(patient, a.payment.id);
    await laxKit.pay(patient, a.payment.id, 'succeed');
    const moved = await move(patient, a.id, farSlot);
    expect(moved.statusCode, moved.body).toBe(200);
    const res = await cancelAt(patient, a.id);
    expect(res.json()).toMatchObject({ status: 'cancelled', refund: { amountMinor: 0, status: 'none' } });
  });

  it('a chain of moves: far → near (late once the clock runs) → far again, cancelled: judged on the near start', async () => {
    const { doctor, slots } = await laxKit.doctorWithSlots(1, { hoursAhead: 240 });
    const near = await slotAt(doctor, 30);
    const farAgain = await slotAt(doctor, 100);
    let [patient] = [await signUp(lax)];
    const a = (await laxKit.book(patient!, slots[0]!.id)).json();
    await laxKit.checkout(patient!, a.payment.id);
    await laxKit.pay(patient!, a.payment.id, 'succeed');
    expect((await move(patient!, a.id, near)).statusCode).toBe(200);
    lax.clock.advance(hours(10)); // the near start is now 20 h away: a cancellation would be late
    patient = { ...patient!, accessToken: await freshToken(lax, patient!) };
    expect((await move(patient, a.id, farAgain)).statusCode).toBe(200);
    const res = await cancelAt(patient, a.id);
    expect(res.json()).toMatchObject({ status: 'cancelled', refund: { amountMinor: 0, status: 'none' } });
  });

  it('however short the cut-off, nothing is rescheduled once the appointment has started', async () => {
    const { slots } = await laxKit.doctorWithSlots(2, { hoursAhead: 2 });
    const patient = await signUp(lax);
    const a = (await laxKit.book(patient, slots[0]!.id)).json();
    await laxKit.checkout(patient, a.payment.id);
    await laxKit.pay(patient, a.payment.id, 'succeed');
    lax.clock.advance(hours(2) + 60_000);
    const fresh = { ...patient, accessToken: await freshToken(lax, patient) };
    const moved = await laxKit.call(fresh.accessToken, 'POST', `/appointments/${a.id}/reschedule`, {
      slotId: slots[1]!.id,
    });
    expect(moved.statusCode).toBe(409);
    expect(moved.json()).toMatchObject({ code: 'TOO_LATE', detail: expect.stringContaining('has started') });
  });
});

describe('lifecycle and ownership', () => {
  it('an unpaid appointment can’t start; confirmed → in_progress → completed; repeating is 409', async () => {
    const { doctor, patient, appointment: a } = await kit.booked();
    expect((await step(doctor, a.id, 'start')).json().code).toBe('INVALID_STATE');
    await kit.pay(patient, a.payment.id, 'succeed');
    expect((await step(patient, a.id, 'start')).statusCode).toBe(403);
    expect((await step(doctor, a.id, 'complete')).json().code).toBe('INVALID_STATE');
    const [d, p] = await later(
      new Date(a.startsAt).getTime() - t.clock.now().getTime() - 15 * 60_000,
      doctor,
      patient,
    );
    expect((await step(d!, a.id, 'start')).json().status).toBe('in_progress');
    expect((await step(d!, a.id, 'complete')).json().status).toBe('completed');
    expect((await step(d!, a.id, 'complete')).json().code).toBe('INVALID_STATE');
    expect((await cancel(p!, a.id)).json().code).toBe('INVALID_STATE');
    await kit.assertInvariants();
  });

  it('no-show only from 10 minutes after the start and only when confirmed', async () => {
    const { doctor, patient, appointment: a } = await kit.booked(2);
    await kit.pay(patient, a.payment.id, 'succeed');
    expect((await step(doctor, a.id, 'no-show')).json().code).toBe('TOO_EARLY');
    const [d] = await later(hours(2) + 11 * 60_000, doctor);
    expect((await step(d!, a.id, 'no-show')).json().status).toBe('no_show');
  });

  it('the database refuses an illegal transition even if code tried one', async () => {
    const { appointment: a } = await kit.booked();
    await expect(
      sql`UPDATE appointments SET status = 'completed' WHERE id = ${a.id}`.execute(t.platform.db),
    ).rejects.toThrow(/illegal appointment transition/);
  });

  it('another user’s appointment is 404; lists show only your own; admins see all', async () => {
    const { patient, doctor, appointment: a } = await kit.booked();
    const stranger = await signUp(t);
    expect(
      (await kit.call(stranger.accessToken, 'GET', `/appointments/${a.id}`, undefined, null)).statusCode,
    ).toBe(404);
    expect((await cancel(stranger, a.id)).statusCode).toBe(404);
    const mine = (await kit.call(patient.accessToken, 'GET', '/appointments', undefined, null)).json();
    expect(mine.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    const doctors = (
      await kit.call(doctor.accessToken, 'GET', '/appointments?status=pending_payment', undefined, null)
    ).json();
    expect(doctors.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    const adminToken = await freshToken(t, admin);
    const all = await kit.call(adminToken, 'GET', '/appointments?limit=100', undefined, null);
    expect(all.json().items.map((i: { id: string }) => i.id)).toContain(a.id);
    // Walking with a small page size visits every appointment once, in start order.
    const walked: Array<{ id: string; startsAt: string }> = [];
    let cursor: string | null = null;
    do {
      const pageRes = await kit.call(
        adminToken,
        'GET',
        `/appointments?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        null,
      );
      walked.push(...pageRes.json().items);
      cursor = pageRes.json().nextCursor;
    } while (cursor);
    expect(walked.map((w) => w.id).sort()).toEqual(
      all
        .json()
        .items.map((i: { id: string }) => i.id)
        .sort(),
    );
    expect(walked.map((w) => w.startsAt)).toEqual([...walked.map((w) => w.startsAt)].sort());
  });
});

describe('free text is PHI', () => {
  it('reasons are encrypted at rest and kept out of audit details and stored idempotency answers', async () => {
    const { slots } = await kit.doctorWithSlots(1);
    const patient = await signUp(t);
    const secretReason = `Recurring migraines ${randomUUID()}`;
    const booked = await kit.call(patient.accessToken, 'POST', '/appointments', {
      slotId: slots[0]!.id,
      reason: secretReason,
    });
    expect(booked.json().reason).toBe(secretReason);
    const cancelReason = `Admitted to hospital ${randomUUID()}`;
    const cancelled = await kit.call(
      patient.accessToken,
      'POST',
      `/appointments/${booked.json().id}/cancel`,
      {
        reason: cancelReason,
      },
    );
    expect(cancelled.json().cancelReason).toBe(cancelReason);
    expect((await kit.appointment(patient, booked.json().id)).reason).toBe(secretReason);
    const row = await t.platform.db
      .selectFrom('appointments')
      .select(['reason', 'cancel_reason'])
      .where('id', '=', booked.json().id)
      .executeTakeFirstOrThrow();
    expect(row.reason).toMatch(/^v1:/);
    expect(row.cancel_reason).toMatch(/^v1:/);
    for (const table of ['appointments', 'audit_logs', 'idempotency_keys', 'outbox']) {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM ${sql.table(table)} AS x
        WHERE x::text LIKE ${`%${secretReason}%`} OR x::text LIKE ${`%${cancelReason}%`}`.execute(
        t.platform.db,
      );
      expect(rows[0]!.n, table).toBe(0);
    }
    // Nor can the stored fingerprint be matched against guessed reasons: it is keyed, not a bare hash.
    const guess = (reason: string) =>
      createHash('sha256')
        .update(`POST /api/v1/appointments ${canonicalJson({ slotId: slots[0]!.id, reason })}`)
        .digest('hex');
    const stored = await t.platform.db
      .selectFrom('idempotency_keys')
      .select('fingerprint')
      .where('user_id', '=', patient.id)
      .execute();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.map((r) => r.fingerprint)).not.toContain(guess(secretReason));
  });

  it('a fingerprint made before a key rotation still matches after it', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const before = new Cipher([{ kid: 'k1', key: oldKey }]).digests('POST /x {}', 'test');
    const after = new Cipher([
      { kid: 'k2', key: newKey },
      { kid: 'k1', key: oldKey },
    ]).digests('POST /x {}', 'test');
    expect(after[0]).not.toBe(before[0]);
    expect(after).toContain(before[0]);
  });
});
