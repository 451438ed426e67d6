import type { Kysely } from 'kysely';
import { appointmentsDown, appointmentsUp } from './0011_partitions/appointments.ts';
import { auditDown, auditUp } from './0011_partitions/audit.ts';
import { machineryDown, machineryUp } from './0011_partitions/machinery.ts';
import { readersDown, readersUp } from './0011_partitions/readers.ts';

/**
 * Monthly range partitions (issue 10, item 3): `appointments` by `starts_at`, `audit_logs` by
 * `occurred_at`, on PostgreSQL 15+ and PGlite alike. Existing rows move over as they are (sealed
 * audit rows keep their chain). What was chosen, and why:
 *
 * - PostgreSQL's limits: on a partitioned table a unique index (the primary key too) must include
 *   the partition key, and exclusion constraints need PostgreSQL 17. So the rules that can't live on
 *   `appointments` live on small unpartitioned tables next to it:
 *   - `appointment_ids (id, starts_at)`: every appointment's id and where its row is. Its primary
 *     key is what payments, reviews, clinical notes, prescriptions and reminders reference (a key to
 *     a partitioned table would have to carry starts_at, which a reschedule changes), and the
 *     composite key appointments (id, starts_at) → appointment_ids makes each id name exactly one
 *     row, in one partition. It also tells a lookup by id which partition to read.
 *   - `patient_commitments`: one row per active appointment, with `UNIQUE (slot_id)` (was
 *     appointments_one_active_per_slot) and the exclusion constraint on the patient's time (was
 *     appointments_patient_no_overlap).
 *   Both are kept by triggers on `appointments` (appointments_track, appointments_forget) in the
 *   statement that writes the row, so no code path can skip them; a reschedule across months (an
 *   UPDATE of the partition key, which PostgreSQL runs as a delete and an insert) keeps them too.
 * - `audit_logs.seq` can't be a unique index either: a statement trigger checks each seal's seqs
 *   under the sealer's lock. The chain is walked in seq order, so partitions don't change it.
 * - The state-machine trigger, the CHECKs and the indexes are the same on the partitioned tables.
 *   The hot statements read one partition: a statement on a partitioned table planned without its
 *   key in hand opens every partition (see readers.ts and appointments/repo.ts).
 * - A DEFAULT partition per table catches rows no month partition takes; maintenance
 *   (platform/db/partitions.ts) makes months ahead and moves strays in, and retention detaches
 *   old months into schema `archive` (never drops them).
 * - Down brings back the tables of migration 0010 with every attached row; detached (archived)
 *   partitions must be attached again first (the archive schema is not dropped while it has any).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await machineryUp.execute(db);
  await appointmentsUp.execute(db);
  await readersUp.execute(db);
  await auditUp.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await auditDown.execute(db);
  await readersDown.execute(db);
  await appointmentsDown.execute(db);
  await machineryDown.execute(db);
}
