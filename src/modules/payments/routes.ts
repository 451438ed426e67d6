import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { notFound, requireAuth, requireRole, unauthorized } from '../../http/index.ts';
import type { AppointmentService } from '../appointments/service.ts';
import type { SandboxProvider } from './sandbox.ts';
import type { PaymentService } from './service.ts';

export const paymentRoutes: FastifyPluginAsyncZod<{
  payments: PaymentService;
  appointments: AppointmentService;
  sandbox: SandboxProvider | null;
  mfaRequiredRoles: readonly Role[];
}> = async (app, { payments, appointments, sandbox, mfaRequiredRoles }) => {
  // The signature covers the exact bytes, so this route keeps the raw body.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/payments/webhook',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['payments'],
        summary: 'Gateway webhooks (Razorpay format, HMAC-SHA256 signed)',
        body: z.string().max(1_000_000),
        response: { 200: z.object({ status: z.enum(['processed', 'duplicate', 'ignored']) }) },
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
      return { status: await appointments.applyPaymentEvent(event) };
    },
  );

  app.post(
    '/payments/:id/sandbox/:outcome',
    {
      preHandler: requireRole(['patient', 'admin'], { mfaRequiredRoles }),
      schema: {
        tags: ['payments'],
        summary: 'Development only (PAYMENT_PROVIDER=sandbox): pay or fail as the gateway would',
        security: [{ bearer: [] }],
        params: z.strictObject({ id: z.uuid(), outcome: z.enum(['succeed', 'fail']) }),
        response: { 200: z.object({ status: z.enum(['processed', 'duplicate', 'ignored']) }) },
      },
    },
    async (request) => {
      if (!sandbox) throw notFound('Sandbox');
      await appointments.assertPaymentParty(requireAuth(request), request.params.id);
      const payment = await payments.ensureGatewayOrder(request.params.id);
      if (!payment?.provider_order_id) throw notFound('Payment');
      const entity = {
        id: `pay_${request.id.replaceAll('-', '').slice(0, 14)}`,
        order_id: payment.provider_order_id,
        amount: payment.amount_minor,
        currency: payment.currency,
        status: request.params.outcome === 'succeed' ? 'captured' : 'failed',
        ...(request.params.outcome === 'fail' ? { error_description: 'Declined by the sandbox' } : {}),
      };
      const { rawBody, headers } = sandbox.signedEvent({
        event: request.params.outcome === 'succeed' ? 'payment.captured' : 'payment.failed',
        payload: { payment: { entity } },
      });
      // The same path a real webhook takes.
      const event = payments.provider.verifyWebhook(rawBody, headers);
      if (!event) throw new Error('sandbox produced an unverifiable event');
      return { status: await appointments.applyPaymentEvent(event) };
    },
  );
};
