import { randomBytes } from 'node:crypto';
import type { PaymentProvider } from './provider.ts';
import { hmacHex, razorpayProvider } from './razorpay.ts';

/**
 * A local gateway for development and tests: orders and refunds succeed at once, and
 * `POST /payments/{id}/sandbox/{outcome}` produces the webhook a real gateway would send,
 * in Razorpay's format and signed the same way, through the same webhook path.
 */
export function sandboxProvider(webhookSecret: string): PaymentProvider & {
  signedEvent(event: Record<string, unknown>): { rawBody: string; headers: Record<string, string> };
} {
  const verify = razorpayProvider({
    apiUrl: 'http://sandbox.invalid',
    keyId: 'sandbox',
    keySecret: 'sandbox',
    webhookSecret,
  });
  const id = (prefix: string) => `${prefix}_${randomBytes(7).toString('base64url')}`;
  return {
    name: 'sandbox',
    async createOrder() {
      return { orderId: id('order') };
    },
    async capture() {},
    async refund() {
      return { refundId: id('rfnd') };
    },
    verifyWebhook: verify.verifyWebhook,
    signedEvent(event) {
      const rawBody = JSON.stringify(event);
      return {
        rawBody,
        headers: {
          'x-razorpay-signature': hmacHex(webhookSecret, rawBody),
          'x-razorpay-event-id': id('evt'),
        },
      };
    },
  };
}

export type SandboxProvider = ReturnType<typeof sandboxProvider>;
