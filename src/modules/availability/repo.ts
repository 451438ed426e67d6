import type { Db } from '../../platform/db/index.ts';
import type { SlotRow } from '../../platform/db/schema.ts';
import type { PlannedSlot, Schedule } from './plan.ts';

export interface StoredSchedule extends Schedule {
  minNoticeMinutes: number;
}

export async function upsertSchedule(db: Db, doctorId: string, s: StoredSchedule, now: Date): Promise<void> {
  const row = {
    timezone: s.timezone,
    rules: JSON.stringify(s.rules),
    overrides: JSON.stringify(s.overrides),
    buffer_minutes: s.bufferMinutes,
    min_notice_minutes: s.minNoticeMinutes,
    horizon_days: s.horizonDays,
    updated_at: now,
  };
  await db
    .insertInto('doctor_schedules')
    .values({ doctor_id: doctorId, ...row })
    .onConflict((oc) => oc.column('doctor_id').doUpdateSet(row))
    .execute();
}

export async function findSchedule(db: Db, doctorId: string): Promise<StoredSchedule | undefined> {
  const row = await db
    .selectFrom('doctor_schedules')
    .selectAll()
    .where('doctor_id', '=', doctorId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    timezone: row.timezone,
    rules: row.rules as Schedule['rules'],
    overrides: row.overrides as Schedule['overrides'],
    bufferMinutes: row.buffer_minutes,
    minNoticeMinutes: row.min_notice_minutes,
    horizonDays: row.horizon_days,
  };
}

export async function scheduledDoctorIds(db: Db): Promise<string[]> {
  return (await db.selectFrom('doctor_schedules').select('doctor_id').execute()).map((r) => r.doctor_id);
}

/** Slots not yet over (one in progress counts: new slots must not overlap it either). */
export function currentAndFutureSlots(db: Db, doctorId: string, now: Date): Promise<SlotRow[]> {
  return db
    .selectFrom('slots')
    .selectAll()
    .where('doctor_id', '=', doctorId)
    .where('ends_at', '>', now)
    .orderBy('starts_at')
    .execute();
}

/** Deletes the given slots if they are still open; returns the rows actually deleted. */
export function deleteOpenSlots(db: Db, doctorId: string, ids: string[]): Promise<SlotRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .deleteFrom('slots')
    .where('doctor_id', '=', doctorId)
    .where('id', 'in', ids)
    .where('status', '=', 'open')
    .returningAll()
    .execute();
}

export function insertSlots(
  db: Db,
  doctorId: string,
  slots: PlannedSlot[],
  source: 'schedule' | 'manual',
  now: Date,
): Promise<SlotRow[]> {
  if (slots.length === 0) return Promise.resolve([]);
  return db
    .insertInto('slots')
    .values(
      slots.map((s) => ({
        doctor_id: doctorId,
        starts_at: s.startsAt,
        ends_at: s.endsAt,
        mode: s.mode,
        source,
        created_at: now,
        updated_at: now,
      })),
    )
    .returningAll()
    .execute();
}

export function findSlot(db: Db, doctorId: string, id: string): Promise<SlotRow | undefined> {
  return db
    .selectFrom('slots')
    .selectAll()
    .where('id', '=', id)
    .where('doctor_id', '=', doctorId)
    .executeTakeFirst();
}

export function openSlotsBetween(db: Db, doctorId: string, from: Date, to: Date): Promise<SlotRow[]> {
  return db
    .selectFrom('slots')
    .selectAll()
    .where('doctor_id', '=', doctorId)
    .where('status', '=', 'open')
    .where('starts_at', '>=', from)
    .where('starts_at', '<', to)
    .orderBy('starts_at')
    .execute();
}
