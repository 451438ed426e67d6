import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import {
  cursorSchema,
  idSchema,
  limitSchema,
  pageOf,
  requireAuth,
  requireRole,
  unauthorized,
} from '../../http/index.ts';
import { type PaymentEvents, webhookStatus } from './events.ts';
import type { SandboxProvider } from './sandbox.ts';
import * as s from './schemas.ts';
import type { PaymentService } from './service.ts';

export const paymentRoutes: FastifyPluginAsyncZod<{
  payments: PaymentService;
  events: PaymentEvents;
  /** Only outside production, with PAYMENT_PROVIDER=sandbox; otherwise its route does not exist. */
  sandbox: SandboxProvider | null;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { payments, events, sandbox, mfaRequiredRoles }) => {
  const tags = ['payments'];
  const security = [{ bearer: [] }];
  const payer = requireRole(['patient', 'admin'], { mfaRequiredRoles });

  // The signature covers the exact bytes, so this plugin's routes keep the raw body.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/payments/webhook',
    {
      config: { rateLimit: false },
      schema: {
        tags,
        summary: 'Gateway webhooks (Razorpay format, HMAC-SHA256 signed)',
        description:
          'For the gateway, not for apps. The raw JSON event, verified with `X-Razorpay-Signature` (hex HMAC-SHA256 of the exact body with the webhook secret). Events may arrive late, twice or out of order: each is applied once.',
        'x-problems': { 401: ['INVALID_SIGNATURE'] },
        headers: z.object({
          'x-razorpay-signature': z.string().optional().describe('Hex HMAC-SHA256 of the body'),
        }),
        body: z
          .string()
          .max(1_000_000)
          .meta({ examples: [s.SAMPLE_EVENT] })
          .describe('The event, as sent'),
        response: { 200: s.eventOutcome },
      },
    },
    async (request) => {
      const event = (() => {
        try {
          return payments.provider.verifyWebhook(request.body, request.headers);
        } catch {
          return null;
        }
      })();
      if (!event) throw unauthorized('The webhook signature is not valid', 'INVALID_SIGNATURE');
      return { status: webhookStatus(await events.apply(event)) };
    },
  );

  app.get(
    '/payments',
    {
      preHandler: payer,
      schema: {
        tags,
        summary: 'Payments, newest first: a patient’s own, or (admins) everyone’s',
        security,
        querystring: z.strictObject({ limit: limitSchema, cursor: cursorSchema }),
        response: { 200: pageOf(s.paymentItem) },
      },
    },
    async (request) => payments.list(requireAuth(request), request.query),
  );

  app.post(
    '/payments/:id/checkout',
    {
      preHandler: payer,
      schema: {
        tags,
        summary: 'Open the gateway checkout for a payment (creates its gateway order once)',
        description:
          'Call this when the patient goes to pay. With Razorpay, pass `orderId` and `publicKey` to Razorpay Checkout; the result arrives by webhook. Calling it again returns the same order.',
        security,
        params: z.strictObject({ id: idSchema }),
        response: { 200: s.checkoutSchema },
      },
    },
    async (request) => payments.checkout(requireAuth(request), request.params.id),
  );

  if (!sandbox) return;
  app.post(
    '/payments/:id/sandbox/:outcome',
    {
      preHandler: payer,
      schema: {
        tags,
        summary: 'Development only (PAYMENT_PROVIDER=sandbox): pay or fail as the gateway would',
        security,
        params: z.strictObject({ id: idSchema, outcome: z.enum(['succeed', 'fail']) }),
        description:
          'Answers what happened: `captured` (the booking is confirmed), `duplicate_capture` (a second payment of one order: refunded), `refunded_late` (paid after the hold ended: refunded, the booking stays expired), `ignored` (e.g. a failure after a success), `failed`, `already_captured`, `mismatch`.',
        response: { 200: s.sandboxOutcome },
      },
    },
    async (request) => {
      const payment = await payments.ensureOrder(await payments.own(requireAuth(request), request.params.id));
      const succeed = request.params.outcome === 'succeed';
      const entity = {
        id: `pay_${request.id.replaceAll('-', '').slice(0, 14)}`,
        order_id: payment.provider_order_id,
        amount: payment.amount_minor,
        currency: payment.currency,
        status: succeed ? 'captured' : 'failed',
        ...(succeed ? {} : { error_description: 'Declined by the sandbox' }),
      };
      const { rawBody, headers } = sandbox.signedEvent({
        event: succeed ? 'payment.captured' : 'payment.failed',
        payload: { payment: { entity } },
      });
      // The same path a real webhook takes.
      const event = payments.provider.verifyWebhook(rawBody, headers);
      if (!event) throw new Error('sandbox produced an unverifiable event');
      const outcome = await events.apply(event);
      return { status: webhookStatus(outcome), outcome };
    },
  );
};
