import type { Logger } from 'pino';
import {
  AppError,
  type AuthContext,
  conflict,
  decodeCursor,
  forbidden,
  type IdempotencyHandle,
  notFound,
  page,
  type RequestMeta,
  SYSTEM,
} from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { AppointmentRow, AppointmentStatus, PaymentRow, SlotRow } from '../../platform/db/schema.ts';
import type { Locks } from '../../platform/kv.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { AuditService } from '../audit/service.ts';
import { type SlotEvent, type SlotFeed, toSlotView } from '../availability/live.ts';
import type { Outbox } from '../outbox/service.ts';
import type { WebhookEvent } from '../payments/provider.ts';
import type { PaymentService, PaymentView } from '../payments/service.ts';
import { refundOnCancel } from './policy.ts';
import * as repo from './repo.ts';
import { cursorShape } from './schemas.ts';
import { RESCHEDULABLE } from './state.ts';

export interface BookingDeps {
  db: Db;
  clock: Clock;
  locks: Locks;
  audit: AuditService;
  outbox: Outbox;
  payments: PaymentService;
  feed: SlotFeed;
  metrics: Metrics;
  logger: Logger;
  settings: { holdSeconds: number; fullRefundHours: number; lateRefundPercent: number };
}

export interface AppointmentView {
  id: string;
  status: AppointmentStatus;
  slotId: string | null;
  doctorId: string;
  patientId: string;
  startsAt: string;
  endsAt: string;
  mode: string;
  reason: string | null;
  holdExpiresAt: string | null;
  feeMinor: number;
  currency: string;
  cancelledBy: string | null;
  cancelReason: string | null;
  payment: PaymentView | null;
  createdAt: string;
}

const slotUnavailable = () => conflict('SLOT_UNAVAILABLE', 'This slot is no longer available; pick another');
const invalidState = (status: string, action: string) =>
  conflict('INVALID_STATE', `An appointment that is ${status} can't be ${action}`);
const SLOT_LOCK_MS = 5_000;
const EXPIRY_BATCH = 100;

