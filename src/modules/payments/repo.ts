import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { PaymentRow, PaymentStatus, RefundRow } from '../../platform/db/schema.ts';

/** CTE body: one payment row (status created) per row of `from` (alias a: an appointment with a fee). */
export function insertSql(
  p: { payerId: string; provider: string; now: Date },
  from: RawBuilder<unknown>,
): RawBuilder<unknown> {
  return sql`
    INSERT INTO payments (id, appointment_id, payer_id, amount_minor, currency, provider, status, created_at, updated_at)
    SELECT gen_random_uuid(), a.id, ${p.payerId}::uuid, a.fee_minor, a.currency, ${p.provider}::text, 'created',
           ${p.now}::timestamptz, ${p.now}::timestamptz
    FROM ${from} WHERE a.fee_minor > 0
    RETURNING *`;
}

export function find(db: Db, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
}

export function lock(db: Db, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function findByOrder(db: Db, orderId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('provider_order_id', '=', orderId).executeTakeFirst();
}

export function forAppointment(db: Db, appointmentId: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('appointment_id', '=', appointmentId).executeTakeFirst();
}

export function forAppointments(db: Db, appointmentIds: string[]): Promise<PaymentRow[]> {
  if (appointmentIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('payments')
    .selectAll()
    .where(sql<boolean>`appointment_id = ANY(${appointmentIds}::uuid[])`)
    .execute();
}

/** Newest first: one payer's (or, without `payerId`, everyone's), after the keyset position; `limit` rows. */
export function list(
  db: Db,
  f: { payerId?: string | undefined; after?: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<PaymentRow[]> {
  return db
    .selectFrom('payments')
    .selectAll()
    .$if(f.payerId !== undefined, (q) => q.where('payer_id', '=', f.payerId!))
    .$if(f.after !== undefined, (q) =>
      q.where(sql<SqlBool>`(created_at, id) < (${f.after!.createdAt}::timestamptz, ${f.after!.id}::uuid)`),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit)
    .execute();
}

/** Only the first order wins: a retried call can't attach a second one. */
export function attachOrder(db: Db, id: string, orderId: string, now: Date): Promise<PaymentRow | undefined> {
  return db
    .updateTable('payments')
    .set({ provider_order_id: orderId, status: 'pending', updated_at: now })
    .where('id', '=', id)
    .where('provider_order_id', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export function update(
  db: Db,
  id: string,
  set: {
    status: PaymentStatus;
    provider_payment_id?: string;
    refund_amount_minor?: number;
    updated_at: Date;
  },
): Promise<PaymentRow> {
  return db.updateTable('payments').set(set).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** false when this delivery was handled before. */
export async function recordEvent(db: Db, provider: string, eventId: string, type: string, now: Date) {
  const row = await db
    .insertInto('payment_events')
    .values({ provider, event_id: eventId, type, received_at: now })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** One refund per refunded gateway payment: a second request for the same capture is a no-op. */
export function insertRefund(
  db: Db,
  r: Pick<RefundRow, 'id' | 'payment_id' | 'provider_payment_id' | 'amount_minor' | 'currency' | 'reason'>,
  now: Date,
): Promise<RefundRow | undefined> {
  return db
    .insertInto('refunds')
    .values({
      ...r,
      status: 'pending',
      provider_refund_id: null,
      asked_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('provider_payment_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function findRefund(db: Db, id: string): Promise<RefundRow | undefined> {
  return db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves a refund from one state to another; undefined if it was not in `from`. */
export function moveRefund(
  db: Db,
  id: string,
  from: RefundRow['status'],
  set: Partial<Pick<RefundRow, 'status' | 'provider_refund_id' | 'asked_at' | 'last_error'>> & {
    updated_at: Date;
  },
  countAttempt = false,
): Promise<RefundRow | undefined> {
  return db
    .updateTable('refunds')
    .set({ ...set, ...(countAttempt ? { attempts: sql<number>`attempts + 1` } : {}) })
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
}

export function refundOfCapture(db: Db, providerPaymentId: string): Promise<RefundRow | undefined> {
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('provider_payment_id', '=', providerPaymentId)
    .forUpdate()
    .executeTakeFirst();
}

/** Refunds not processed and untouched since `before`: their job may have died. */
export function staleRefunds(db: Db, before: Date, limit: number): Promise<RefundRow[]> {
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('status', '<>', 'processed')
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
}
