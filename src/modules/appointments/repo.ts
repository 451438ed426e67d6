import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { AppointmentRow, AppointmentStatus, SlotRow } from '../../platform/db/schema.ts';
import { TRANSITIONS, type Transition } from './state.ts';

export type ClaimedSlot = SlotRow & {
  fee_minor: number;
  currency: string;
  previous_status: SlotRow['status'];
};

/**
 * Takes a bookable slot in one statement: open (or held by a hold that has run out), of a
 * verified doctor, in the future past the notice period. A slot another transaction is
 * working on is skipped, not waited for, so losers learn at once.
 */
export async function claimSlot(
  db: Db,
  q: {
    slotId: string;
    mode: string | null;
    now: Date;
    doctorId?: string;
    newStatus: 'held' | 'booked' | 'by-fee';
  },
): Promise<ClaimedSlot | undefined> {
  const status =
    q.newStatus === 'by-fee'
      ? sql`CASE WHEN d.fee_minor = 0 THEN 'booked' ELSE 'held' END`
      : sql`${q.newStatus}::text`;
  const result = await sql<ClaimedSlot>`
    WITH target AS (SELECT id, status AS previous_status FROM slots WHERE id = ${q.slotId} FOR UPDATE SKIP LOCKED)
    UPDATE slots AS s SET status = ${status}, updated_at = ${q.now}
    FROM doctors AS d, target
    WHERE s.id = target.id
      AND d.user_id = s.doctor_id
      AND d.verification_status = 'verified'
      AND (${q.doctorId ?? null}::uuid IS NULL OR s.doctor_id = ${q.doctorId ?? null}::uuid)
      AND (${q.mode}::text IS NULL OR s.mode = ${q.mode}::text)
      AND s.starts_at > ${q.now}::timestamptz + make_interval(mins => coalesce(
        (SELECT min_notice_minutes FROM doctor_schedules ds WHERE ds.doctor_id = s.doctor_id), 0))
      AND (s.status = 'open' OR (s.status = 'held' AND EXISTS (
        SELECT 1 FROM appointments a
        WHERE a.slot_id = s.id AND a.status = 'pending_payment' AND a.hold_expires_at <= ${q.now})))
    RETURNING s.*, d.fee_minor, d.currency, target.previous_status`.execute(db);
  return result.rows[0];
}

/** For a failed claim: what the slot looks like now, to say why. */
export function describeSlot(db: Db, slotId: string) {
  return db
    .selectFrom('slots as s')
    .innerJoin('doctors as d', 'd.user_id', 's.doctor_id')
    .select(['s.id', 's.mode', 's.status', 's.doctor_id', 'd.verification_status'])
    .where('s.id', '=', slotId)
    .executeTakeFirst();
}

export function setSlotStatus(
  db: Db,
  slotId: string,
  from: SlotRow['status'][],
  to: SlotRow['status'],
  now: Date,
) {
  return db
    .updateTable('slots')
    .set({ status: to, updated_at: now })
    .where('id', '=', slotId)
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst();
}

export function lockSlot(db: Db, slotId: string) {
  return db.selectFrom('slots').selectAll().where('id', '=', slotId).forUpdate().executeTakeFirst();
}

/** The hold that ran out on this slot, if any, now marked expired. */
export function expireStaleHold(db: Db, slotId: string, now: Date) {
  return db
    .updateTable('appointments')
    .set({ status: 'expired', updated_at: now })
    .where('slot_id', '=', slotId)
    .where('status', '=', 'pending_payment')
    .where('hold_expires_at', '<=', now)
    .returningAll()
    .execute();
}

export function insertAppointment(
  db: Db,
  a: Omit<AppointmentRow, 'id' | 'cancelled_by' | 'cancel_reason'>,
): Promise<AppointmentRow> {
  return db
    .insertInto('appointments')
    .values({ ...a, cancelled_by: null, cancel_reason: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findAppointment(db: Db, id: string): Promise<AppointmentRow | undefined> {
  return db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirst();
}

export function lockAppointment(db: Db, id: string): Promise<AppointmentRow | undefined> {
  return db.selectFrom('appointments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** The one place a status changes: allowed source states in the WHERE clause. */
export function transition(
  db: Db,
  id: string,
  name: Transition,
  now: Date,
  extra: Partial<Pick<AppointmentRow, 'cancelled_by' | 'cancel_reason'>> = {},
): Promise<AppointmentRow | undefined> {
  const { from, to } = TRANSITIONS[name];
  return db
    .updateTable('appointments')
    .set({ status: to, updated_at: now, ...extra })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}

export function moveAppointment(db: Db, id: string, slot: SlotRow, now: Date) {
  return db
    .updateTable('appointments')
    .set({
      slot_id: slot.id,
      starts_at: slot.starts_at,
      ends_at: slot.ends_at,
      mode: slot.mode,
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Due holds, locked with their slots; rows another transaction holds are left for the next run. */
export async function lockDueHolds(
  db: Db,
  now: Date,
  limit: number,
): Promise<Array<{ id: string; slot_id: string }>> {
  const result = await sql<{ id: string; slot_id: string }>`
    SELECT a.id, a.slot_id FROM appointments a JOIN slots s ON s.id = a.slot_id
    WHERE a.status = 'pending_payment' AND a.hold_expires_at <= ${now}
    ORDER BY a.hold_expires_at
    LIMIT ${limit}
    FOR UPDATE OF a, s SKIP LOCKED`.execute(db);
  return result.rows;
}

export interface ListFilter {
  patientId?: string | undefined;
  doctorId?: string | undefined;
  status?: AppointmentStatus | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  after?: { startsAt: Date; id: string } | undefined;
  limit: number;
}

export function listAppointments(db: Db, f: ListFilter): Promise<AppointmentRow[]> {
  let q = db.selectFrom('appointments').selectAll().orderBy('starts_at').orderBy('id').limit(f.limit);
  if (f.patientId) q = q.where('patient_id', '=', f.patientId);
  if (f.doctorId) q = q.where('doctor_id', '=', f.doctorId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.from) q = q.where('starts_at', '>=', f.from);
  if (f.to) q = q.where('starts_at', '<', f.to);
  if (f.after) q = q.where(sql<SqlBool>`(starts_at, id) > (${f.after.startsAt}, ${f.after.id}::uuid)`);
  return q.execute();
}
