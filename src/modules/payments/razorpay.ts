import { createHmac, timingSafeEqual } from 'node:crypto';
import { GatewayError, type PaymentProvider, type WebhookEvent } from './provider.ts';

export interface RazorpaySettings {
  apiUrl: string;
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  timeoutMs?: number;
}

export function hmacHex(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

interface RazorpayPaymentEntity {
  id: string;
  order_id: string;
  amount: number;
  error_description?: string | null;
}

/**
 * Razorpay's REST API (orders, payment capture, refunds; Basic auth with the key id and secret)
 * and its webhooks (HMAC-SHA256 of the raw body with the webhook secret, hex, in
 * X-Razorpay-Signature; the delivery id in X-Razorpay-Event-Id).
 */
export function razorpayProvider(s: RazorpaySettings): PaymentProvider {
  const auth = `Basic ${Buffer.from(`${s.keyId}:${s.keySecret}`).toString('base64')}`;

  async function call<T>(path: string, body: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${s.apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(s.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new GatewayError(`razorpay ${path}: ${(error as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new GatewayError(`razorpay ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  return {
    name: 'razorpay',
    async createOrder({ amountMinor, currency, receipt }) {
      const order = await call<{ id: string }>('/orders', {
        amount: amountMinor,
        currency,
        receipt,
        payment_capture: 1,
      });
      return { orderId: order.id };
    },
    async capture({ paymentId, amountMinor, currency }) {
      await call(`/payments/${encodeURIComponent(paymentId)}/capture`, { amount: amountMinor, currency });
    },
    async refund({ paymentId, amountMinor, receipt }) {
      const refund = await call<{ id: string }>(`/payments/${encodeURIComponent(paymentId)}/refund`, {
        amount: amountMinor,
        receipt,
      });
      return { refundId: refund.id };
    },
    verifyWebhook(rawBody, headers): WebhookEvent | null {
      const signature = header(headers, 'x-razorpay-signature') ?? '';
      const expected = hmacHex(s.webhookSecret, rawBody);
      if (
        signature.length !== expected.length ||
        !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
      )
        return null;
      const event = JSON.parse(rawBody) as {
        event: string;
        payload?: {
          payment?: { entity: RazorpayPaymentEntity };
          refund?: { entity: { id: string; payment_id: string; amount: number } };
        };
      };
      const id = header(headers, 'x-razorpay-event-id') ?? hmacHex('event-id', rawBody);
      const payment = event.payload?.payment?.entity;
      const refund = event.payload?.refund?.entity;
      if (event.event === 'payment.captured' && payment) {
        return {
          id,
          type: 'payment.captured',
          orderId: payment.order_id,
          paymentId: payment.id,
          amountMinor: payment.amount,
        };
      }
      if (event.event === 'payment.failed' && payment) {
        return {
          id,
          type: 'payment.failed',
          orderId: payment.order_id,
          paymentId: payment.id,
          reason: payment.error_description ?? 'failed',
        };
      }
      if (event.event === 'refund.processed' && refund) {
        return {
          id,
          type: 'refund.processed',
          paymentId: refund.payment_id,
          refundId: refund.id,
          amountMinor: refund.amount,
        };
      }
      return { id, type: 'ignored', name: event.event };
    },
  };
}
