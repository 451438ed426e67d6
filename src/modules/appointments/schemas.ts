import { z } from 'zod';
import { cursorSchema, idSchema, instantOf, limitSchema, utcSchema } from '../../http/index.ts';
import { APPOINTMENT_STATUSES } from '../../platform/db/schema.ts';
import { modeSchema } from '../doctors/schemas.ts';
import { paise, paymentSchema } from '../payments/schemas.ts';

const statuses = APPOINTMENT_STATUSES;

const reason = z.string().trim();

export const bookBody = z
  .strictObject({
    slotId: idSchema.describe('An open slot from GET /doctors/{id}/slots'),
    mode: modeSchema.optional().describe('Checked against the slot’s mode when sent'),
    reason: reason
      .max(2000)
      .optional()
      .meta({ examples: ['Acidity and poor sleep for three weeks'] })
      .describe('Why the patient consults; the doctor reads it (stored encrypted)'),
  })
  .meta({ id: 'BookRequest' });
export const cancelBody = z
  .strictObject({
    reason: reason
      .min(1)
      .max(1000)
      .meta({ examples: ['Travelling that week'] })
      .describe('Told to the other party (stored encrypted)'),
  })
  .meta({ id: 'CancelRequest' });
export const rescheduleBody = z
  .strictObject({ slotId: idSchema.describe('An open slot of the same doctor') })
  .meta({ id: 'RescheduleRequest' });
export const idParams = z.strictObject({ id: idSchema });
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .meta({ examples: ['2b1f6e0c-9d4a-4f7e-8c3b-5a1d2e3f4a5b'] })
    .describe(
      'A unique key per intended operation (e.g. a UUID), kept 24 h per user: a retry with the same key and body replays the first answer',
    ),
});

export const listQuery = z.strictObject({
  status: z.enum(statuses).optional().describe('Only appointments in this state'),
  from: instantOf('Appointments starting at or after this instant').optional(),
  to: instantOf('…and before this one').optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});
export const cursorShape = z.object({ t: z.iso.datetime(), id: z.uuid() });

export const appointmentSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(statuses),
    slotId: z.uuid().nullable(),
    doctorId: z.uuid(),
    doctorName: z
      .string()
      .meta({ examples: ['Dr. Asha Rao'] })
      .describe('Shown to both parties, whatever the doctor’s review state'),
    patientId: z.uuid(),
    patientName: z.string().meta({ examples: ['Meera Iyer'] }),
    startsAt: utcSchema,
    endsAt: utcSchema.meta({ examples: ['2026-03-02T04:30:00.000Z'] }),
    mode: modeSchema,
    reason: z
      .string()
      .nullable()
      .meta({ examples: ['Acidity and poor sleep for three weeks'] })
      .describe('Why the patient consults (PHI: parties only)'),
    holdExpiresAt: utcSchema
      .nullable()
      .meta({ examples: ['2026-02-28T10:10:00.000Z'] })
      .describe('While `pending_payment`: unpaid by then, it expires'),
    feeMinor: paise('The fee'),
    currency: z.string().meta({ examples: ['INR'] }),
    cancelledBy: z
      .enum(['patient', 'doctor', 'admin'])
      .nullable()
      .meta({ examples: [null] }),
    cancelReason: z
      .string()
      .nullable()
      .meta({ examples: [null] }),
    payment: paymentSchema.nullable().describe('null when the fee is 0'),
    createdAt: utcSchema.meta({ examples: ['2026-02-28T10:00:00.000Z'] }),
  })
  .meta({ id: 'Appointment', description: 'An appointment as its parties (and admins) see it' });

/** GET /appointments: an admin's items leave out the patient's free text (views.listed). */
export const listedAppointmentSchema = appointmentSchema
  .extend({
    reason: appointmentSchema.shape.reason
      .optional()
      .describe('Why the patient consults (PHI: parties only; absent in an admin’s list)'),
    cancelReason: appointmentSchema.shape.cancelReason.optional().describe('Absent in an admin’s list'),
  })
  .meta({
    id: 'AppointmentListItem',
    description: 'An appointment in a list: as its parties see it; in an admin’s list without the free text',
  });

export const cancellationQuoteSchema = z
  .object({
    canCancel: z.boolean(),
    reason: z
      .string()
      .nullable()
      .meta({ examples: [null] })
      .describe('Why you can’t cancel now, when you can’t'),
    paidMinor: paise('Captured so far'),
    refundMinor: paise('What a cancellation now would refund'),
    currency: z.string().meta({ examples: ['INR'] }),
    fullRefundUntil: utcSchema
      .nullable()
      .meta({ examples: ['2026-03-01T04:00:00.000Z'] })
      .describe(
        'Until this instant a patient’s cancellation refunds in full (null: doctors and admins always do)',
      ),
    lateRefundPercent: z
      .number()
      .int()
      .meta({ examples: [0] })
      .describe('The share refunded after that instant'),
  })
  .meta({ id: 'CancellationQuote' });

export const cancelResponse = appointmentSchema
  .extend({
    status: z.enum(statuses).meta({ examples: ['cancelled'] }),
    refund: z.object({
      amountMinor: paise('Being refunded'),
      status: z
        .enum(['pending', 'none'])
        .describe('pending: on its way to the payer; none: nothing to refund'),
    }),
  })
  .meta({ id: 'CancelResult' });
