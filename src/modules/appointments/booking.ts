import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, type AuthContext, conflict, notFound, type RequestMeta } from '../../http/index.ts';
import { preparedAs, SqlState, sqlState } from '../../platform/db/index.ts';
import {
  type GateRow,
  type IdempotencyKey,
  KeyTaken,
  type StoredAnswer,
} from '../../platform/idempotency-store.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { toSlotView } from '../availability/live.ts';
import * as slots from '../availability/slot-store.ts';
import { createBookedHere } from './booked-here.ts';
import type { AppointmentParts } from './parts.ts';
import { slotTaken, whySlotRefused } from './policy.ts';
import { partyNamesSql } from './repo.ts';
import type { Views } from './views.ts';

/**
 * Booking: a patient takes a slot. One SQL statement, one round trip, no BEGIN/COMMIT.
 *
 * Invariants (the database keeps each one; this file only decides what to tell a request that lost):
 * - A slot has at most one active appointment (patient_commitments_one_per_slot: migration 0011
 *   keeps one row per active appointment there); the claim locks the slot with SKIP LOCKED, so a
 *   race has one winner and the losers learn at once.
 * - Only a slot slot_bookable_during() allows now, of a verified doctor, is taken; a lapsed hold on
 *   it is expired in the same statement (holds.ts).
 * - A patient never has two overlapping active appointments (patient_commitments_no_overlap), nor
 *   more unpaid holds or upcoming bookings than booking_quota_refusal() allows.
 * - appointments is partitioned by month: the statement reads only the slot's month of it (the
 *   quota's cool-down); the hold on the slot and the rest of the quota come from patient_commitments.
 * - Appointment, payment row, audit row, outbox event and the idempotency answer commit together or
 *   not at all; a request whose key is already answered or in flight changes nothing.
 * The gateway order is not created here: the patient's checkout call (or the sandbox) creates it.
 */

export interface BookingSettings {
  holdSeconds: number;
  maxUnpaidHolds: number;
  maxUpcomingPerDoctor: number;
  relapseCooldownSeconds: number;
}

/** The stored result of a booking: the rows it created (reason still sealed). */
export interface BookingRows {
  appointment: Parameters<Views['appointment']>[0];
  payment: Parameters<Views['appointment']>[1];
}

/**
 * booking_quota_refusal() reasons → what the patient is told (409). Not stored as the key's answer:
 * each passes by itself (a hold is paid or lapses, a consultation takes place, the cool-down ends),
 * and then the same request, retried with the same key, books.
 */
const QUOTA_REFUSALS: Record<string, { code: string; detail: string }> = {
  UNPAID_WITH_DOCTOR: {
    code: 'TOO_MANY_HOLDS',
    detail: 'You already hold an unpaid booking with this doctor; pay for it or let it lapse first',
  },
  TOO_MANY_HOLDS: {
    code: 'TOO_MANY_HOLDS',
    detail: 'You hold too many unpaid bookings; pay for one or let it lapse first',
  },
  TOO_MANY_UPCOMING: {
    code: 'TOO_MANY_BOOKINGS',
    detail: 'You have as many upcoming bookings with this doctor as one patient may have',
  },
  RELAPSE_COOLDOWN: {
    code: 'HOLD_COOLDOWN',
    detail: 'You let a hold on this slot lapse a moment ago; pick another slot or try again later',
  },
};

