import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { AppointmentRow, AppointmentStatus } from '../../platform/db/schema.ts';
import { TRANSITIONS, type Transition } from './state.ts';

/**
 * The SQL of appointments' own reads and writes.
 *
 * Invariants:
 * - appointments is partitioned by month of starts_at (migration 0011): every statement by id
 *   also names the row's start (atItsStart), so it plans and reads one partition; a list reads
 *   only the months of its from/to.
 * - A status changes only in `transition`, from the states state.ts allows (the database's
 *   trigger says the same); appointment_ids and patient_commitments follow by trigger.
 */

const STORED = [
  'id',
  'slot_id',
  'doctor_id',
  'patient_id',
  'starts_at',
  'ends_at',
  'booked_starts_at',
  'mode',
  'reason',
  'hold_expires_at',
  'fee_minor',
  'currency',
  'cancelled_by',
  'cancel_reason',
  'completed_at',
  'created_at',
  'updated_at',
] as const;

/** What an appointment is read as: its row and its parties' names (read with it, never stored on it). */
export type AppointmentRecord = AppointmentRow & { doctor_name: string; patient_name: string };

const nameOf = (row: string, party: 'doctor' | 'patient') =>
  sql<string>`(SELECT u.name FROM users AS u WHERE u.id = ${sql.ref(`${row}.${party}_id`)})`;

/** The parties' names of the appointment row called `row`, as columns doctor_name and patient_name. */
export const partyNames = (row = 'appointments') => [
  nameOf(row, 'doctor').as('doctor_name'),
  nameOf(row, 'patient').as('patient_name'),
];

/** The same, for a hand-written select list or RETURNING clause. */
export const partyNamesSql = (row: string) => sql.join(partyNames(row));

/** The status a reader sees at `now`: a lapsed hold is expired even before the expiry job ran. */
const readerStatus = (now: Date) =>
  sql<AppointmentStatus>`CASE WHEN hold_lapsed(status, hold_expires_at, ${now}::timestamptz) THEN 'expired' ELSE status END`.as(
    'status',
  );

/**
 * `appointments` is partitioned by month of starts_at (migration 0011): a statement by id alone
 * would open every partition, so each one here names the row's start too, as appointment_ids
 * gives it. A row a reschedule moved to another month between the two reads is looked for again at
 * its new start; a row the statement finds nothing of at a start that stayed is not there (or not
 * in the state the statement asks for).
 */
async function atItsStart<T>(db: Db, id: string, at: (startsAt: Date) => Promise<T | undefined>) {
  const startOf = async () =>
    (await db.selectFrom('appointment_ids').select('starts_at').where('id', '=', id).executeTakeFirst())
      ?.starts_at;
  let startsAt = await startOf();
  while (startsAt) {
    const found = await at(startsAt);
    if (found) return found;
    const now = await startOf();
    if (now?.getTime() === startsAt.getTime()) return undefined;
    startsAt = now;
  }
  return undefined;
}

const read = (db: Db, id: string, startsAt: Date, now: Date) =>
  db
    .selectFrom('appointments')
    .select(STORED)
    .select(readerStatus(now))
    .select(partyNames())
    .where('id', '=', id)
    .where('starts_at', '=', startsAt);

export function find(db: Db, id: string, now: Date): Promise<AppointmentRecord | undefined> {
  return atItsStart(db, id, (startsAt) => read(db, id, startsAt, now).executeTakeFirst());
}

/** The same, locked for a change (take the slot's lock first: see changes.ts). */
export function lock(db: Db, id: string, now: Date): Promise<AppointmentRecord | undefined> {
  return atItsStart(db, id, (startsAt) => read(db, id, startsAt, now).forUpdate().executeTakeFirst());
}

