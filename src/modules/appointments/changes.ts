import { sql } from 'kysely';
import {
  AppError,
  type AuthContext,
  conflict,
  forbidden,
  notFound,
  type RequestMeta,
  SYSTEM,
} from '../../http/index.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { AppointmentRow, PaymentRow, SlotRow } from '../../platform/db/schema.ts';
import type { IdempotencyKey, StoredAnswer } from '../../platform/idempotency-store.ts';
import { type SlotEvent, toSlotView } from '../availability/live.ts';
import * as slots from '../availability/slot-store.ts';
import type { BookingPort } from '../payments/port.ts';
import type { AppointmentParts } from './parts.ts';
import { type ChangePolicy, refundOnCancel, tooLate, whySlotRefused } from './policy.ts';
import * as repo from './repo.ts';
import { RESCHEDULABLE, TRANSITIONS } from './state.ts';
import { type ConsultationWindows, stepOpensAt } from './windows.ts';

/**
 * Changes to a booked appointment: cancel, reschedule, the doctor's lifecycle steps, and
 * confirmation when its payment is captured.
 *
 * Invariants:
 * - Every change that touches a slot and its appointment locks the slot first, then the
 *   appointment, so no two changes deadlock; a slot claimed elsewhere is never waited for.
 * - What may follow what is state.ts (and the database trigger); a repeat is 409 INVALID_STATE.
 * - Time and money follow policy.ts. Cancel and reschedule store their idempotency answer in
 *   their own transaction; subscribers hear of slot changes only after commit.
 */

export type Party = 'patient' | 'doctor' | 'admin';

export interface CancelRows {
  appointment: repo.AppointmentRecord;
  payment: PaymentRow | null;
  refund: { amountMinor: number; status: 'pending' | 'none' };
}

const invalidState = (status: string, action: string) =>
  conflict('INVALID_STATE', `An appointment that is ${status} can't be ${action}`);

