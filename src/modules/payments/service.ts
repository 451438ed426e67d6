import type { RawBuilder } from 'kysely';
import { z } from 'zod';
import { type AuthContext, decodeCursor, notFound, page } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { PaymentRow, Wire } from '../../platform/db/schema.ts';
import type { PaymentProvider } from './provider.ts';
import type { Refunds } from './refunds.ts';
import * as repo from './repo.ts';

export interface PaymentView {
  id: string;
  status: PaymentRow['status'];
  amountMinor: number;
  currency: string;
  providerOrderId: string | null;
  refundedMinor: number;
}

export const toPaymentView = (p: Wire<PaymentRow>): PaymentView => ({
  id: p.id,
  status: p.status,
  amountMinor: p.amount_minor,
  currency: p.currency,
  providerOrderId: p.provider_order_id,
  refundedMinor: p.refund_amount_minor,
});

/** GET /payments: what the payer (or an admin) sees of each payment. */
export const toPaymentListItem = (p: PaymentRow) => ({
  ...toPaymentView(p),
  appointmentId: p.appointment_id,
  createdAt: p.created_at.toISOString(),
});

const listCursor = z.object({ t: z.iso.datetime(), id: z.uuid() });

/**
 * Payment rows and the gateway order. A booking writes its payment row in its own statement
 * (`rowSql`); the gateway order is created when the patient checks out (or by the sandbox), never
 * inside a database transaction and never on the booking request.
 */
export function createPaymentService(deps: {
  db: Db;
  clock: Clock;
  provider: PaymentProvider;
  refunds: Refunds;
}) {
  const { db, clock, provider, refunds } = deps;

  /** Its payer or an admin; anyone else is told it doesn't exist. */
  async function own(auth: AuthContext, paymentId: string): Promise<PaymentRow> {
    const payment = await repo.find(db, paymentId);
    if (!payment || (auth.role !== 'admin' && payment.payer_id !== auth.userId)) throw notFound('Payment');
    return payment;
  }

  /** Creates the gateway order once (the first attached order wins) and returns the row with it. */
  async function ensureOrder(payment: PaymentRow): Promise<PaymentRow> {
    if (payment.provider_order_id) return payment;
    const { orderId } = await provider.createOrder({
      amountMinor: payment.amount_minor,
      currency: payment.currency,
      receipt: payment.id,
    });
    return (
      (await repo.attachOrder(db, payment.id, orderId, clock.now())) ?? (await repo.find(db, payment.id))!
    );
  }

  return {
    provider,
    own,
    ensureOrder,

    /** CTE body for the booking statement: its payment row (appointments with a fee, alias a in `from`). */
    rowSql: (p: { payerId: string; now: Date }, from: RawBuilder<unknown>) =>
      repo.insertSql({ ...p, provider: provider.name }, from),

    forAppointment: (tx: Db, appointmentId: string) => repo.forAppointment(tx, appointmentId),
    forAppointments: (ids: string[]) => repo.forAppointments(db, ids),

    /** Newest first: a patient's own payments, or (admins) everyone's. */
    async list(auth: AuthContext, q: { limit: number; cursor?: string | undefined }) {
      const after = decodeCursor(q.cursor, listCursor);
      const rows = await repo.list(db, {
        payerId: auth.role === 'admin' ? undefined : auth.userId,
        after: after ? { createdAt: new Date(after.t), id: after.id } : undefined,
        limit: q.limit + 1,
      });
      return page(rows, q.limit, toPaymentListItem, (p) => ({ t: p.created_at.toISOString(), id: p.id }));
    },

    /** What a browser needs to open the gateway's checkout for this payment (creating its order once). */
    async checkout(auth: AuthContext, paymentId: string) {
      const payment = await ensureOrder(await own(auth, paymentId));
      return {
        paymentId: payment.id,
        provider: provider.name,
        publicKey: provider.publicKey,
        orderId: payment.provider_order_id!,
        amountMinor: payment.amount_minor,
        currency: payment.currency,
        status: payment.status,
      };
    },

    /** Inside the caller's transaction (which holds the appointment's locks): refund part or all of the capture. */
    async refund(tx: Db, payment: PaymentRow, amountMinor: number, reason: string): Promise<PaymentRow> {
      const locked = (await repo.lock(tx, payment.id))!;
      if (locked.status !== 'captured' || !locked.provider_payment_id) return locked;
      return refunds.request(
        tx,
        locked,
        { providerPaymentId: locked.provider_payment_id, amountMinor, currency: locked.currency },
        reason,
      );
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
