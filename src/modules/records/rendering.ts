import { type AuthContext, type RequestMeta, SYSTEM } from '../../http/index.ts';
import type { RecordsDeps } from './parts.ts';
import { renderPrescriptionPdf } from './pdf.ts';
import type { Prescriptions } from './prescriptions.ts';
import * as repo from './repo.ts';
import { pdfContext } from './sealing.ts';

/**
 * The prescription PDF: rendered by the `prescription.issued` job, stored sealed (base64 of the
 * bytes in a text envelope), served to the parties.
 *
 * Invariants:
 * - The job is idempotent: a version with a PDF is not rendered again, and when two deliveries
 *   race, the first to attach wins and the other's document is dropped (attaching is conditional).
 * - A rendered PDF announces `prescription.ready` (notifications) and is audited, in one
 *   transaction. Reading one is audited like reading the prescription.
 */

export const PDF_RETRY_AFTER_SECONDS = 2;

export function createRendering(deps: RecordsDeps, prescriptions: Prescriptions) {
  const { db, clock, cipher, audit, outbox, logger, settings } = deps;
  const verifyUrl = (verificationId: string) =>
    `${settings.publicUrl}/api/v1/prescriptions/verify/${verificationId}`;

  return {
    /** The job: renders and attaches the PDF of one prescription version, unless it has one. */
    async renderPdf(prescriptionId: string): Promise<'rendered' | 'already'> {
      const row = await repo.findPrescriptionById(db, prescriptionId);
      if (!row) throw new Error(`prescription ${prescriptionId} does not exist`);
      if (row.pdf !== null) return 'already';
      const pdf = await renderPrescriptionPdf(
        prescriptions.open(row),
        row.content_sha256,
        verifyUrl(row.verification_id),
      );
      const outcome = await db.transaction().execute(async (tx) => {
        const sealed = cipher.encrypt(pdf.toString('base64'), pdfContext(row.id));
        if (!(await repo.attachPdf(tx, row.id, sealed, clock.now()))) return 'already';
        await audit.record(tx, SYSTEM, {
          action: 'prescription.pdf_rendered',
          entity: 'appointment',
          entityId: row.appointment_id,
          details: { prescriptionId: row.id, version: row.version },
        });
        await outbox.add(tx, 'prescription.ready', {
          prescriptionId: row.id,
          appointmentId: row.appointment_id,
          patientId: row.patient_id,
        });
        return 'rendered';
      });
      if (outcome === 'rendered')
        logger.info({ prescriptionId: row.id, bytes: pdf.length }, 'prescription PDF rendered');
      return outcome;
    },

    /** GET …/prescription.pdf: the document, or that it is still being rendered. */
    async pdf(auth: AuthContext, appointmentId: string, version: number | undefined, meta: RequestMeta) {
      return db.transaction().execute(async (tx) => {
        const row = await prescriptions.find(tx, auth, appointmentId, version);
        if (row.pdf === null) return { status: 'rendering' as const };
        await audit.record(tx, meta, {
          action: 'prescription.pdf_read',
          entity: 'appointment',
          entityId: row.appointment_id,
          details: { prescriptionId: row.id, version: row.version },
        });
        return {
          status: 'ready' as const,
          bytes: Buffer.from(cipher.decrypt(row.pdf, pdfContext(row.id)), 'base64'),
          filename: `prescription-${row.verification_id}.pdf`,
        };
      });
    },
  };
}
