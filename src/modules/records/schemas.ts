import { z } from 'zod';
import { dateSchema, idSchema, utcSchema } from '../../http/index.ts';

/** Clinical notes and prescriptions as the API takes and answers them (SPEC §3.6). */

export const idParams = z.strictObject({ id: idSchema });
export const versionQuery = z.strictObject({
  version: z.coerce
    .number({ error: 'must be a whole number from 1' })
    .int({ error: 'must be a whole number from 1' })
    .min(1, { error: 'must be a whole number from 1' })
    .max(1_000_000)
    .optional()
    .describe('An earlier version (1 is the first); the current one when left out'),
});

export const notesBody = z
  .strictObject({
    text: z
      .string()
      .min(1)
      .max(20_000)
      .meta({
        examples: [
          'Vata-pitta prakriti. Complains of acidity after meals for 3 weeks; sleep poor. Nadi: pitta.',
        ],
      })
      .describe('The whole note (each save is a new version; earlier ones stay readable)'),
  })
  .meta({ id: 'NotesRequest' });

export const notesSchema = z
  .object({
    appointmentId: z.uuid(),
    version: z
      .number()
      .int()
      .meta({ examples: [2] }),
    versions: z
      .number()
      .int()
      .meta({ examples: [2] })
      .describe('How many versions there are'),
    current: z.boolean().describe('Whether this is the latest version'),
    text: z
      .string()
      .meta({ examples: ['Vata-pitta prakriti. Acidity after meals for 3 weeks; sleep poor.'] }),
    authorId: z.uuid(),
    savedAt: utcSchema,
  })
  .meta({ id: 'ClinicalNotes' });

const text = (max: number, example: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .meta({ examples: [example] });

export const medicineSchema = z
  .strictObject({
    name: text(200, 'Ashwagandha churna'),
    form: text(100, 'powder').optional().describe('Tablet, churna (powder), kashaya (decoction)…'),
    dose: text(200, '3 g'),
    frequency: text(200, 'twice daily'),
    durationDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .meta({ examples: [30] }),
    route: text(100, 'oral').optional(),
    instructions: text(1000, 'After food, with warm milk').optional(),
  })
  .meta({ id: 'Medicine' });

export const prescriptionBody = z
  .strictObject({
    diagnosis: text(1000, 'Amlapitta (hyperacidity)'),
    provisional: z.boolean().default(false).describe('The diagnosis is provisional'),
    medicines: z.array(medicineSchema).min(1).max(30),
    advice: text(4000, 'Avoid spicy and fried food; dinner before 8 pm; walk 30 minutes daily.').optional(),
    followUpInDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .optional()
      .meta({ examples: [14] }),
  })
  .meta({ id: 'PrescriptionRequest' });

const registrationNumber = z.string().meta({ examples: ['NCISM/AY/10234'] });
const council = z.string().meta({ examples: ['NCISM'] });
const sha256 = z
  .string()
  .meta({ examples: ['9b2f5c1d0e4a7b8c3d6e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e'] })
  .describe('SHA-256 (hex) of the prescription’s canonical content, printed on the PDF');
const verificationId = z
  .string()
  .meta({ examples: ['zw2d7ypn73xj2lepyi3ox2ybb4'] })
  .describe(
    'Random, 128 bits (base32): printed on the PDF; anyone may check it at GET /prescriptions/verify/{verificationId}',
  );

export const prescriptionSchema = z
  .object({
    id: z.uuid(),
    appointmentId: z.uuid(),
    version: z
      .number()
      .int()
      .meta({ examples: [1] }),
    versions: z
      .number()
      .int()
      .meta({ examples: [1] })
      .describe('How many versions there are'),
    issuedAt: utcSchema,
    issuedOn: dateSchema
      .meta({ examples: ['2026-03-02'] })
      .describe('The date on it, in the doctor’s time zone'),
    doctor: z.object({
      id: z.uuid(),
      name: z.string().meta({ examples: ['Dr. Asha Rao'] }),
      registrationNumber,
      council,
    }),
    patient: z.object({
      id: z.uuid(),
      name: z.string().meta({ examples: ['Meera Iyer'] }),
      age: z
        .number()
        .int()
        .meta({ examples: [34] })
        .describe('Whole years on the date of issue'),
      sex: z.enum(['female', 'male', 'other']),
    }),
    diagnosis: z.string().meta({ examples: ['Amlapitta (hyperacidity)'] }),
    provisional: z.boolean(),
    medicines: z.array(medicineSchema),
    advice: z
      .string()
      .nullable()
      .meta({ examples: ['Avoid spicy and fried food.'] }),
    followUpInDays: z
      .number()
      .int()
      .nullable()
      .meta({ examples: [14] }),
    verificationId,
    hash: sha256,
    supersededAt: utcSchema.nullable().describe('When an amendment replaced this version'),
    supersededBy: z.uuid().nullable().describe('The version that replaced it'),
    pdf: z.object({
      status: z.enum(['rendering', 'ready']),
      renderedAt: utcSchema.nullable(),
    }),
  })
  .meta({ id: 'Prescription' });

export const pdfRendering = {
  description: 'Still being rendered: ask again after the `Retry-After` header’s seconds (2)',
  content: {
    'application/json': {
      schema: z
        .object({
          status: z.literal('rendering'),
          retryAfterSeconds: z
            .number()
            .int()
            .meta({ examples: [2] }),
        })
        .meta({ id: 'PdfRendering' }),
    },
  },
};

export const pdfDocument = {
  description: 'The prescription as a PDF',
  content: {
    'application/pdf': {
      schema: z
        .string()
        .meta({ examples: ['%PDF-1.3 …'], format: 'binary' })
        .describe('The PDF’s bytes'),
    },
  },
};

export const verificationParams = z.strictObject({
  verificationId: z
    .string()
    .regex(/^[a-z2-7]{26}$/, 'must be 26 characters of a–z and 2–7, as printed on the prescription')
    .meta({ examples: ['zw2d7ypn73xj2lepyi3ox2ybb4'] }),
});

export const verificationSchema = z
  .object({
    valid: z.literal(true).describe('A prescription with this id was issued here'),
    issuedAt: utcSchema,
    doctor: z.object({ name: z.string().meta({ examples: ['Dr. Asha Rao'] }), registrationNumber, council }),
    hash: sha256,
    superseded: z.boolean().describe('An amendment replaced it: ask the patient for the newer one'),
  })
  .meta({
    id: 'PrescriptionVerification',
    description: 'Who issued it and when; never the patient or the contents',
  });
