import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { ClinicalNoteRow, PrescriptionRow } from '../../platform/db/schema.ts';

/** SQL of clinical notes and prescriptions. Rows are only added, superseded or given their PDF (migration 0008). */

/** Serialises the writes of one appointment's records (versions are numbered one after another). */
export async function lockRecords(db: Db, appointmentId: string): Promise<void> {
  // 8: this module's advisory-lock namespace (the migration that made it).
  await sql`SELECT pg_advisory_xact_lock(8, hashtext(${appointmentId}::text))`.execute(db);
}

export async function latestNoteVersion(db: Db, appointmentId: string): Promise<number> {
  const row = await db
    .selectFrom('clinical_notes')
    .select((eb) => eb.fn.max('version').as('latest'))
    .where('appointment_id', '=', appointmentId)
    .executeTakeFirst();
  return Number(row?.latest ?? 0);
}

export function insertNote(db: Db, row: ClinicalNoteRow): Promise<ClinicalNoteRow> {
  return db.insertInto('clinical_notes').values(row).returningAll().executeTakeFirstOrThrow();
}

/** One version (the latest when `version` is undefined). */
export function findNote(db: Db, appointmentId: string, version: number | undefined) {
  return db
    .selectFrom('clinical_notes')
    .selectAll()
    .where('appointment_id', '=', appointmentId)
    .$if(version !== undefined, (q) => q.where('version', '=', version!))
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A prescription version of an appointment (the current one when `version` is undefined). */
export function findPrescription(
  db: Db,
  appointmentId: string,
  version: number | undefined,
): Promise<PrescriptionRow | undefined> {
  return db
    .selectFrom('prescriptions')
    .selectAll()
    .where('appointment_id', '=', appointmentId)
    .$if(version === undefined, (q) => q.where('superseded_at', 'is', null))
    .$if(version !== undefined, (q) => q.where('version', '=', version!))
    .executeTakeFirst();
}

export function findPrescriptionById(db: Db, id: string, lock = false): Promise<PrescriptionRow | undefined> {
  return db
    .selectFrom('prescriptions')
    .selectAll()
    .where('id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
}

export async function latestPrescriptionVersion(db: Db, appointmentId: string): Promise<number> {
  const row = await db
    .selectFrom('prescriptions')
    .select((eb) => eb.fn.max('version').as('latest'))
    .where('appointment_id', '=', appointmentId)
    .executeTakeFirst();
  return Number(row?.latest ?? 0);
}

/** The current version is superseded by `by` (inserted in the same transaction: the reference is checked at commit). */
export async function supersede(db: Db, appointmentId: string, by: string, at: Date): Promise<void> {
  await db
    .updateTable('prescriptions')
    .set({ superseded_at: at, superseded_by: by })
    .where('appointment_id', '=', appointmentId)
    .where('superseded_at', 'is', null)
    .execute();
}

export async function insertPrescription(db: Db, row: PrescriptionRow): Promise<void> {
  await db.insertInto('prescriptions').values(row).execute();
}

/** The PDF, attached once: false when another delivery of the job attached it first. */
export async function attachPdf(db: Db, id: string, pdf: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('prescriptions')
    .set({ pdf, pdf_rendered_at: at })
    .where('id', '=', id)
    .where('pdf', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export function findByVerificationId(db: Db, verificationId: string) {
  return db
    .selectFrom('prescriptions')
    .select(['issued_at', 'doctor_name', 'registration_number', 'council', 'content_sha256', 'superseded_at'])
    .where('verification_id', '=', verificationId)
    .executeTakeFirst();
}
