import { z } from 'zod';
import { utcSchema } from '../../http/index.ts';
import { EVENT_OUTCOMES } from './events.ts';

export const paise = (what: string) =>
  z
    .number()
    .int()
    .meta({ examples: [50000] })
    .describe(`${what}, in paise (₹500 = 50000)`);

export const paymentSchema = z
  .object({
    id: z.uuid(),
    status: z
      .enum(['pending', 'created', 'failed', 'captured', 'refund_pending', 'refunded'])
      .describe(
        'created: no gateway order yet (POST /payments/{id}/checkout opens one); pending: awaiting the gateway; refund_pending: a refund is on its way',
      ),
    amountMinor: paise('The amount'),
    currency: z.string().meta({ examples: ['INR'] }),
    providerOrderId: z
      .string()
      .nullable()
      .meta({ examples: ['order_N5aD3kX1yZ2b'] })
      .describe('The gateway’s order'),
    refundedMinor: paise('Refunded so far'),
  })
  .meta({ id: 'Payment' });

export const paymentItem = z
  .object({
    id: z.uuid(),
    appointmentId: z.uuid(),
    status: paymentSchema.shape.status,
    amountMinor: paymentSchema.shape.amountMinor,
    currency: z.string().meta({ examples: ['INR'] }),
    refundedMinor: paymentSchema.shape.refundedMinor,
    providerOrderId: paymentSchema.shape.providerOrderId,
    createdAt: utcSchema,
  })
  .meta({ id: 'PaymentListItem', description: 'A payment, with the appointment it pays for' });

export const eventOutcome = z
  .object({
    status: z
      .enum(['processed', 'duplicate', 'ignored'])
      .describe('processed: applied now; duplicate: this event was applied before; ignored: nothing to do'),
  })
  .meta({ id: 'WebhookOutcome' });
export const sandboxOutcome = eventOutcome
  .extend({ outcome: z.enum(EVENT_OUTCOMES).describe('What the payment did (see the description)') })
  .meta({ id: 'SandboxOutcome' });
export const checkoutSchema = z
  .object({
    paymentId: z.uuid(),
    provider: z.string().meta({ examples: ['razorpay'] }),
    publicKey: z
      .string()
      .nullable()
      .meta({ examples: ['rzp_test_1DP5mmOlF5G5ag'] })
      .describe('Pass to the gateway’s checkout'),
    orderId: z.string().meta({ examples: ['order_N5aD3kX1yZ2b'] }),
    amountMinor: z
      .number()
      .int()
      .meta({ examples: [50000] })
      .describe('In paise (₹500 = 50000)'),
    currency: z.string().meta({ examples: ['INR'] }),
    status: z.string().meta({ examples: ['pending'] }),
  })
  .meta({ id: 'Checkout' });
export const SAMPLE_EVENT = JSON.stringify({
  event: 'payment.captured',
  payload: {
    payment: {
      entity: {
        id: 'pay_N5aE1x',
        order_id: 'order_N5aD3kX1yZ2b',
        amount: 50000,
        currency: 'INR',
        status: 'captured',
      },
    },
  },
});