/** The booking engine: claim → appointment → payment order, all or nothing, then the saga around payment. */
export function createAppointmentService(deps: BookingDeps) {
  const { db, clock, audit, outbox, payments, feed, settings } = deps;
  const count = (outcome: string) => deps.metrics.bookingAttempts.inc({ outcome });

  /** A hold that has run out is expired for every reader, even before the expiry job has run. */
  function effectiveStatus(a: AppointmentRow, now: Date): AppointmentStatus {
    return a.status === 'pending_payment' && a.hold_expires_at && a.hold_expires_at <= now
      ? 'expired'
      : a.status;
  }

  function toView(a: AppointmentRow, payment: PaymentRow | undefined | null): AppointmentView {
    const status = effectiveStatus(a, clock.now());
    return {
      id: a.id,
      status,
      slotId: a.slot_id,
      doctorId: a.doctor_id,
      patientId: a.patient_id,
      startsAt: a.starts_at.toISOString(),
      endsAt: a.ends_at.toISOString(),
      mode: a.mode,
      reason: a.reason,
      holdExpiresAt:
        status === 'pending_payment' && a.hold_expires_at ? a.hold_expires_at.toISOString() : null,
      feeMinor: a.fee_minor,
      currency: a.currency,
      cancelledBy: a.cancelled_by,
      cancelReason: a.cancel_reason,
      payment: payment ? payments.toView(payment) : null,
      createdAt: a.created_at.toISOString(),
    };
  }

  const isParty = (a: AppointmentRow, auth: AuthContext) =>
    auth.role === 'admin' || a.patient_id === auth.userId || a.doctor_id === auth.userId;

  /** Not yours is the same as missing (SPEC §4). */
  async function loadOwn(tx: Db, id: string, auth: AuthContext): Promise<AppointmentRow> {
    const a = await repo.findAppointment(tx, id);
    if (!a || !isParty(a, auth)) throw notFound('Appointment');
    return a;
  }

  /** Locks slot, then appointment: every path that touches both takes them in this order. */
  async function lockWithSlot(tx: Db, a: AppointmentRow): Promise<AppointmentRow> {
    if (a.slot_id) await repo.lockSlot(tx, a.slot_id);
    const locked = await repo.lockAppointment(tx, a.id);
    if (!locked) throw notFound('Appointment');
    // Moved to another slot meanwhile (a reschedule committed): we hold the wrong slot, so stop
    // rather than lock out of order. The client retries and finds the new state.
    if (locked.slot_id !== a.slot_id) {
      throw conflict('CONCURRENT_UPDATE', 'The appointment changed while this request ran; retry');
    }
    return locked;
  }

  async function whyUnavailable(
    tx: Db,
    slotId: string,
    mode: string | null,
    doctorId?: string,
  ): Promise<AppError> {
    const slot = await repo.describeSlot(tx, slotId);
    if (slot?.verification_status !== 'verified') return notFound('Slot');
    if (doctorId && slot.doctor_id !== doctorId) {
      return new AppError(400, 'DIFFERENT_DOCTOR', 'Reschedule to a slot of the same doctor');
    }
    if (mode && slot.mode !== mode && slot.status === 'open') {
      return new AppError(400, 'MODE_MISMATCH', `This slot is for ${slot.mode} consultations`);
    }
    return slotUnavailable();
  }

  function mapInsertError(error: unknown): never {
    if (sqlState(error) === SqlState.exclusionViolation) {
      throw conflict('PATIENT_CONFLICT', 'You already have an appointment at an overlapping time');
    }
    if (sqlState(error) === SqlState.uniqueViolation) throw slotUnavailable();
    throw error;
  }

  async function afterCommit(doctorId: string, events: SlotEvent[]) {
    if (events.length > 0) await feed.changed(doctorId, events);
  }

  const slotEvent = (s: SlotRow | undefined): SlotEvent[] =>
    s ? [{ type: 'slot.updated', slot: toSlotView(s) }] : [];

  return {
    toView,

    async book(
      auth: AuthContext,
      input: { slotId: string; mode?: string | undefined; reason?: string | undefined },
      meta: RequestMeta,
      idem?: IdempotencyHandle,
    ): Promise<AppointmentView> {
      const timer = deps.metrics.bookingDuration.startTimer();
      // Optional fast path: while another request holds this slot's lease, answer at once.
      // Correctness never depends on it (Redis may be down; then the database decides alone).
      const lease = await deps.locks.tryAcquire(`slot:${input.slotId}`, SLOT_LOCK_MS).catch(() => undefined);
      if (lease === null) {
        count('conflict');
        throw slotUnavailable();
      }
      try {
        const { view, slot } = await db.transaction().execute(async (tx) => {
          const now = clock.now();
          const claimed = await repo.claimSlot(tx, {
            slotId: input.slotId,
            mode: input.mode ?? null,
            now,
            newStatus: 'by-fee',
          });
          if (!claimed) throw await whyUnavailable(tx, input.slotId, input.mode ?? null);
          // Only a slot that was held can carry a lapsed hold to retire.
          const stale =
            claimed.previous_status === 'held' ? await repo.expireStaleHold(tx, claimed.id, now) : [];
          const free = claimed.fee_minor === 0;
          const appointment = await repo
            .insertAppointment(tx, {
              slot_id: claimed.id,
              doctor_id: claimed.doctor_id,
              patient_id: auth.userId,
              starts_at: claimed.starts_at,
              ends_at: claimed.ends_at,
              mode: claimed.mode,
              reason: input.reason ?? null,
              status: free ? 'confirmed' : 'pending_payment',
              hold_expires_at: free ? null : new Date(now.getTime() + settings.holdSeconds * 1000),
              fee_minor: claimed.fee_minor,
              currency: claimed.currency,
              created_at: now,
              updated_at: now,
            })
            .catch(mapInsertError);
          const payment = free
            ? null
            : await payments.createRow(tx, {
                id: appointment.id,
                feeMinor: claimed.fee_minor,
                currency: claimed.currency,
              });
          for (const old of stale) {
            await audit.record(tx, SYSTEM, {
              action: 'appointment.expired',
              entity: 'appointment',
              entityId: old.id,
              details: { reason: 'hold lapsed; slot rebooked' },
            });
          }
          await audit.record(tx, meta, {
            action: 'appointment.booked',
            entity: 'appointment',
            entityId: appointment.id,
            details: { slotId: claimed.id, doctorId: claimed.doctor_id, status: appointment.status },
          });
          await outbox.addAll(tx, [
            {
              topic: free ? 'appointment.confirmed' : 'appointment.created',
              payload: { appointmentId: appointment.id },
            },
            ...(payment ? [payment.job] : []),
          ]);
          const view = toView(appointment, payment?.row);
          await idem?.complete(tx, 201, view);
          return { view, slot: claimed };
        });
        count('booked');
        // The slot is decided: let go of the lease before the (possibly slow) gateway call.
        await lease?.release().catch(() => false);
        await afterCommit(slot.doctor_id, slotEvent(slot));
        if (view.payment) {
          // Outside the transaction: a slow gateway never holds a slot row locked.
          const withOrder = await payments.ensureGatewayOrder(view.payment).catch((error: unknown) => {
            deps.logger.warn(
              { err: error, paymentId: view.payment?.id },
              'gateway order failed; the outbox job will retry',
            );
            return undefined;
          });
          if (withOrder) view.payment = payments.toView(withOrder);
        }
        return view;
      } catch (error) {
        if (error instanceof AppError) count(error.code === 'SLOT_UNAVAILABLE' ? 'conflict' : 'rejected');
        else count('error');
        throw error;
      } finally {
        timer();
        await lease?.release().catch(() => false);
      }
    },

    async get(auth: AuthContext, id: string): Promise<AppointmentView> {
      const a = await loadOwn(db, id, auth);
      return toView(a, await payments.forAppointment(db, a.id));
    },

    async list(
      auth: AuthContext,
      q: {
        status?: AppointmentStatus | undefined;
        from?: string | undefined;
        to?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ) {
      const after = decodeCursor(q.cursor, cursorShape);
      const rows = await repo.listAppointments(db, {
        patientId: auth.role === 'patient' ? auth.userId : undefined,
        doctorId: auth.role === 'doctor' ? auth.userId : undefined,
        status: q.status,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        after: after ? { startsAt: new Date(after.t), id: after.id } : undefined,
        limit: q.limit + 1,
      });
      const paymentsById = new Map(
        (await payments.forAppointments(rows.map((r) => r.id))).map((p) => [p.appointment_id, p]),
      );
      return page(
        rows,
        q.limit,
        (r) => toView(r, paymentsById.get(r.id)),
        (r) => ({ t: r.starts_at.toISOString(), id: r.id }),
      );
    },

    async cancel(auth: AuthContext, id: string, reason: string, meta: RequestMeta, idem?: IdempotencyHandle) {
      const by: 'patient' | 'doctor' | 'admin' = auth.role === 'admin' ? 'admin' : auth.role;
      const result = await db.transaction().execute(async (tx) => {
        const now = clock.now();
        const locked = await lockWithSlot(tx, await loadOwn(tx, id, auth));
        const status = effectiveStatus(locked, now);
        if (status !== 'pending_payment' && status !== 'confirmed') throw invalidState(status, 'cancelled');
        const cancelled = await repo.transition(tx, id, 'cancel', now, {
          cancelled_by: by,
          cancel_reason: reason,
        });
        if (!cancelled) throw invalidState(locked.status, 'cancelled');
        const slot = locked.slot_id
          ? await repo.setSlotStatus(tx, locked.slot_id, ['held', 'booked'], 'open', now)
          : undefined;
        const payment = await payments.forAppointment(tx, id);
        const paid = payment?.status === 'captured' ? payment.amount_minor : 0;
        const refundMinor = refundOnCancel(by, locked.starts_at, now, paid, settings);
        if (payment && refundMinor > 0)
          await payments.requestRefund(tx, payment, refundMinor, 'cancellation');
        await audit.record(tx, meta, {
          action: 'appointment.cancelled',
          entity: 'appointment',
          entityId: id,
          details: { by, reason, refundMinor },
        });
        await outbox.add(tx, 'appointment.cancelled', { appointmentId: id, by, refundMinor });
        const response = {
          ...toView(cancelled, await payments.forAppointment(tx, id)),
          refund: {
            amountMinor: refundMinor,
            status: refundMinor > 0 ? ('pending' as const) : ('none' as const),
          },
        };
        await idem?.complete(tx, 200, response);
        return { response, slot };
      });
      await afterCommit(result.response.doctorId, slotEvent(result.slot));
      return result.response;
    },

    async reschedule(
      auth: AuthContext,
      id: string,
      newSlotId: string,
      meta: RequestMeta,
      idem?: IdempotencyHandle,
    ) {
      if (auth.role !== 'patient') throw forbidden('Only the patient can reschedule');
      const result = await db.transaction().execute(async (tx) => {
        const now = clock.now();
        // Old slot and appointment first (the usual order); the new slot is then taken with
        // SKIP LOCKED, which never waits, so this order can't deadlock.
        const locked = await lockWithSlot(tx, await loadOwn(tx, id, auth));
        const status = effectiveStatus(locked, now);
        if (!RESCHEDULABLE.includes(status)) throw invalidState(status, 'rescheduled');
        if (locked.slot_id === newSlotId) throw slotUnavailable();
        const claimed = await repo.claimSlot(tx, {
          slotId: newSlotId,
          mode: null,
          now,
          doctorId: locked.doctor_id,
          newStatus: locked.status === 'pending_payment' ? 'held' : 'booked',
        });
        if (!claimed) throw await whyUnavailable(tx, newSlotId, null, locked.doctor_id);
        if (claimed.previous_status === 'held') await repo.expireStaleHold(tx, claimed.id, now);
        const moved = await repo.moveAppointment(tx, id, claimed, now).catch(mapInsertError);
        const reopened = locked.slot_id
          ? await repo.setSlotStatus(tx, locked.slot_id, ['held', 'booked'], 'open', now)
          : undefined;
        await audit.record(tx, meta, {
          action: 'appointment.rescheduled',
          entity: 'appointment',
          entityId: id,
          details: { fromSlotId: locked.slot_id, toSlotId: claimed.id },
        });
        await outbox.add(tx, 'appointment.rescheduled', { appointmentId: id });
        const view = toView(moved, await payments.forAppointment(tx, id));
        await idem?.complete(tx, 200, view);
        return { view, events: [...slotEvent(reopened), ...slotEvent(claimed)] };
      });
      await afterCommit(result.view.doctorId, result.events);
      return result.view;
    },

    /** start / complete / no-show: the doctor's lifecycle steps. */
    async advance(
      auth: AuthContext,
      id: string,
      step: 'start' | 'complete' | 'noShow',
      meta: RequestMeta,
    ): Promise<AppointmentView> {
      const words = { start: 'started', complete: 'completed', noShow: 'marked no-show' } as const;
      return db.transaction().execute(async (tx) => {
        const now = clock.now();
        const a = await loadOwn(tx, id, auth);
        if (auth.role !== 'admin' && a.doctor_id !== auth.userId)
          throw forbidden('Only the doctor runs the consultation');
        if (step === 'noShow' && now < a.starts_at)
          throw conflict('TOO_EARLY', 'A no-show can be recorded once the appointment has started');
        const updated = await repo.transition(tx, id, step, now);
        if (!updated) throw invalidState(effectiveStatus(a, now), words[step]);
        await audit.record(tx, meta, {
          action: `appointment.${step === 'noShow' ? 'no_show' : step === 'start' ? 'started' : 'completed'}`,
          entity: 'appointment',
          entityId: id,
        });
        await outbox.add(
          tx,
          `appointment.${step === 'noShow' ? 'no_show' : step === 'start' ? 'started' : 'completed'}`,
          { appointmentId: id },
        );
        return toView(updated, await payments.forAppointment(tx, id));
      });
    },

    /** The expiry job: unpaid holds past their time → expired, slots open. Several workers may run it. */
    async expireHolds(): Promise<number> {
      let total = 0;
      for (;;) {
        const { expired, doctorEvents } = await db.transaction().execute(async (tx) => {
          const now = clock.now();
          const due = await repo.lockDueHolds(tx, now, EXPIRY_BATCH);
          const events = new Map<string, SlotEvent[]>();
          for (const hold of due) {
            const a = await repo.transition(tx, hold.id, 'expire', now);
            if (!a) continue;
            const slot = await repo.setSlotStatus(tx, hold.slot_id, ['held'], 'open', now);
            events.set(a.doctor_id, [...(events.get(a.doctor_id) ?? []), ...slotEvent(slot)]);
            await audit.record(tx, SYSTEM, {
              action: 'appointment.expired',
              entity: 'appointment',
              entityId: a.id,
              details: { reason: 'hold lapsed' },
            });
            await outbox.add(tx, 'appointment.expired', { appointmentId: a.id });
          }
          return { expired: due.length, doctorEvents: events };
        });
        total += expired;
        deps.metrics.holdsExpired.inc(expired);
        for (const [doctorId, events] of doctorEvents) await afterCommit(doctorId, events);
        if (expired < EXPIRY_BATCH) return total;
      }
    },

    /** A verified gateway event, applied once (deduplicated by event id), in any order. */
    async applyPaymentEvent(event: WebhookEvent): Promise<'processed' | 'duplicate' | 'ignored'> {
      const outcome = await db.transaction().execute(async (tx) => {
        if (!(await payments.recordEvent(tx, event))) return { result: 'duplicate' as const };
        if (event.type === 'ignored') return { result: 'ignored' as const };
        if (event.type === 'refund.processed') {
          await payments.markRefunded(tx, event.paymentId, event.refundId);
          return { result: 'processed' as const };
        }
        const payment = await payments.lockByOrder(tx, event.orderId);
        if (!payment) {
          deps.logger.warn({ orderId: event.orderId, eventId: event.id }, 'webhook for an unknown order');
          return { result: 'ignored' as const };
        }
        if (['captured', 'refund_pending', 'refunded'].includes(payment.status))
          return { result: 'processed' as const };
        const appointment = await repo.findAppointment(tx, payment.appointment_id);
        if (!appointment) return { result: 'ignored' as const };
        const locked = await lockWithSlot(tx, appointment);
        const now = clock.now();
        if (event.type === 'payment.failed') {
          await payments.markFailed(tx, payment, event.paymentId);
          await audit.record(tx, SYSTEM, {
            action: 'payment.failed',
            entity: 'payment',
            entityId: payment.id,
            details: { reason: event.reason },
          });
          return { result: 'processed' as const };
        }
        await payments.markCaptured(tx, payment, event.paymentId);
        const captured = { ...payment, status: 'captured' as const, provider_payment_id: event.paymentId };
        if (locked.status === 'pending_payment' && locked.hold_expires_at && locked.hold_expires_at > now) {
          await repo.transition(tx, locked.id, 'confirm', now);
          const slot = locked.slot_id
            ? await repo.setSlotStatus(tx, locked.slot_id, ['held'], 'booked', now)
            : undefined;
          await audit.record(tx, SYSTEM, {
            action: 'appointment.confirmed',
            entity: 'appointment',
            entityId: locked.id,
            details: { paymentId: payment.id },
          });
          await outbox.add(tx, 'appointment.confirmed', { appointmentId: locked.id });
          return { result: 'processed' as const, doctorId: locked.doctor_id, events: slotEvent(slot) };
        }
        // Paid too late (hold lapsed, or cancelled meanwhile): the money goes back, the appointment stays as it is.
        let events: SlotEvent[] = [];
        if (locked.status === 'pending_payment') {
          await repo.transition(tx, locked.id, 'expire', now);
          const slot = locked.slot_id
            ? await repo.setSlotStatus(tx, locked.slot_id, ['held'], 'open', now)
            : undefined;
          events = slotEvent(slot);
          deps.metrics.holdsExpired.inc();
          await audit.record(tx, SYSTEM, {
            action: 'appointment.expired',
            entity: 'appointment',
            entityId: locked.id,
            details: { reason: 'hold lapsed' },
          });
        }
        await payments.requestRefund(tx, captured, captured.amount_minor, 'captured after the hold ended');
        await audit.record(tx, SYSTEM, {
          action: 'payment.late_capture_refunded',
          entity: 'payment',
          entityId: payment.id,
        });
        return { result: 'processed' as const, doctorId: locked.doctor_id, events };
      });
      if ('doctorId' in outcome && outcome.doctorId) await afterCommit(outcome.doctorId, outcome.events);
      return outcome.result;
    },

    /** Who may drive the sandbox for this payment: its patient or an admin. */
    async assertPaymentParty(auth: AuthContext, paymentId: string): Promise<PaymentRow> {
      const payment = await payments.find(paymentId);
      const appointment = payment ? await repo.findAppointment(db, payment.appointment_id) : undefined;
      if (!payment || !appointment || (auth.role !== 'admin' && appointment.patient_id !== auth.userId))
        throw notFound('Payment');
      return payment;
    },
  };
}

export type AppointmentService = ReturnType<typeof createAppointmentService>;
