import { sql } from 'kysely';
import { type Db, preparedAs } from '../../platform/db/index.ts';
import type { SlotRow } from '../../platform/db/schema.ts';
import type { Schedule } from './plan.ts';
import { BOOKABLE_DURING, BOOKABLE_JOINS } from './slot-store.ts';

export interface StoredSchedule extends Schedule {
  minNoticeMinutes: number;
}

/** Stores the schedule; its zone is the doctor's (the profile's), not stored here. */
export async function upsertSchedule(db: Db, doctorId: string, s: StoredSchedule, now: Date): Promise<void> {
  const row = {
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

/** The schedule in the doctor's zone. */
export async function findSchedule(db: Db, doctorId: string): Promise<StoredSchedule | undefined> {
  const row = await db
    .selectFrom('doctor_schedules as ds')
    .innerJoin('doctors as d', 'd.user_id', 'ds.doctor_id')
    .selectAll('ds')
    .select('d.timezone')
    .where('ds.doctor_id', '=', doctorId)
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

/**
 * A doctor's slots starting in [from, to), in every state, with the appointment that has each (an
 * unpaid hold that lapsed has none: the slot reads as open, as it is to patients).
 */
export async function ownSlots(
  db: Db,
  doctorId: string,
  from: Date,
  to: Date,
  now: Date,
): Promise<Array<SlotRow & { appointment_id: string | null }>> {
  const { rows } = await sql<SlotRow & { appointment_id: string | null }>`
    SELECT s.id, s.doctor_id, s.starts_at, s.ends_at, s.mode, s.source, s.held_until, s.created_at, s.updated_at,
      CASE WHEN s.status = 'held' AND s.held_until <= ${now}::timestamptz THEN 'open' ELSE s.status END AS status,
      a.id AS appointment_id
    FROM slots AS s
    LEFT JOIN LATERAL (
      SELECT a.id FROM appointments AS a
      -- An appointment starts when its slot does: the range's months are the partitions to read.
      WHERE a.slot_id = s.id AND a.starts_at = s.starts_at
        AND a.starts_at >= ${from}::timestamptz AND a.starts_at < ${to}::timestamptz
        AND a.status NOT IN ('cancelled', 'expired')
        AND NOT hold_lapsed(a.status, a.hold_expires_at, ${now}::timestamptz)
      ORDER BY a.created_at DESC LIMIT 1
    ) AS a ON true
    WHERE s.doctor_id = ${doctorId}::uuid AND s.starts_at >= ${from}::timestamptz AND s.starts_at < ${to}::timestamptz
    ORDER BY s.starts_at`.execute(db);
  return rows;
}

/** A slot the public may book for a while: start, and the interval it is bookable in (ms), and its JSON. */
export interface BookableSlot {
  starts: number;
  /** 0 when bookable from any earlier instant (an open slot). */
  from: number;
  until: number;
  json: string;
}

/** Existence, public visibility and the doctor's zone. */
export async function publicDoctor(
  db: Db,
  doctorId: string,
): Promise<{ verified: boolean; zone: string } | undefined> {
  const { rows } = await sql<{ verified: boolean; zone: string }>`${preparedAs('public_doctor')}
    SELECT d.verification_status = 'verified' AS verified, d.timezone AS zone
    FROM doctors AS d
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
