import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { type AuthContext, conflict, notFound, type RequestMeta } from '../../http/index.ts';
import type { Db } from '../../platform/db/index.ts';
import type { PrescriptionRow } from '../../platform/db/schema.ts';
import {
  canonicalContent,
  contentHash,
  dateIn,
  newVerificationId,
  type PrescriptionContent,
} from './content.ts';
import { assertTheDoctor, type RecordsDeps } from './parts.ts';
import * as repo from './repo.ts';
import type { prescriptionBody } from './schemas.ts';
import { contentContext } from './sealing.ts';

/**
 * Prescriptions (PHI): issuing, amending, reading, and the public verification.
 *
 * Invariants:
 * - Only the appointment's doctor issues, while it is in progress or completed, with a
 *   registration number and council on their profile and the patient's date of birth and sex set:
 *   a prescription is never legally incomplete. The issuer and patient are copied into it as they
 *   are at issue time.
 * - An amendment is a new version; the one it replaces is marked superseded in the same
 *   transaction and stays readable. Versions are numbered one after another per appointment.
 * - Issuing writes the `prescription.issued` event (the PDF job) in its transaction.
 * - Parties and admins read; anyone else gets 404. Every issue and read is audited (version and
 *   id, never the content). The verification shows the issuer, date and hash, never the patient.
 */

export type PrescriptionInput = z.output<typeof prescriptionBody>;

const PRESCRIBABLE = ['in_progress', 'completed'];

export function createPrescriptions(deps: RecordsDeps) {
  const { db, clock, cipher, audit, outbox, appointments, patients, doctors } = deps;

  const open = (row: PrescriptionRow): PrescriptionContent =>
    JSON.parse(cipher.decrypt(row.content, contentContext(row.id)));

  const view = (row: PrescriptionRow, c: PrescriptionContent, versions: number) => ({
    id: row.id,
    appointmentId: row.appointment_id,
    version: row.version,
    versions,
    issuedAt: row.issued_at.toISOString(),
    issuedOn: c.issuedOn,
    doctor: c.doctor,
    patient: c.patient,
    diagnosis: c.diagnosis,
    provisional: c.provisional,
    medicines: c.medicines,
    advice: c.advice,
    followUpInDays: c.followUpInDays,
    verificationId: row.verification_id,
    hash: row.content_sha256,
    supersededAt: row.superseded_at?.toISOString() ?? null,
    supersededBy: row.superseded_by,
    pdf: {
      status: row.pdf_rendered_at ? ('ready' as const) : ('rendering' as const),
      renderedAt: row.pdf_rendered_at?.toISOString() ?? null,
    },
  });

  /** A version of the appointment's prescription for a party or an admin (404 otherwise, or when there is none). */
  async function find(tx: Db, auth: AuthContext, appointmentId: string, version: number | undefined) {
    const a = await appointments.forRecords(tx, auth, appointmentId);
    const row = await repo.findPrescription(tx, a.id, version);
    if (!row) throw notFound(version === undefined ? 'Prescription' : 'Prescription version');
    return row;
  }

  return {
    find,
    view,
    open,

    /** POST …/prescription: the first version, or an amendment superseding the current one. */
    async issue(auth: AuthContext, appointmentId: string, input: PrescriptionInput, meta: RequestMeta) {
      // Read before the transaction: embedded mode runs one statement at a time outside it.
      const doctor = await doctors.own(auth.userId);
      return db.transaction().execute(async (tx) => {
        const now = clock.now();
        const a = await appointments.forRecords(tx, auth, appointmentId);
        assertTheDoctor(a, auth, 'prescribes');
        if (!PRESCRIBABLE.includes(a.status)) {
          throw conflict(
            'INVALID_STATE',
            `A prescription is issued during or after the consultation; this appointment is ${a.status}`,
          );
        }
        if (!doctor.registrationNumber || !doctor.council) {
          throw conflict(
            'REGISTRATION_NUMBER_REQUIRED',
            'A prescription carries your registration number and council: add them to your profile (PUT /doctors/me)',
          );
        }
        const issuedOn = dateIn(now, doctor.timezone);
        const patient = await patients.patientDetails(tx, a.patientId, issuedOn);
        if (patient.missing.length > 0 || patient.age === null || patient.sex === null) {
          throw conflict(
            'PATIENT_PROFILE_INCOMPLETE',
            `The patient has not set ${patient.missing.join(' and ')} (PUT /me/profile): a prescription must state the patient’s age and sex`,
          );
        }
        await repo.lockRecords(tx, a.id);
        const version = (await repo.latestPrescriptionVersion(tx, a.id)) + 1;
        const id = randomUUID();
        const content: PrescriptionContent = {
          prescriptionId: id,
          appointmentId: a.id,
          version,
          issuedAt: now.toISOString(),
          issuedOn,
          verificationId: newVerificationId(),
          doctor: {
            id: auth.userId,
            name: doctor.name,
            registrationNumber: doctor.registrationNumber,
            council: doctor.council,
          },
          patient: { id: a.patientId, name: patient.name, age: patient.age, sex: patient.sex },
          diagnosis: input.diagnosis,
          provisional: input.provisional,
          medicines: input.medicines,
          advice: input.advice ?? null,
          followUpInDays: input.followUpInDays ?? null,
        };
        const canonical = canonicalContent(content);
        const row: PrescriptionRow = {
          id,
          appointment_id: a.id,
          version,
          doctor_id: auth.userId,
          patient_id: a.patientId,
          issued_at: now,
          content: cipher.encrypt(canonical, contentContext(id)),
          content_sha256: contentHash(canonical),
          verification_id: content.verificationId,
          doctor_name: doctor.name,
          registration_number: doctor.registrationNumber,
          council: doctor.council,
          superseded_at: null,
          superseded_by: null,
          pdf: null,
          pdf_rendered_at: null,
        };
        await repo.supersede(tx, a.id, id, now);
        await repo.insertPrescription(tx, row);
        await outbox.add(tx, 'prescription.issued', { prescriptionId: id });
        await audit.record(tx, meta, {
          action: 'prescription.issued',
          entity: 'appointment',
          entityId: a.id,
          details: { prescriptionId: id, version },
        });
        return view(row, content, version);
      });
    },

    /** GET …/prescription: the current version, or `version`. */
    async read(auth: AuthContext, appointmentId: string, version: number | undefined, meta: RequestMeta) {
      return db.transaction().execute(async (tx) => {
        const row = await find(tx, auth, appointmentId, version);
        const versions = await repo.latestPrescriptionVersion(tx, row.appointment_id);
        await audit.record(tx, meta, {
          action: 'prescription.read',
          entity: 'appointment',
          entityId: row.appointment_id,
          details: { prescriptionId: row.id, version: row.version },
        });
        return view(row, open(row), versions);
      });
    },

    /** GET /prescriptions/verify/{verificationId}: public; who issued it, when, its hash. */
    async verify(verificationId: string) {
      const row = await repo.findByVerificationId(db, verificationId);
      if (!row) throw notFound('Prescription');
      return {
        valid: true as const,
        issuedAt: row.issued_at.toISOString(),
        doctor: { name: row.doctor_name, registrationNumber: row.registration_number, council: row.council },
        hash: row.content_sha256,
        superseded: row.superseded_at !== null,
      };
    },
  };
}

export type Prescriptions = ReturnType<typeof createPrescriptions>;
