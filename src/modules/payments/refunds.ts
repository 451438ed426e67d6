import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { PaymentRow, RefundRow } from '../../platform/db/schema.ts';
import { RetryLater } from '../../platform/kv.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { Outbox } from '../outbox/service.ts';
import { GatewayError, type PaymentProvider } from './provider.ts';
import * as repo from './repo.ts';

/**
 * Refunds are rows with their own state, and a job asks the gateway.
 *
 * Invariants:
 * - A gateway payment is refunded at most once (refunds.provider_payment_id is unique) and the
 *   gateway is asked with our refund id as the receipt, so an earlier request can be found again.
 * - The gateway is asked only by the job that moved the refund pending → requested (and set
 *   `asked_at`). A refund left `requested` is looked up at the gateway before it is asked again:
 *   at once when its call ended without an answer (a timeout: `asked_at` cleared), after
 *   IN_FLIGHT_MS when the job died mid-call (`asked_at` still set).
 * - Never dropped: a refusal sends it back to `pending` and the job retries with backoff (then the
 *   dead-letter list); a `refund.failed` webhook sends it back too; `sweep` re-enqueues refunds
 *   whose job died. `processed` means the gateway accepted it.
 */

/** Longer than any gateway call may take (razorpay.ts times out at 10 s): older `requested` rows are looked up. */
const IN_FLIGHT_MS = 60_000;
const SWEEP_AFTER_MS = 10 * 60_000;

