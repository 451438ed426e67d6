import type { PrescriptionContent } from './content.ts';

/**
 * The prescription as a PDF (A4): everything SPEC §3.6 lists, then the verification id, where to
 * verify it, and the SHA-256 of the content.
 *
 * Invariants:
 * - Only the content decides the document (its creation date is the issue instant), so rendering a
 *   version twice gives the same text.
 * - Every text the doctor or patient wrote may be Devanagari (Hindi names, instructions): such runs
 *   are set in Noto Sans Devanagari (OFL, shaped by pdfkit's fontkit: conjuncts, matras), the rest
 *   in Helvetica.
 * - pdfkit is loaded on first use: only the process that runs the rendering job pays for it.
 */

const DEVANAGARI_FONT = (weight: 400 | 700) =>
  new URL(
    import.meta.resolve(
      `@fontsource/noto-sans-devanagari/files/noto-sans-devanagari-devanagari-${weight}-normal.woff`,
    ),
  ).pathname;

/** Devanagari, its extensions and the Vedic marks: one run per stretch of them. */
const SCRIPT_RUNS = /([\u0900-\u097F\uA8E0-\uA8FF\u1CD0-\u1CFF]+)/;

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
  doc.registerFont('Devanagari', DEVANAGARI_FONT(400));
  doc.registerFont('Devanagari-Bold', DEVANAGARI_FONT(700));
  /** Writes a line, each script in its own font. */
  const line = (text: string, options: { bold?: boolean; indent?: number } = {}) => {
    const runs = text.split(SCRIPT_RUNS).filter(Boolean);
    runs.forEach((run, i) => {
      const devanagari = SCRIPT_RUNS.test(run);
      const font = devanagari ? 'Devanagari' : 'Helvetica';
      doc.font(options.bold ? `${font}-Bold` : font).text(run, {
        continued: i < runs.length - 1,
        ...(i === 0 && options.indent ? { indent: options.indent } : {}),
      });
    });
    doc.font('Helvetica');
  };
  const heading = (text: string) => {
    doc.moveDown(0.8).fontSize(12);
    line(text, { bold: true });
    doc.fontSize(11);
  };

  doc.fontSize(16);
  line(c.doctor.name, { bold: true });
  doc
    .font('Helvetica')
    .fontSize(10)
    .text(`Registration no. ${c.doctor.registrationNumber}, ${c.doctor.council}`);
  doc.moveDown();
  doc.fontSize(11).text(`Date: ${c.issuedOn}`);
  if (c.version > 1) doc.text(`Amended: version ${c.version}, replaces version ${c.version - 1}`);
  line(`Patient: ${c.patient.name}`);
  doc.text(`Age: ${c.patient.age} years    Sex: ${SEX[c.patient.sex]}`);

  heading(c.provisional ? 'Provisional diagnosis' : 'Diagnosis');
  line(c.diagnosis);

  heading('Rx');
  c.medicines.forEach((m, i) => {
    line(`${i + 1}. ${m.name}${m.form ? ` (${m.form})` : ''}`, { bold: true });
    const how = [m.dose, m.frequency, `for ${m.durationDays} day${m.durationDays === 1 ? '' : 's'}`];
    if (m.route) how.push(m.route);
    line(how.join(', '), { indent: 16 });
    if (m.instructions) line(m.instructions, { indent: 16 });
  });

  if (c.advice) {
    heading('Advice');
    line(c.advice);
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