export function createChanges(
  deps: AppointmentParts & { policy: ChangePolicy; windows: ConsultationWindows },
) {
  const { db, clock, keys, holds, audit, outbox, payments, views, feed, policy, windows } = deps;

  const isParty = (a: AppointmentRow, auth: AuthContext) =>
    auth.role === 'admin' || a.patient_id === auth.userId || a.doctor_id === auth.userId;

  /** Not yours is the same as missing (SPEC §4). */
  async function loadOwn(tx: Db, id: string, auth: AuthContext, now: Date): Promise<AppointmentRow> {
    const a = await repo.find(tx, id, now);
    if (!a || !isParty(a, auth)) throw notFound('Appointment');
    return a;
  }

  /** Slot, then appointment. Moved to another slot meanwhile: stop rather than lock out of order. */
  async function lockWithSlot(tx: Db, a: AppointmentRow, now: Date): Promise<AppointmentRow> {
    if (a.slot_id) await slots.lock(tx, a.slot_id);
    const locked = await repo.lock(tx, a.id, now);
    if (!locked) throw notFound('Appointment');
    if (locked.slot_id !== a.slot_id) {
      throw conflict('CONCURRENT_UPDATE', 'The appointment changed while this request ran; retry', {
        transient: true,
      });
    }
    return locked;
  }

  const slotEvents = (...rows: Array<SlotRow | undefined>): SlotEvent[] =>
    rows.flatMap((s) => (s ? [{ type: 'slot.updated' as const, slot: toSlotView(s) }] : []));

  const result = (status: number, rows: unknown): StoredAnswer => ({
    status,
    kind: 'result',
    body: JSON.stringify(rows),
  });

  async function cancel(
    auth: AuthContext,
    id: string,
    reason: string,
    meta: RequestMeta,
    key: IdempotencyKey,
  ) {
    const by: Party = auth.role;
    const now = clock.now();
    const done = await db.transaction().execute(async (tx) => {
      await keys.begin(tx, key, now);
      const locked = await lockWithSlot(tx, await loadOwn(tx, id, auth, now), now);
      if (!(TRANSITIONS.cancel.from as readonly string[]).includes(locked.status)) {
        throw invalidState(locked.status, 'cancelled');
      }
      const late = tooLate('cancel', by, locked, now, policy);
      if (late) throw conflict('TOO_LATE', late);
      const cancelled = await repo.transition(tx, id, 'cancel', now, {
        cancelled_by: by,
        cancel_reason: views.seal(reason, 'cancel_reason', id),
      });
      if (!cancelled) throw invalidState(locked.status, 'cancelled');
      const slot = locked.slot_id
        ? await slots.move(tx, locked.slot_id, ['held', 'booked'], 'open', now)
        : undefined;
      const payment = await payments.forAppointment(tx, id);
      const paid = payment?.status === 'captured' ? payment.amount_minor : 0;
      const refundMinor = refundOnCancel(by, locked, now, paid, policy);
      const settled =
        payment && refundMinor > 0
          ? await payments.refund(tx, payment, refundMinor, 'cancellation')
          : payment;
      await audit.record(tx, meta, {
        action: 'appointment.cancelled',
        entity: 'appointment',
        entityId: id,
        details: { by, refundMinor },
      });
      await outbox.add(tx, 'appointment.cancelled', { appointmentId: id, by, refundMinor });
      const rows: CancelRows = {
        appointment: cancelled,
        payment: settled ?? null,
        refund: { amountMinor: refundMinor, status: refundMinor > 0 ? 'pending' : 'none' },
      };
      const answer = result(200, rows);
      await keys.save(tx, key, answer, now);
      return { answer, doctorId: cancelled.doctor_id, events: slotEvents(slot) };
    });
    await feed.changed(done.doctorId, done.events);
    return done.answer;
  }

  async function reschedule(
    auth: AuthContext,
    id: string,
    slotId: string,
    meta: RequestMeta,
    key: IdempotencyKey,
  ) {
    if (auth.role !== 'patient') throw forbidden('Only the patient can reschedule');
    const now = clock.now();
    const done = await db.transaction().execute(async (tx) => {
      await keys.begin(tx, key, now);
      // Old slot and appointment first (the usual order); the new slot is then taken with
      // SKIP LOCKED, which never waits, so this order can't deadlock.
      const locked = await lockWithSlot(tx, await loadOwn(tx, id, auth, now), now);
      if (!RESCHEDULABLE.includes(locked.status)) throw invalidState(locked.status, 'rescheduled');
      const late = tooLate('reschedule', 'patient', locked, now, policy);
      if (late) throw conflict('TOO_LATE', late);
      if (locked.slot_id === slotId)
        throw conflict('SAME_SLOT', 'The appointment is already on this slot; pick another one to move to');
      const { rows } = await sql<{
        slot: SlotRow | null;
        moved: repo.AppointmentRecord | null;
        lapsed: number;
      }>`
        WITH
        target AS (${slots.targetSql({ slotId, now, mode: null, doctorId: locked.doctor_id, gate: sql`true` })}),
        claimed AS (${slots.claimSql({
          status: sql`${locked.status === 'pending_payment' ? 'held' : 'booked'}::text`,
          heldUntil: sql`${locked.hold_expires_at}::timestamptz`,
          now,
          gate: sql`true`,
        })}),
        ${holds.expireSql(slots.CLAIMED_LAPSED_HOLD, now, false)},
        moved AS (${repo.moveSql(locked, now)})
        SELECT (SELECT to_jsonb(c) FROM claimed AS c) AS slot, (SELECT to_jsonb(m) FROM moved AS m) AS moved,
               (SELECT count(*)::int FROM lapsed) AS lapsed`
        .execute(tx)
        .catch((error: unknown) => {
          if (sqlState(error) === SqlState.exclusionViolation) {
            throw conflict('PATIENT_CONFLICT', 'You already have an appointment at an overlapping time');
          }
          throw error;
        });
      const { slot, moved, lapsed } = rows[0]!;
      if (!slot || !moved) throw await whyNotMoved(tx, slotId, locked.doctor_id, now);
      holds.counted(lapsed);
      const reopened = locked.slot_id
        ? await slots.move(tx, locked.slot_id, ['held', 'booked'], 'open', now)
        : undefined;
      await audit.record(tx, meta, {
        action: 'appointment.rescheduled',
        entity: 'appointment',
        entityId: id,
        details: { fromSlotId: locked.slot_id, toSlotId: slot.id },
      });
      await outbox.add(tx, 'appointment.rescheduled', { appointmentId: id });
      const answer = result(200, {
        appointment: moved,
        payment: (await payments.forAppointment(tx, id)) ?? null,
      });
      await keys.save(tx, key, answer, now);
      return { answer, doctorId: locked.doctor_id, events: [...slotEvents(reopened), ...slotEvents(slot)] };
    });
    await feed.changed(done.doctorId, done.events);
    return done.answer;
  }

  async function whyNotMoved(tx: Db, slotId: string, doctorId: string, now: Date): Promise<AppError> {
    const slot = await slots.describe(tx, slotId, now);
    if (!slot?.verified) return notFound('Slot');
    if (slot.doctor_id !== doctorId) {
      return new AppError(400, 'DIFFERENT_DOCTOR', 'Reschedule to a slot of the same doctor');
    }
    return whySlotRefused(slot, now);
  }

  /** start / complete / no-show: the doctor's lifecycle steps (admins may act for them). */
  async function advance(
    auth: AuthContext,
    id: string,
    step: 'start' | 'complete' | 'noShow',
    meta: RequestMeta,
  ) {
    const words = { start: 'started', complete: 'completed', noShow: 'marked no-show' } as const;
    const action = { start: 'started', complete: 'completed', noShow: 'no_show' } as const;
    return db.transaction().execute(async (tx) => {
      const now = clock.now();
      const a = await loadOwn(tx, id, auth, now);
      if (auth.role !== 'admin' && a.doctor_id !== auth.userId)
        throw forbidden('Only the doctor runs the consultation');
      if (!(TRANSITIONS[step].from as readonly string[]).includes(a.status)) {
        throw invalidState(a.status, words[step]);
      }
      const opensAt = stepOpensAt(step, a.starts_at, windows);
      if (opensAt && now < opensAt) {
        const what = step === 'start' ? 'The consultation can be started' : 'A no-show can be recorded';
        throw conflict('TOO_EARLY', `${what} from ${opensAt.toISOString()}`, {
          window: { opensAt: opensAt.toISOString() },
        });
      }
      const updated = await repo.transition(tx, id, step, now);
      if (!updated) throw invalidState(a.status, words[step]);
      await audit.record(tx, meta, {
        action: `appointment.${action[step]}`,
        entity: 'appointment',
        entityId: id,
      });
      await outbox.add(tx, `appointment.${action[step]}`, { appointmentId: id });
      return { appointment: updated, payment: (await payments.forAppointment(tx, id)) ?? null };
    });
  }

  /** What payments calls when a capture arrives, inside its transaction (see payments/port.ts). */
  const port: BookingPort = {
    async lock(tx, appointmentId, now) {
      const a = await repo.find(tx, appointmentId, now);
      if (a) await lockWithSlot(tx, a, now);
    },

    async settle(tx, appointmentId, now) {
      const a = await repo.find(tx, appointmentId, now);
      if (!a) return { confirmed: false, afterCommit: async () => {} };
      const locked = await lockWithSlot(tx, a, now);
      if (locked.status === 'pending_payment') {
        await repo.transition(tx, locked.id, 'confirm', now);
        const slot = locked.slot_id
          ? await slots.move(tx, locked.slot_id, ['held'], 'booked', now)
          : undefined;
        await audit.record(tx, SYSTEM, {
          action: 'appointment.confirmed',
          entity: 'appointment',
          entityId: locked.id,
        });
        await outbox.add(tx, 'appointment.confirmed', { appointmentId: locked.id });
        return { confirmed: true, afterCommit: () => feed.changed(locked.doctor_id, slotEvents(slot)) };
      }
      // Paid too late: a lapsed hold expires now (if nothing did yet); the appointment stays as it is.
      const reopened = await holds.expire(tx, [locked], now);
      return { confirmed: false, afterCommit: () => feed.changed(locked.doctor_id, slotEvents(...reopened)) };
    },
  };

  return { cancel, reschedule, advance, port };
}

export type Changes = ReturnType<typeof createChanges>;
