import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { hmacHex } from '../../src/modules/payments/razorpay.ts';
import { type Account, bearer, createDoctor, signUp, type TestApp } from './app.ts';
import { bookingInvariantViolations } from './invariants.ts';

/**
 * A scenario builder for booking tests (after Cal.com's): doctors with slots, patients with
 * bookings, payments through the sandbox or signed webhooks, all through HTTP.
 */
export function bookingKit(t: TestApp, admin: Account) {
  const call = (
    token: string,
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: object,
    key: string | null = randomUUID(),
  ) =>
    t.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
      ...(body ? { payload: body } : {}),
    });

  /** A verified doctor with `count` 30-minute slots, one an hour, the first `hoursAhead` from the clock. */
  async function doctorWithSlots(count: number, options: { feeMinor?: number; hoursAhead?: number } = {}) {
    const doctor = await createDoctor(t, admin, { feeMinor: options.feeMinor ?? 50000 });
    const base = t.clock.now().getTime() + (options.hoursAhead ?? 72) * 3_600_000;
    const res = await call(
      doctor.accessToken,
      'POST',
      '/doctors/me/slots',
      {
        slots: Array.from({ length: count }, (_, i) => ({
          startsAt: new Date(base + i * 3_600_000).toISOString(),
          endsAt: new Date(base + i * 3_600_000 + 1_800_000).toISOString(),
          mode: 'video',
        })),
      },
      null,
    );
    if (res.statusCode !== 201) throw new Error(res.body);
    return { doctor, slots: res.json().items as Array<{ id: string; startsAt: string }> };
  }

  const book = (who: { accessToken: string }, slotId: string, key: string = randomUUID()) =>
    call(who.accessToken, 'POST', '/appointments', { slotId }, key);

  /** Opens the gateway checkout (creates the order) and returns its order id. */
  async function checkout(who: { accessToken: string }, paymentId: string): Promise<string> {
    const res = await call(who.accessToken, 'POST', `/payments/${paymentId}/checkout`, undefined, null);
    if (res.statusCode !== 200) throw new Error(res.body);
    return res.json().orderId;
  }

  /** A patient with an unpaid appointment `hoursAhead` from the clock, checked out; and a second free slot. */
  async function booked(hoursAhead = 72, feeMinor = 50000) {
    const { doctor, slots } = await doctorWithSlots(2, { hoursAhead, feeMinor });
    const patient = await signUp(t);
    const res = await book(patient, slots[0]!.id);
    if (res.statusCode !== 201) throw new Error(res.body);
    const appointment = res.json();
    if (appointment.payment)
      appointment.payment.providerOrderId = await checkout(patient, appointment.payment.id);
    return { doctor, patient, appointment, otherSlotId: slots[1]!.id };
  }

  const pay = (who: { accessToken: string }, paymentId: string, outcome: 'succeed' | 'fail') =>
    call(who.accessToken, 'POST', `/payments/${paymentId}/sandbox/${outcome}`, undefined, null);

  const appointment = async (who: { accessToken: string }, id: string) =>
    (await call(who.accessToken, 'GET', `/appointments/${id}`, undefined, null)).json();

  const slotStatus = async (id: string) =>
    (await t.platform.db.selectFrom('slots').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  /** A gateway webhook, signed (with the server's secret unless told otherwise); the raw body as sent. */
  function webhook(body: object, secret = t.platform.webhookSecret) {
    const raw = JSON.stringify(body);
    return t.inject({
      method: 'POST',
      url: '/api/v1/payments/webhook',
      headers: { 'content-type': 'application/json', 'x-razorpay-signature': hmacHex(secret, raw) },
      payload: raw,
    });
  }

  const captured = (
    orderId: string,
    amount: number,
    paymentId = `pay_${randomUUID().slice(0, 8)}`,
    currency = 'INR',
  ) => ({
    event: 'payment.captured',
    payload: {
      payment: { entity: { id: paymentId, order_id: orderId, amount, currency, status: 'captured' } },
    },
  });

  const refundEvent = (event: 'refund.processed' | 'refund.failed', paymentId: string, refundId: string) => ({
    event,
    payload: { refund: { entity: { id: refundId, payment_id: paymentId, amount: 50000 } } },
  });

  const refundsOf = (paymentId: string) =>
    t.platform.db
      .selectFrom('refunds')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .orderBy('created_at')
      .execute();

  /** The audit actions recorded about one entity (in the table's order: as written, for a test). */
  const auditActions = async (entityId: string) =>
    (
      await t.platform.db
        .selectFrom('audit_logs')
        .select('action')
        .where('entity_id', '=', entityId)
        .execute()
    ).map((r) => r.action);

  const assertInvariants = async () => expect(await bookingInvariantViolations(t.platform.db)).toEqual([]);

  /** Resolves once another session of this database waits for a lock. */
  async function waitUntilBlocked() {
    for (let i = 0; i < 500; i++) {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(t.platform.db);
      if (rows[0]!.n > 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('nothing blocked');
  }

  return {
    call,
    doctorWithSlots,
    book,
    checkout,
    booked,
    pay,
    appointment,
    slotStatus,
    webhook,
    captured,
    refundEvent,
    refundsOf,
    auditActions,
    assertInvariants,
    waitUntilBlocked,
  };
}
