import { createNotes } from './notes.ts';
import type { RecordsDeps } from './parts.ts';
import { createPrescriptions } from './prescriptions.ts';
import { createRendering } from './rendering.ts';
import { SEALED_COLUMNS } from './sealing.ts';

/**
 * The clinical records module, assembled: notes (notes.ts), prescriptions (prescriptions.ts) and
 * their PDF (rendering.ts). It reaches appointments, accounts and doctors only through their
 * services (see parts.ts, wired in services.ts).
 */
export function createRecordsService(deps: RecordsDeps) {
  const notes = createNotes(deps);
  const prescriptions = createPrescriptions(deps);
  const rendering = createRendering(deps, prescriptions);
  return {
    saveNotes: notes.save,
    readNotes: notes.read,
    issuePrescription: prescriptions.issue,
    readPrescription: prescriptions.read,
    verifyPrescription: prescriptions.verify,
    prescriptionPdf: rendering.pdf,
    renderPdf: rendering.renderPdf,
    /** Key rotation re-seals these (platform/sealed-columns.ts). */
    sealedColumns: SEALED_COLUMNS,
  };
}

export type RecordsService = ReturnType<typeof createRecordsService>;
