import { sql } from 'kysely';
import { type Db, preparedAs } from '../../platform/db/index.ts';
import type { SlotRow } from '../../platform/db/schema.ts';
import type { Schedule } from './plan.ts';
import { BOOKABLE_DURING, BOOKABLE_JOINS } from './slot-store.ts';

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

export function findSlot(db: Db, doctorId: string, id: string): Promise<SlotRow | undefined> {
  return db
    .selectFrom('slots')
    .selectAll()
    .where('id', '=', id)
    .where('doctor_id', '=', doctorId)
    .executeTakeFirst();
}

/** A slot the public may book for a while: start, and the interval it is bookable in (ms), and its JSON. */
export interface BookableSlot {
  starts: number;
  /** 0 when bookable from any earlier instant (an open slot). */
  from: number;
  until: number;
  json: string;
}

/** Existence, public visibility and the zone the doctor's slots are shown in (schedule's, else profile's). */
export async function publicDoctor(
  db: Db,
  doctorId: string,
): Promise<{ verified: boolean; zone: string } | undefined> {
  const { rows } = await sql<{ verified: boolean; zone: string }>`${preparedAs('public_doctor')}
    SELECT d.verification_status = 'verified' AS verified, coalesce(ds.timezone, d.timezone) AS zone
    FROM doctors AS d LEFT JOIN doctor_schedules AS ds ON ds.doctor_id = d.user_id
    WHERE d.user_id = ${doctorId}::uuid`.execute(db);
  return rows[0];
}

/** Slots starting in [from, to) that are bookable at some instant, per slot_bookable_during(). */
export async function bookableSlots(db: Db, doctorId: string, from: Date, to: Date): Promise<BookableSlot[]> {
  const { rows } = await sql<{
    id: string;
    starts_at: Date;
    ends_at: Date;
    mode: string;
    bookable_from: Date | null;
    bookable_until: Date;
  }>`${preparedAs('bookable_slots')}
    SELECT id, starts_at, ends_at, mode, lower(during) AS bookable_from, upper(during) AS bookable_until
    FROM (
      SELECT s.id, s.starts_at, s.ends_at, s.mode, ${BOOKABLE_DURING} AS during
      FROM slots AS s ${BOOKABLE_JOINS}
      WHERE s.doctor_id = ${doctorId}::uuid AND s.starts_at >= ${from}::timestamptz AND s.starts_at < ${to}::timestamptz
    ) AS listed
    WHERE NOT isempty(during)
    ORDER BY starts_at`.execute(db);
  return rows.map((r) => ({
    starts: r.starts_at.getTime(),
    from: r.bookable_from?.getTime() ?? 0,
    until: r.bookable_until.getTime(),
    // Listed because bookable: to the public it is open, whatever hold lapsed on it.
    json: JSON.stringify({
      id: r.id,
      startsAt: r.starts_at.toISOString(),
      endsAt: r.ends_at.toISOString(),
      mode: r.mode,
      status: 'open',
    }),
  }));
}
