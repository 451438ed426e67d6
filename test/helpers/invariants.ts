import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/index.ts';

/**
 * The booking invariants, checked in SQL; returns the ones that are broken (none, we hope).
 * A held slot has exactly one unpaid appointment; a booked slot has one that is confirmed, in
 * progress, or over (completed or no-show: a slot in the past stays booked); an open slot none.
 * The tables that carry appointments' rules beside the partitioned table (migration 0011) say
 * exactly what the appointments say.
 */
export async function bookingInvariantViolations(db: Db): Promise<Array<{ problem: string; n: number }>> {
  const { rows } = await sql<{ problem: string; n: number }>`
    SELECT 'two active on one slot' AS problem, count(*)::int AS n FROM (
      SELECT slot_id FROM appointments WHERE status IN ('pending_payment','confirmed','in_progress') GROUP BY slot_id HAVING count(*) > 1) x
    UNION ALL
    SELECT 'two appointments hold one booked slot', count(*)::int FROM (
      SELECT slot_id FROM appointments WHERE status IN ('confirmed','in_progress','completed','no_show') AND slot_id IS NOT NULL
      GROUP BY slot_id HAVING count(*) > 1) y
    UNION ALL
    SELECT 'active appointment on an open slot', count(*)::int FROM appointments a JOIN slots s ON s.id = a.slot_id
      WHERE a.status IN ('pending_payment','confirmed','in_progress') AND s.status = 'open'
    UNION ALL
    SELECT 'held slot without an unpaid appointment', count(*)::int FROM slots s
      WHERE s.status = 'held' AND NOT EXISTS (
        SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status = 'pending_payment')
    UNION ALL
    SELECT 'booked slot without its appointment', count(*)::int FROM slots s
      WHERE s.status = 'booked' AND NOT EXISTS (
        SELECT 1 FROM appointments a WHERE a.slot_id = s.id
          AND a.status IN ('confirmed','in_progress','completed','no_show'))
    UNION ALL
    SELECT 'slot and appointment states disagree', count(*)::int FROM appointments a JOIN slots s ON s.id = a.slot_id
      WHERE (a.status IN ('confirmed','in_progress','completed','no_show') AND s.status <> 'booked')
         OR (a.status = 'pending_payment' AND s.status <> 'held')
    UNION ALL
    SELECT 'a held slot and its hold disagree on when it ends', count(*)::int FROM appointments a JOIN slots s ON s.id = a.slot_id
      WHERE a.status = 'pending_payment' AND s.held_until IS DISTINCT FROM a.hold_expires_at
    UNION ALL
    SELECT 'expired with a captured payment and no refund', count(*)::int FROM appointments a JOIN payments p ON p.appointment_id = a.id
      WHERE a.status = 'expired' AND p.status = 'captured'
    UNION ALL
    SELECT 'patient_commitments and the active appointments disagree', count(*)::int FROM (
      (SELECT id, patient_id, doctor_id, slot_id, tstzrange(starts_at, ends_at), status, hold_expires_at
       FROM appointments WHERE status IN ('pending_payment','confirmed','in_progress')
       EXCEPT ALL SELECT * FROM patient_commitments)
      UNION ALL
      (SELECT * FROM patient_commitments
       EXCEPT ALL SELECT id, patient_id, doctor_id, slot_id, tstzrange(starts_at, ends_at), status, hold_expires_at
       FROM appointments WHERE status IN ('pending_payment','confirmed','in_progress'))) d
    UNION ALL
    SELECT 'appointment_ids and appointments disagree', count(*)::int FROM appointment_ids i
      FULL JOIN appointments a ON a.id = i.id AND a.starts_at = i.starts_at WHERE a.id IS NULL OR i.id IS NULL`.execute(
    db,
  );
  return rows.filter((r) => r.n > 0);
}