export function createBooking(deps: AppointmentParts & { metrics: Metrics; settings: BookingSettings }) {
  const { db, clock, keys, holds, audit, outbox, payments, views, settings } = deps;
  const count = (outcome: string) => deps.metrics.bookingAttempts.inc({ outcome });
  const bookedHere = createBookedHere(deps.feed, clock);

  function statement(
    auth: AuthContext,
    input: { slotId: string; mode?: string | undefined; reason?: string | undefined },
    meta: RequestMeta,
    key: IdempotencyKey,
    now: Date,
  ) {
    const appointmentId = randomUUID();
    const holdUntil = new Date(now.getTime() + settings.holdSeconds * 1000);
    const reason = input.reason ? views.seal(input.reason, 'reason', appointmentId) : null;
    const appt = sql`appt AS a`;
    return sql<
      GateRow & {
        refusal: string | null;
        answer: string | null;
        slot: slots.ClaimedSlot | null;
        lapsed: number;
      }
    >`
      ${preparedAs('book_slot')}
      WITH
      key AS (${keys.gateSql(key, now)}),
      target AS (${slots.targetSql({
        slotId: input.slotId,
        now,
        mode: input.mode ?? null,
        doctorId: null,
        gate: sql`(SELECT free AND prior_status IS NULL FROM key)`,
      })}),
      quota AS (
        SELECT booking_quota_refusal(${auth.userId}::uuid, t.doctor_id, t.id, ${now}::timestamptz,
          ${settings.maxUnpaidHolds}::int, ${settings.maxUpcomingPerDoctor}::int,
          ${settings.relapseCooldownSeconds} * interval '1 second') AS refusal
        FROM target AS t),
      claimed AS (${slots.claimSql({
        status: sql`CASE WHEN t.fee_minor = 0 THEN 'booked' ELSE 'held' END`,
        heldUntil: sql`${holdUntil}::timestamptz`,
        now,
        gate: sql`(SELECT refusal IS NULL FROM quota)`,
      })}),
      ${holds.expireSql(slots.CLAIMED_LAPSED_HOLD, now, false)},
      appt AS (
        INSERT INTO appointments (id, slot_id, doctor_id, patient_id, starts_at, ends_at, booked_starts_at, mode,
          reason, status, hold_expires_at, fee_minor, currency, created_at, updated_at)
        SELECT ${appointmentId}::uuid, c.id, c.doctor_id, ${auth.userId}::uuid, c.starts_at, c.ends_at, c.starts_at,
          c.mode, ${reason}::text,
          CASE WHEN c.fee_minor = 0 THEN 'confirmed' ELSE 'pending_payment' END,
          CASE WHEN c.fee_minor = 0 THEN NULL ELSE ${holdUntil}::timestamptz END,
          c.fee_minor, c.currency, ${now}::timestamptz, ${now}::timestamptz
        -- The lapsed hold leaves the slot before the new appointment takes it.
        FROM claimed AS c CROSS JOIN (SELECT count(*) FROM lapsed) AS lapsed_first
        RETURNING *, ${partyNamesSql('appointments')}),
      pay AS (${payments.rowSql({ payerId: auth.userId, now }, appt)}),
      answer AS (
        SELECT jsonb_build_object('appointment', to_jsonb(a), 'payment', (SELECT to_jsonb(p) FROM pay AS p))::text AS body
        FROM appt AS a),
      booked_audit AS (${audit.recordSql(
        meta,
        {
          action: 'appointment.booked',
          entity: 'appointment',
          entityId: sql`a.id::text`,
          details: sql`jsonb_build_object('slotId', a.slot_id, 'doctorId', a.doctor_id, 'status', a.status)`,
        },
        appt,
      )}),
      booked_event AS (${outbox.addSql(
        sql`CASE WHEN a.status = 'confirmed' THEN 'appointment.confirmed' ELSE 'appointment.created' END`,
        sql`jsonb_build_object('appointmentId', a.id)`,
        appt,
      )}),
      saved AS (${keys.saveSql(key, 201, 'result', sql`SELECT body FROM answer`, now)})
      SELECT key.*, (SELECT refusal FROM quota) AS refusal, (SELECT body FROM answer) AS answer,
             (SELECT to_jsonb(c) FROM claimed AS c) AS slot, (SELECT count(*)::int FROM lapsed) AS lapsed
      FROM key`;
  }

  /** Why a claim that found nothing found nothing: a decided refusal, or a passing state (not stored). */
  async function whyNot(input: { slotId: string; mode?: string | undefined }, now: Date): Promise<AppError> {
    const slot = await slots.describe(db, input.slotId, now);
    if (!slot?.verified) return notFound('Slot');
    if (input.mode && slot.mode !== input.mode && slot.bookable) {
      return new AppError(400, 'MODE_MISMATCH', `This slot is for ${slot.mode} consultations`);
    }
    return whySlotRefused(slot, now);
  }

  function constraintError(error: unknown): AppError | undefined {
    if (sqlState(error) === SqlState.exclusionViolation) {
      return conflict('PATIENT_CONFLICT', 'You already have an appointment at an overlapping time');
    }
    if ((error as { constraint?: string }).constraint === 'patient_commitments_one_per_slot') {
      return slotTaken(true);
    }
    return undefined;
  }

  return {
    /** The booking statement itself, for `npm run bench` (its ceiling runs this very SQL) and EXPLAIN. */
    statement: (
      auth: AuthContext,
      input: { slotId: string; mode?: string | undefined; reason?: string | undefined },
      meta: RequestMeta,
      key: IdempotencyKey,
    ) => statement(auth, input, meta, key, clock.now()),

    /** Books the slot; returns the stored result (201). Throws KeyTaken or the refusal. */
    async book(
      auth: AuthContext,
      input: { slotId: string; mode?: string | undefined; reason?: string | undefined },
      meta: RequestMeta,
      key: IdempotencyKey,
    ): Promise<StoredAnswer> {
      const timer = deps.metrics.bookingDuration.startTimer();
      let settle: ((doctorId: string | null) => void) | undefined;
      try {
        if (await bookedHere.byOther(input.slotId, auth.userId)) throw slotTaken(false);
        settle = bookedHere.track(input.slotId, auth.userId);
        const now = clock.now();
        const { rows } = await statement(auth, input, meta, key, now)
          .execute(db)
          .catch((error: unknown) => {
            throw constraintError(error) ?? error;
          });
        const row = rows[0]!;
        const taken = keys.readGate(row, key);
        if (taken) throw new KeyTaken(taken);
        if (row.refusal) {
          const refusal = QUOTA_REFUSALS[row.refusal]!;
          throw conflict(refusal.code, refusal.detail, { transient: true });
        }
        if (!row.answer || !row.slot) throw await whyNot(input, now);
        settle?.(row.slot.doctor_id);
        holds.counted(row.lapsed);
        count('booked');
        await deps.feed.changed(row.slot.doctor_id, [{ type: 'slot.updated', slot: toSlotView(row.slot) }]);
        return { status: 201, kind: 'result', body: row.answer };
      } catch (error) {
        count(
          error instanceof KeyTaken
            ? 'replayed'
            : !(error instanceof AppError)
              ? 'error'
              : error.code === 'SLOT_UNAVAILABLE'
                ? 'conflict'
                : 'rejected',
        );
        throw error;
      } finally {
        settle?.(null);
        timer();
      }
    },

    /** A stored booking as its parties see it, at the instant it was booked. */
    render: (rows: BookingRows) => views.appointment(rows.appointment, rows.payment),
  };
}

export type Booking = ReturnType<typeof createBooking>;
