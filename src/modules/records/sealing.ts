import type { SealedColumn } from '../../platform/sealed-columns.ts';

/**
 * Where each sealed value of clinical records is bound (the AES-GCM context): a note version to its
 * appointment and number, a prescription's content and PDF to the prescription. A value copied to
 * another row fails to open.
 */
export const noteContext = (appointmentId: string, version: number) =>
  `clinical_notes.body:${appointmentId}:${version}`;
export const contentContext = (prescriptionId: string) => `prescriptions.content:${prescriptionId}`;
export const pdfContext = (prescriptionId: string) => `prescriptions.pdf:${prescriptionId}`;

/** The sealed columns, for key rotation (platform/sealed-columns.ts). */
export const SEALED_COLUMNS: SealedColumn[] = [
  {
    table: 'clinical_notes',
    column: 'body',
    key: ['appointment_id', 'version'],
    context: (row) => noteContext(row.appointment_id as string, row.version as number),
  },
  {
    table: 'prescriptions',
    column: 'content',
    key: ['id'],
    context: (row) => contentContext(row.id as string),
  },
  { table: 'prescriptions', column: 'pdf', key: ['id'], context: (row) => pdfContext(row.id as string) },
];
