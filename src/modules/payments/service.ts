import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { PaymentRow } from '../../platform/db/schema.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { Outbox, OutboxMessage } from '../outbox/service.ts';
import type { PaymentProvider, WebhookEvent } from './provider.ts';
import * as repo from './repo.ts';

export interface PaymentView {
  id: string;
  status: PaymentRow['status'];
  amountMinor: number;
  currency: string;
  providerOrderId: string | null;
  refundedMinor: number;
}

export const toPaymentView = (p: PaymentRow): PaymentView => ({
  id: p.id,
  status: p.status,
  amountMinor: p.amount_minor,
  currency: p.currency,
  providerOrderId: p.provider_order_id,
  refundedMinor: p.refund_amount_minor,
});

// The inline call right after booking usually creates the gateway order; the job is the safety net.
const ORDER_RETRY_DELAY_MS = 15_000;

/** Payment rows and the gateway. Never called with a database transaction open across the network. */
export function createPaymentService(deps: {
  db: Db;
  clock: Clock;
  provider: PaymentProvider;
  outbox: Outbox;
  metrics: Metrics;
  logger: Logger;
}) {
  const { db, clock, provider, outbox } = deps;
  const count = (outcome: string) => deps.metrics.payments.inc({ outcome });

  return {
    provider,
    toView: toPaymentView,
    find: (id: string) => repo.findPayment(db, id),
    forAppointment: (tx: Db, appointmentId: string) => repo.findPaymentForAppointment(tx, appointmentId),
    forAppointments: (ids: string[]) => repo.paymentsForAppointments(db, ids),

    /**
     * Inside the booking transaction: the order row, and the outbox message (for the caller to
     * write with its own) that creates the gateway order if the inline call after commit fails.
     */
    async createRow(
      tx: Db,
      appointment: { id: string; feeMinor: number; currency: string },
    ): Promise<{ row: PaymentRow; job: OutboxMessage }> {
      const row = await repo.insertPayment(tx, {
        appointmentId: appointment.id,
        amountMinor: appointment.feeMinor,
        currency: appointment.currency,
        provider: provider.name,
        now: clock.now(),
      });
      return {
        row,
        job: { topic: 'payment.create_order', payload: { paymentId: row.id }, delayMs: ORDER_RETRY_DELAY_MS },
      };
    },

    /**
     * Outside any transaction: creates the gateway order once and returns the row with it.
     * Pass the id, or what the caller already knows of the payment to save a read.
     */
    async ensureGatewayOrder(
      payment: string | { id: string; amountMinor: number; currency: string; providerOrderId: string | null },
    ) {
      const known =
        typeof payment === 'string'
          ? await repo.findPayment(db, payment).then(
              (p) =>
                p && {
                  id: p.id,
                  amountMinor: p.amount_minor,
                  currency: p.currency,
                  providerOrderId: p.provider_order_id,
                },
            )
          : payment;
      if (!known) return undefined;
      if (known.providerOrderId) return repo.findPayment(db, known.id);
      const { orderId } = await provider.createOrder({
        amountMinor: known.amountMinor,
        currency: known.currency,
        receipt: known.id,
      });
      // If another attempt attached an order first, theirs stands and this one is left unpaid at the gateway.
      return (await repo.attachOrder(db, known.id, orderId, clock.now())) ?? repo.findPayment(db, known.id);
    },

    lockByOrder: (tx: Db, orderId: string) => repo.lockPaymentByOrder(tx, orderId),
    recordEvent: (tx: Db, event: WebhookEvent) =>
      repo.recordEvent(tx, provider.name, event.id, event.type, clock.now()),

    async markCaptured(tx: Db, payment: PaymentRow, providerPaymentId: string): Promise<void> {
      await repo.updatePayment(tx, payment.id, {
        status: 'captured',
        provider_payment_id: providerPaymentId,
        updated_at: clock.now(),
      });
      count('captured');
    },

    async markFailed(tx: Db, payment: PaymentRow, providerPaymentId: string): Promise<void> {
      await repo.updatePayment(tx, payment.id, {
        status: 'failed',
        provider_payment_id: providerPaymentId,
        updated_at: clock.now(),
      });
      count('failed');
    },

    /** Inside a transaction: decide a refund; the job asks the gateway. */
    async requestRefund(tx: Db, payment: PaymentRow, amountMinor: number, why: string): Promise<void> {
      if (amountMinor <= 0 || !payment.provider_payment_id) return;
      await repo.updatePayment(tx, payment.id, {
        status: 'refund_pending',
        refund_amount_minor: amountMinor,
        updated_at: clock.now(),
      });
      await outbox.add(tx, 'payment.refund', { paymentId: payment.id, why });
      count('refund_requested');
    },

    /**
     * The refund job: asks the gateway at most once per payment. The request is claimed in the
     * database first, so a retry after a crash between the gateway call and the update can't pay
     * twice; such a refund is settled by the gateway's refund.processed webhook instead.
     */
    async executeRefund(paymentId: string): Promise<void> {
      const claimed = await repo.claimRefund(db, paymentId, clock.now());
      if (!claimed?.provider_payment_id) {
        const payment = await repo.findPayment(db, paymentId);
        if (payment?.status === 'refund_pending') {
          deps.logger.warn(
            { paymentId },
            'refund already requested from the gateway; waiting for its refund.processed webhook',
          );
        }
        return;
      }
      const { refundId } = await provider.refund({
        paymentId: claimed.provider_payment_id,
        amountMinor: claimed.refund_amount_minor,
        receipt: claimed.id,
      });
      await db
        .updateTable('payments')
        .set({ status: 'refunded', provider_refund_id: refundId, updated_at: clock.now() })
        .where('id', '=', claimed.id)
        .where('status', '=', 'refund_pending')
        .execute();
      count('refunded');
    },

    async markRefunded(tx: Db, paymentId: string, refundId: string): Promise<void> {
      await tx
        .updateTable('payments')
        .set({ status: 'refunded', provider_refund_id: refundId, updated_at: clock.now() })
        .where('provider_payment_id', '=', paymentId)
        .where('status', '=', 'refund_pending')
        .execute();
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
