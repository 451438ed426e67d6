import type { Logger } from 'pino';
import { SYSTEM } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { PaymentRow } from '../../platform/db/schema.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { AuditService } from '../audit/service.ts';
import type { Outbox } from '../outbox/service.ts';
import type { BookingPort } from './port.ts';
import type { PaymentProvider, WebhookEvent } from './provider.ts';
import type { Refunds } from './refunds.ts';
import * as repo from './repo.ts';

/**
 * What an event did: `duplicate` (this event was handled before), `ignored` (nothing to do: an
 * unknown order, a failure after a success), or what happened to the money: `captured` (the
 * booking is confirmed), `refunded_late` (paid after the hold ended: refunded, the booking stays
 * expired), `duplicate_capture` (a second payment of one order: refunded), `mismatch` (amount or
 * currency differ from the order: refunded), `already_captured`, `failed`, `refund_processed`,
 * `refund_failed`.
 */
export const EVENT_OUTCOMES = [
  'duplicate',
  'ignored',
  'captured',
  'refunded_late',
  'duplicate_capture',
  'mismatch',
  'already_captured',
  'failed',
  'refund_processed',
  'refund_failed',
] as const;
export type Outcome = (typeof EVENT_OUTCOMES)[number];

/** The webhook's answer to the gateway: only whether it was handled. */
export const webhookStatus = (o: Outcome): 'duplicate' | 'ignored' | 'processed' =>
  o === 'duplicate' || o === 'ignored' ? o : 'processed';
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
 * - A failure after a capture changes nothing; one before it is told to the patient
 *   (`payment.failed` in the outbox, in the same transaction).
 */
export function createPaymentEvents(deps: {
  db: Db;
  clock: Clock;
  provider: PaymentProvider;
  refunds: Refunds;
  bookings: BookingPort;
  audit: AuditService;
  outbox: Outbox;
  metrics: Metrics;
  logger: Logger;
}) {
  const { db, clock, provider, refunds, bookings, audit, outbox } = deps;
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
    if (payment.provider_payment_id === event.paymentId && settled(payment)) return 'already_captured';
    if (event.amountMinor !== payment.amount_minor || event.currency !== payment.currency) {
      await refundCapture(
        tx,
        payment,
        event,
        'captured amount differs from the order',
        'payment.mismatch_refunded',
      );
      count('mismatch');
      return 'mismatch';
    }
    if (settled(payment)) {
      await refundCapture(tx, payment, event, 'second capture of one order', 'payment.duplicate_refunded');
      count('duplicate_capture');
      return 'duplicate_capture';
    }
    const paid = await repo.update(tx, payment.id, {
      status: 'captured',
      provider_payment_id: event.paymentId,
      updated_at: now,
    });
    count('captured');
    const settlement = await bookings.settle(tx, payment.appointment_id, now);
    after.push(settlement.afterCommit);
    if (settlement.confirmed) return 'captured';
    await refundCapture(tx, paid, event, 'captured after the hold ended', 'payment.late_capture_refunded');
    return 'refunded_late';
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
        if (settled(locked)) return 'ignored'; // a failed attempt after a successful one changes nothing
        await repo.update(tx, locked.id, { status: 'failed', updated_at: clock.now() });
        await audit.record(tx, SYSTEM, {
          action: 'payment.failed',
          entity: 'payment',
          entityId: locked.id,
          details: { reason: event.reason },
        });
        await outbox.add(tx, 'payment.failed', {
          appointmentId: locked.appointment_id,
          paymentId: locked.id,
        });
        count('failed');
        return 'failed';
      }
      case 'refund.processed':
        return (await refunds.processed(tx, event.paymentId, event.refundId))
          ? 'refund_processed'
          : 'ignored';
      case 'refund.failed':
        return (await refunds.failed(tx, event.paymentId, event.refundId, event.reason))
          ? 'refund_failed'
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
