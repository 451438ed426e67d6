import type { Db } from '../../platform/db/index.ts';
import type { PaymentRow } from '../../platform/db/schema.ts';

export function insertPayment(
  db: Db,
  p: { appointmentId: string; amountMinor: number; currency: string; provider: string; now: Date },
): Promise<PaymentRow> {
  return db
    .insertInto('payments')
    .values({
      appointment_id: p.appointmentId,
      amount_minor: p.amountMinor,
      currency: p.currency,
      provider: p.provider,
      status: 'created',
      provider_order_id: null,
      provider_payment_id: null,
      provider_refund_id: null,
      created_at: p.now,
      updated_at: p.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findPayment(db: Db, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findPaymentForAppointment(db: Db, appointmentId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('appointment_id', '=', appointmentId).executeTakeFirst();
}

export function paymentsForAppointments(db: Db, appointmentIds: string[]): Promise<PaymentRow[]> {
  if (appointmentIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('payments').selectAll().where('appointment_id', 'in', appointmentIds).execute();
}

export function lockPaymentByOrder(db: Db, orderId: string): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('provider_order_id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
}

/** Only the first order wins: a retried job and the inline call can't both attach one. */
export function attachOrder(db: Db, id: string, orderId: string, now: Date): Promise<PaymentRow | undefined> {
  return db
    .updateTable('payments')
    .set({ provider_order_id: orderId, status: 'pending', updated_at: now })
    .where('id', '=', id)
    .where('provider_order_id', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function updatePayment(
  db: Db,
  id: string,
  set: Partial<
    Pick<PaymentRow, 'status' | 'provider_payment_id' | 'refund_amount_minor' | 'provider_refund_id'>
  > & { updated_at: Date },
): Promise<void> {
  await db.updateTable('payments').set(set).where('id', '=', id).execute();
}

/** false when this delivery was handled before. */
export async function recordEvent(
  db: Db,
  provider: string,
  eventId: string,
  type: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .insertInto('payment_events')
    .values({ provider, event_id: eventId, type, received_at: now })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}

const REFUND_REQUESTED = 'requested';

/** Marks the refund as asked for, once; undefined if it already was (or isn't due). */
export function claimRefund(db: Db, id: string, now: Date): Promise<PaymentRow | undefined> {
  return db
    .updateTable('payments')
    .set({ provider_refund_id: REFUND_REQUESTED, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'refund_pending')
    .where('provider_refund_id', 'is', null)
    .returningAll()
    .executeTakeFirst();
}
