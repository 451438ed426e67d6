import { type RawBuilder, sql } from 'kysely';
import { type Db, preparedAs } from '../../platform/db/index.ts';
import type { SlotRow, SlotStatus } from '../../platform/db/schema.ts';
import type { PlannedSlot } from './plan.ts';

/**
 * The only code that writes `slots` (other modules change a slot through these functions, or
 * embed these SQL fragments in their own single statements).
 *
 * - A slot moves open → held (booked at once when the fee is 0) → booked, and back to open when a
 *   hold lapses or its appointment is cancelled or moved away.
 * - Bookable means what slot_bookable_during() says (migration 0004), of a verified doctor.
 * - One doctor's slots never overlap (slots_no_overlap); inserts go in chunks well under
 *   PostgreSQL's 65,535 bind parameters.
 */

const INSERT_CHUNK = 1000;

/**
 * How every query spells "bookable" for a slot aliased `s`: this join (its doctor's schedule `ds`,
 * for the notice) and `BOOKABLE_DURING`, the instants slot_bookable_during() allows. The slot row
 * alone decides it (a held slot carries the end of its hold), so no appointment is read.
 */
export const BOOKABLE_JOINS = sql`LEFT JOIN doctor_schedules AS ds ON ds.doctor_id = s.doctor_id`;
export const BOOKABLE_DURING = sql`slot_bookable_during(s.status, s.starts_at, s.held_until, coalesce(ds.min_notice_minutes, 0))`;

/** The columns a claim returns: the slot, its doctor's price, and a lapsed hold to retire (id and start). */
export type ClaimedSlot = SlotRow & {
  fee_minor: number;
  currency: string;
  lapsed_hold_id: string | null;
  lapsed_hold_starts_at: Date | null;
};

/**
 * CTE body `target`: the slot if it is bookable now, locked; a slot another transaction is working
 * on is skipped, not waited for, so the losers of a race learn at once. `gate` (SQL boolean) must
 * hold too, e.g. "this request holds its idempotency key".
 */
export function targetSql(q: {
  slotId: string;
  now: Date;
  mode: string | null;
  doctorId: string | null;
  gate: RawBuilder<unknown>;
}): RawBuilder<unknown> {
  return sql`
    SELECT s.id, s.doctor_id, d.fee_minor, d.currency, hold.appointment_id AS lapsed_hold_id,
      lower(hold.during) AS lapsed_hold_starts_at
    FROM slots AS s
    JOIN doctors AS d ON d.user_id = s.doctor_id
    ${BOOKABLE_JOINS}
    LEFT JOIN LATERAL (
      SELECT c.appointment_id, c.during FROM patient_commitments AS c
      WHERE s.status = 'held' AND c.slot_id = s.id AND c.status = 'pending_payment'
    ) AS hold ON true
    WHERE s.id = ${q.slotId}::uuid AND ${q.gate}
      AND d.verification_status = 'verified'
      AND (${q.doctorId}::uuid IS NULL OR s.doctor_id = ${q.doctorId}::uuid)
      AND (${q.mode}::text IS NULL OR s.mode = ${q.mode}::text)
      AND ${BOOKABLE_DURING} @> ${q.now}::timestamptz
    FOR UPDATE OF s SKIP LOCKED`;
}

/**
 * CTE body `claimed` (after `target`): takes the slot when `gate` holds, held until `heldUntil`
 * when `status` comes out 'held'; returns ClaimedSlot.
 */
export function claimSql(q: {
  status: RawBuilder<unknown>;
  heldUntil: RawBuilder<unknown>;
  now: Date;
  gate: RawBuilder<unknown>;
}) {
  return sql`
    UPDATE slots AS s
    SET status = ${q.status}, held_until = CASE WHEN ${q.status} = 'held' THEN ${q.heldUntil} END,
        updated_at = ${q.now}::timestamptz
    FROM target AS t
    WHERE s.id = t.id AND ${q.gate}
    RETURNING s.*, t.fee_minor, t.currency, t.lapsed_hold_id, t.lapsed_hold_starts_at`;
}

/** The lapsed hold a claim found (rows id, starts_at), as holds.ts's expireSql takes it. */
export const CLAIMED_LAPSED_HOLD = sql`
  SELECT lapsed_hold_id AS id, lapsed_hold_starts_at AS starts_at FROM claimed WHERE lapsed_hold_id IS NOT NULL`;

/** CTE body: the slots of the appointments in `from` (alias a, column slot_id) open again. */
export function reopenSql(from: RawBuilder<unknown>, now: Date): RawBuilder<unknown> {
  return sql`
    UPDATE slots AS s SET status = 'open', held_until = NULL, updated_at = ${now}::timestamptz
    FROM ${from} WHERE s.id = a.slot_id AND s.status IN ('held', 'booked')
    RETURNING s.*`;
}

/** What a slot looks like now, to say why a claim failed (read only, no lock). */
export async function describe(db: Db, slotId: string, now: Date) {
  const { rows } = await sql<{
    doctor_id: string;
    mode: string;
    status: SlotStatus;
    starts_at: Date;
    notice_minutes: number;
    verified: boolean;
    bookable: boolean;
  }>`${preparedAs('describe_slot')}
    SELECT s.doctor_id, s.mode, s.status, s.starts_at, coalesce(ds.min_notice_minutes, 0) AS notice_minutes,
           d.verification_status = 'verified' AS verified,
           ${BOOKABLE_DURING} @> ${now}::timestamptz AS bookable
    FROM slots AS s
    JOIN doctors AS d ON d.user_id = s.doctor_id
    ${BOOKABLE_JOINS}
    WHERE s.id = ${slotId}::uuid`.execute(db);
  return rows[0];
}

/** Locks the slot (the first lock of every change that touches a slot and its appointment). */
export function lock(db: Db, slotId: string): Promise<SlotRow | undefined> {
  return db.selectFrom('slots').selectAll().where('id', '=', slotId).forUpdate().executeTakeFirst();
}

/** Moves a slot between states (a hold is only ever made by a claim); undefined if it was not in one of `from`. */
export function move(
  db: Db,
  slotId: string,
  from: SlotStatus[],
  to: Exclude<SlotStatus, 'held'>,
  now: Date,
): Promise<SlotRow | undefined> {
  return db
    .updateTable('slots')
    .set({ status: to, held_until: null, updated_at: now })
    .where('id', '=', slotId)
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst();
}

export async function insert(
  db: Db,
  doctorId: string,
  slots: PlannedSlot[],
  source: 'schedule' | 'manual',
  now: Date,
): Promise<SlotRow[]> {
  const rows: SlotRow[] = [];
  for (let i = 0; i < slots.length; i += INSERT_CHUNK) {
    const chunk = slots.slice(i, i + INSERT_CHUNK);
    rows.push(
      ...(await db
        .insertInto('slots')
        .values(
          chunk.map((s) => ({
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
        .execute()),
    );
  }
  return rows;
}

/** Deletes the given slots if they are still open; returns the rows actually deleted. */
export function deleteOpen(db: Db, doctorId: string, ids: string[]): Promise<SlotRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .deleteFrom('slots')
    .where('doctor_id', '=', doctorId)
    .where(sql<boolean>`id = ANY(${ids}::uuid[])`)
    .where('status', '=', 'open')
    .returningAll()
    .execute();
}
