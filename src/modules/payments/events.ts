import type { Logger } from 'pino';
import { SYSTEM } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { PaymentRow } from '../../platform/db/schema.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { AuditService } from '../audit/service.ts';
import type { BookingPort } from './port.ts';
import type { PaymentProvider, WebhookEvent } from './provider.ts';
import type { Refunds } from './refunds.ts';
import * as repo from './repo.ts';

type Outcome = 'processed' | 'duplicate' | 'ignored';
type Captured = Extract<WebhookEvent, { type: 'payment.captured' }>;

/**
 * Verified gateway events, applied once each (deduplicated by a hash of the signed body), in any
 * order, late or twice.
 *
 * Invariants:
 * - Money we did not earn goes back: a capture whose amount or currency differs from the order, a
 *   second capture of one order, and a capture after the hold ended are each refunded in full.
 * - A capture confirms the appointment only through the booking port, under the appointment's
 *   locks (slot, appointment, then payment: the order every booking change uses).
 * - A failure after a capture changes nothing.
 */
export function createPaymentEvents(deps: {
  db: Db;
  clock: Clock;
  provider: PaymentProvider;
  refunds: Refunds;
  bookings: BookingPort;
  audit: AuditService;
  metrics: Metrics;
  logger: Logger;
}) {
  const { db, clock, provider, refunds, bookings, audit } = deps;
  const count = (outcome: string) => deps.metrics.payments.inc({ outcome });
  const settled = (p: PaymentRow) => ['captured', 'refund_pending', 'refunded'].includes(p.status);

  async function refundCapture(tx: Db, payment: PaymentRow, event: Captured, why: string, action: string) {
    await refunds.request(
      tx,
      payment,
      { providerPaymentId: event.paymentId, amountMinor: event.amountMinor, currency: event.currency },
      why,
    );
    await audit.record(tx, SYSTEM, {
      action,
      entity: 'payment',
      entityId: payment.id,
      details: {
        providerPaymentId: event.paymentId,
        amountMinor: event.amountMinor,
        currency: event.currency,
      },
    });
  }

  async function captured(tx: Db, event: Captured, after: Array<() => Promise<void>>): Promise<Outcome> {
    const found = await repo.findByOrder(tx, event.orderId);
    if (!found) {
      deps.logger.warn({ orderId: event.orderId }, 'capture for an unknown order');
      return 'ignored';
    }
    const now = clock.now();
    await bookings.lock(tx, found.appointment_id, now);
    const payment = (await repo.lock(tx, found.id))!;
    if (payment.provider_payment_id === event.paymentId && settled(payment)) return 'processed';
    if (event.amountMinor !== payment.amount_minor || event.currency !== payment.currency) {
      await refundCapture(
        tx,
        payment,
        event,
        'captured amount differs from the order',
        'payment.mismatch_refunded',
      );
      count('mismatch');
      return 'processed';
    }
    if (settled(payment)) {
      await refundCapture(tx, payment, event, 'second capture of one order', 'payment.duplicate_refunded');
      count('duplicate_capture');
      return 'processed';
    }
    const paid = await repo.update(tx, payment.id, {
      status: 'captured',
      provider_payment_id: event.paymentId,
      updated_at: now,
    });
    count('captured');
    const settlement = await bookings.settle(tx, payment.appointment_id, now);
    after.push(settlement.afterCommit);
    if (!settlement.confirmed) {
      await refundCapture(tx, paid, event, 'captured after the hold ended', 'payment.late_capture_refunded');
    }
    return 'processed';
  }

  async function apply(tx: Db, event: WebhookEvent, after: Array<() => Promise<void>>): Promise<Outcome> {
    switch (event.type) {
      case 'ignored':
        return 'ignored';
      case 'payment.captured':
        return captured(tx, event, after);
      case 'payment.failed': {
        const payment = await repo.findByOrder(tx, event.orderId);
        if (!payment) return 'ignored';
        const locked = (await repo.lock(tx, payment.id))!;
        if (settled(locked)) return 'processed'; // a failed attempt after a successful one changes nothing
        await repo.update(tx, locked.id, { status: 'failed', updated_at: clock.now() });
        await audit.record(tx, SYSTEM, {
          action: 'payment.failed',
          entity: 'payment',
          entityId: locked.id,
          details: { reason: event.reason },
        });
        count('failed');
        return 'processed';
      }
      case 'refund.processed':
        return (await refunds.processed(tx, event.paymentId, event.refundId)) ? 'processed' : 'ignored';
      case 'refund.failed':
        return (await refunds.failed(tx, event.paymentId, event.refundId, event.reason))
          ? 'processed'
          : 'ignored';
    }
  }

  return {
    async apply(event: WebhookEvent): Promise<Outcome> {
      const after: Array<() => Promise<void>> = [];
      const outcome = await db.transaction().execute(async (tx) => {
        if (!(await repo.recordEvent(tx, provider.name, event.id, event.type, clock.now())))
          return 'duplicate';
        return apply(tx, event, after);
      });
      for (const run of after) await run();
      return outcome;
    },
  };
}

export type PaymentEvents = ReturnType<typeof createPaymentEvents>;