export function createRefunds(deps: {
  db: Db;
  clock: Clock;
  provider: PaymentProvider;
  outbox: Outbox;
  metrics: Metrics;
  logger: Logger;
}) {
  const { db, clock, provider, outbox } = deps;
  const count = (outcome: string) => deps.metrics.payments.inc({ outcome });
  const isMain = (payment: PaymentRow, refund: RefundRow) =>
    refund.provider_payment_id === payment.provider_payment_id;

  /** The gateway accepted it: the refund is processed (and the payment refunded, for its own capture). */
  async function accepted(tx: Db, refund: RefundRow, providerRefundId: string): Promise<void> {
    const done = await repo.moveRefund(tx, refund.id, refund.status, {
      status: 'processed',
      provider_refund_id: providerRefundId,
      last_error: null,
      updated_at: clock.now(),
    });
    const payment = done && (await repo.lock(tx, done.payment_id));
    if (payment && isMain(payment, done))
      await repo.update(tx, payment.id, { status: 'refunded', updated_at: clock.now() });
    if (done) count('refunded');
  }

  return {
    /**
     * Inside the caller's transaction: refund `amountMinor` of a captured gateway payment (the
     * order's own capture, or a duplicate or mismatched one) and enqueue the job. Returns the payment row after.
     */
    async request(
      tx: Db,
      payment: PaymentRow,
      capture: { providerPaymentId: string; amountMinor: number; currency: string },
      reason: string,
    ): Promise<PaymentRow> {
      const refund = await repo.insertRefund(
        tx,
        {
          id: randomUUID(),
          payment_id: payment.id,
          provider_payment_id: capture.providerPaymentId,
          amount_minor: capture.amountMinor,
          currency: capture.currency,
          reason,
        },
        clock.now(),
      );
      if (!refund) return payment;
      await outbox.add(tx, 'payment.refund', { refundId: refund.id });
      count('refund_requested');
      if (!isMain(payment, refund)) return payment;
      return repo.update(tx, payment.id, {
        status: 'refund_pending',
        refund_amount_minor: capture.amountMinor,
        updated_at: clock.now(),
      });
    },

    /** The job. Throws when the gateway failed, so the queue retries it with backoff. */
    async execute(refundId: string): Promise<void> {
      let refund = await repo.findRefund(db, refundId);
      if (!refund || refund.status === 'processed') return;
      if (refund.status === 'requested') {
        const asking = refund.asked_at && clock.now().getTime() - refund.asked_at.getTime() < IN_FLIGHT_MS;
        // A call is running, or its run died (a crash, the database gone before the answer was
        // recorded): look it up once it can no longer be running.
        if (asking) throw new RetryLater('the refund call may still be running', IN_FLIGHT_MS);
        const found = await provider.findRefund({
          paymentId: refund.provider_payment_id,
          receipt: refund.id,
        });
        if (found) {
          await db.transaction().execute((tx) => accepted(tx, refund!, found.refundId));
          return;
        }
        refund = await repo.moveRefund(db, refund.id, 'requested', {
          status: 'pending',
          asked_at: null,
          updated_at: clock.now(),
        });
        if (!refund) return;
      }
      const claimed = await repo.moveRefund(
        db,
        refund.id,
        'pending',
        { status: 'requested', asked_at: clock.now(), updated_at: clock.now() },
        true,
      );
      if (!claimed) return;
      try {
        const { refundId: providerRefundId } = await provider.refund({
          paymentId: claimed.provider_payment_id,
          amountMinor: claimed.amount_minor,
          receipt: claimed.id,
        });
        await db.transaction().execute((tx) => accepted(tx, claimed, providerRefundId));
      } catch (error) {
        // Refused: ask again on the next try. Unknown: stays requested, looked up next time.
        const definite = error instanceof GatewayError && error.definite;
        await repo.moveRefund(db, claimed.id, 'requested', {
          ...(definite ? { status: 'pending' as const } : {}),
          asked_at: null,
          last_error: (error as Error).message.slice(0, 500),
          updated_at: clock.now(),
        });
        count(definite ? 'refund_refused' : 'refund_unknown');
        throw error;
      }
    },

    /** A refund.processed webhook: the gateway settled the refund of this capture. */
    async processed(tx: Db, providerPaymentId: string, providerRefundId: string): Promise<boolean> {
      const refund = await repo.refundOfCapture(tx, providerPaymentId);
      if (!refund) return false;
      if (refund.status !== 'processed') await accepted(tx, refund, providerRefundId);
      return true;
    },

    /**
     * A refund.failed webhook: back to pending, asked again — unless it is about an earlier attempt
     * than the one the row now records (a late or repeated webhook after a retry went through).
     */
    async failed(
      tx: Db,
      providerPaymentId: string,
      providerRefundId: string,
      reason: string,
    ): Promise<boolean> {
      const refund = await repo.refundOfCapture(tx, providerPaymentId);
      if (!refund) return false;
      if (refund.provider_refund_id !== null && refund.provider_refund_id !== providerRefundId) return true;
      const back = await repo.moveRefund(tx, refund.id, refund.status, {
        status: 'pending',
        provider_refund_id: null,
        asked_at: null,
        last_error: reason.slice(0, 500),
        updated_at: clock.now(),
      });
      const payment = await repo.lock(tx, refund.payment_id);
      if (back && payment?.status === 'refunded' && isMain(payment, back)) {
        await repo.update(tx, payment.id, { status: 'refund_pending', updated_at: clock.now() });
      }
      await outbox.add(tx, 'payment.refund', { refundId: refund.id });
      count('refund_failed');
      return true;
    },

    /** Re-enqueues refunds that have sat unprocessed for a while (their job died or gave up). */
    async sweep(): Promise<number> {
      const stale = await repo.staleRefunds(db, new Date(clock.now().getTime() - SWEEP_AFTER_MS), 100);
      for (const refund of stale) {
        await db.transaction().execute(async (tx) => {
          await repo.moveRefund(tx, refund.id, refund.status, { updated_at: clock.now() });
          await outbox.add(tx, 'payment.refund', { refundId: refund.id });
        });
      }
      if (stale.length > 0) deps.logger.warn({ refunds: stale.length }, 'refunds re-enqueued by the sweep');
      return stale.length;
    },
  };
}

export type Refunds = ReturnType<typeof createRefunds>;