/** The one place a status changes: the allowed source states are in the WHERE clause. */
export function transition(
  db: Db,
  id: string,
  name: Transition,
  now: Date,
  extra: Partial<Pick<AppointmentRow, 'cancelled_by' | 'cancel_reason'>> = {},
): Promise<AppointmentRecord | undefined> {
  const { from, to } = TRANSITIONS[name];
  return atItsStart(db, id, (startsAt) =>
    db
      .updateTable('appointments')
      .set({ status: to, updated_at: now, ...extra })
      // hold_expires_at is the end of an unpaid hold (the cool-down before re-holding counts from
      // it): a payment ends the hold for good, cancelling an unpaid hold ends it now.
      .$if(name === 'confirm', (q) => q.set({ hold_expires_at: null }))
      .$if(name === 'cancel', (q) =>
        q.set({ hold_expires_at: sql`CASE WHEN status = 'pending_payment' THEN ${now}::timestamptz END` }),
      )
      .where('id', '=', id)
      .where('starts_at', '=', startsAt)
      .where('status', 'in', [...from])
      .returningAll()
      .returning(partyNames())
      .executeTakeFirst(),
  );
}

/**
 * CTE body `moved` (after `claimed` and the lapsed-hold CTEs): the appointment (locked, at its
 * start) on its new slot, remembering the earliest start it ever had (policy.ts judges refunds on
 * it). A new start in another month moves the row to that month's partition.
 */
export const moveSql = (a: { id: string; starts_at: Date }, now: Date) => sql`
  UPDATE appointments AS m
  SET slot_id = c.id, starts_at = c.starts_at, ends_at = c.ends_at, mode = c.mode, updated_at = ${now}::timestamptz,
    booked_starts_at = LEAST(m.booked_starts_at, m.starts_at)
  FROM claimed AS c CROSS JOIN (SELECT count(*) FROM lapsed) AS lapsed_first
  WHERE m.id = ${a.id}::uuid AND m.starts_at = ${a.starts_at}::timestamptz
  RETURNING m.*, ${partyNamesSql('m')}`;

export interface ListFilter {
  patientId?: string | undefined;
  doctorId?: string | undefined;
  status?: AppointmentStatus | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  after?: { startsAt: Date; id: string } | undefined;
  limit: number;
  now: Date;
}

/** A page of appointments; with `from` and `to` it reads only their months' partitions. */
export function listQuery(db: Db, f: ListFilter) {
  let q = db
    .selectFrom('appointments')
    .select(STORED)
    .select(readerStatus(f.now))
    .select(partyNames())
    .orderBy('starts_at')
    .orderBy('id')
    .limit(f.limit);
  if (f.patientId) q = q.where('patient_id', '=', f.patientId);
  if (f.doctorId) q = q.where('doctor_id', '=', f.doctorId);
  if (f.status === 'expired') {
    q = q.where(
      sql<SqlBool>`(status = 'expired' OR hold_lapsed(status, hold_expires_at, ${f.now}::timestamptz))`,
    );
  } else if (f.status) {
    q = q.where('status', '=', f.status);
    if (f.status === 'pending_payment') q = q.where('hold_expires_at', '>', f.now);
  }
  if (f.from) q = q.where('starts_at', '>=', f.from);
  if (f.to) q = q.where('starts_at', '<', f.to);
  if (f.after) q = q.where(sql<SqlBool>`(starts_at, id) > (${f.after.startsAt}, ${f.after.id}::uuid)`);
  return q;
}

export const list = (db: Db, f: ListFilter): Promise<AppointmentRecord[]> => listQuery(db, f).execute();

/** What clinical records read of an appointment (records/): its parties, times and status as readers see it. */
export function findForRecords(db: Db, id: string, now: Date) {
  return atItsStart(db, id, (startsAt) =>
    db
      .selectFrom('appointments')
      .select(['id', 'doctor_id', 'patient_id', 'starts_at', 'ends_at', 'completed_at'])
      .select(readerStatus(now))
      .where('id', '=', id)
      .where('starts_at', '=', startsAt)
      .executeTakeFirst(),
  );
}
