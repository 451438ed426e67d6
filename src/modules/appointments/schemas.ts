import { z } from 'zod';
import { cursorSchema, idSchema, instantSchema, limitSchema } from '../../http/index.ts';
import { modeSchema } from '../doctors/schemas.ts';

const statuses = [
  'pending_payment',
  'confirmed',
  'in_progress',
  'completed',
  'cancelled',
  'expired',
  'no_show',
] as const;

export const bookBody = z.strictObject({
  slotId: idSchema,
  mode: modeSchema.optional(),
  reason: z.string().trim().max(2000).optional(),
});
export const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
export const rescheduleBody = z.strictObject({ slotId: idSchema });
export const idParams = z.strictObject({ id: idSchema });
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .describe('Required: a unique key per intended operation (e.g. a UUID), kept 24 h'),
});

export const listQuery = z.strictObject({
  status: z.enum(statuses).optional(),
  from: instantSchema.optional().describe('Appointments starting at or after this instant'),
  to: instantSchema.optional().describe('…and before this one'),
  limit: limitSchema,
  cursor: cursorSchema,
});
export const cursorShape = z.object({ t: z.iso.datetime(), id: z.uuid() });

export const paymentSchema = z.object({
  id: z.uuid(),
  status: z
    .enum(['created', 'pending', 'failed', 'captured', 'refund_pending', 'refunded'])
    .describe(
      'created: no gateway order yet (POST /payments/{id}/checkout opens one); pending: awaiting the gateway',
    ),
  amountMinor: z.number().int(),
  currency: z.string(),
  providerOrderId: z.string().nullable(),
  refundedMinor: z.number().int(),
});

export const appointmentSchema = z.object({
  id: z.uuid(),
  status: z.enum(statuses),
  slotId: z.uuid().nullable(),
  doctorId: z.uuid(),
  doctorName: z.string().describe('Shown to both parties, whatever the doctor’s review state'),
  patientId: z.uuid(),
  patientName: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  mode: z.string(),
  reason: z.string().nullable(),
  holdExpiresAt: z.string().nullable(),
  feeMinor: z.number().int(),
  currency: z.string(),
  cancelledBy: z.string().nullable(),
  cancelReason: z.string().nullable(),
  payment: paymentSchema.nullable(),
  createdAt: z.string(),
});

export const cancellationQuoteSchema = z.object({
  canCancel: z.boolean(),
  reason: z.string().nullable().describe('Why you can’t cancel now, when you can’t'),
  paidMinor: z.number().int().describe('Captured so far, in minor units (paise for INR)'),
  refundMinor: z.number().int().describe('What a cancellation now would refund, in minor units'),
  currency: z.string(),
  fullRefundUntil: z
    .string()
    .nullable()
    .describe(
      'Until this instant a patient’s cancellation refunds in full (null: doctors and admins always do)',
    ),
  lateRefundPercent: z.number().int().describe('The share refunded after that instant'),
});

export const cancelResponse = appointmentSchema.extend({
  refund: z.object({ amountMinor: z.number().int(), status: z.enum(['pending', 'none']) }),
});
