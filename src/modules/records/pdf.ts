import type { PrescriptionContent } from './content.ts';

/**
 * The prescription as a PDF (A4, pdfkit's built-in Helvetica): everything SPEC §3.6 lists, then
 * the verification id, where to verify it, and the SHA-256 of the content.
 *
 * Invariants:
 * - Only the content decides the document (its creation date is the issue instant), so rendering a
 *   version twice gives the same text.
 * - pdfkit is loaded on first use: only the process that runs the rendering job pays for it.
 */

const SEX = { female: 'Female', male: 'Male', other: 'Other' } as const;

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export async function renderPrescriptionPdf(
  c: PrescriptionContent,
  hash: string,
  verifyUrl: string,
): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `Prescription ${c.verificationId}`,
      Author: c.doctor.name,
      CreationDate: new Date(c.issuedAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  const heading = (text: string) => {
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).text(text).font('Helvetica').fontSize(11);
  };

  doc.font('Helvetica-Bold').fontSize(16).text(c.doctor.name);
  doc
    .font('Helvetica')
    .fontSize(10)
    .text(`Registration no. ${c.doctor.registrationNumber}, ${c.doctor.council}`);
  doc.moveDown();
  doc.fontSize(11).text(`Date: ${c.issuedOn}`);
  if (c.version > 1) doc.text(`Amended: version ${c.version}, replaces version ${c.version - 1}`);
  doc.text(`Patient: ${c.patient.name}`);
  doc.text(`Age: ${c.patient.age} years    Sex: ${SEX[c.patient.sex]}`);

  heading(c.provisional ? 'Provisional diagnosis' : 'Diagnosis');
  doc.text(c.diagnosis);

  heading('Rx');
  c.medicines.forEach((m, i) => {
    doc.font('Helvetica-Bold').text(`${i + 1}. ${m.name}${m.form ? ` (${m.form})` : ''}`);
    const how = [m.dose, m.frequency, `for ${m.durationDays} day${m.durationDays === 1 ? '' : 's'}`];
    if (m.route) how.push(m.route);
    doc.font('Helvetica').text(how.join(', '), { indent: 16 });
    if (m.instructions) doc.text(m.instructions, { indent: 16 });
  });

  if (c.advice) {
    heading('Advice');
    doc.text(c.advice);
  }
  if (c.followUpInDays) {
    heading('Follow-up');
    doc.text(`In ${c.followUpInDays} days, on ${addDays(c.issuedOn, c.followUpInDays)}`);
  }

  doc.moveDown(2).fontSize(8).fillColor('#444444');
  doc.text(`Verification id: ${c.verificationId}`);
  doc.text(`Verify: ${verifyUrl}`);
  doc.text(`SHA-256 of the content: ${hash}`);
  doc.text('Issued electronically by the doctor named above after a teleconsultation.');
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
