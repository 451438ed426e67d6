import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
  currency: string;
  error_description?: string | null;
}

interface RazorpayRefundEntity {
  id: string;
  payment_id: string;
  amount: number;
  receipt?: string | null;
  status?: 'pending' | 'processed' | 'failed';
}

/**
 * Razorpay's REST API (orders, refunds; Basic auth with the key id and secret) and its webhooks
 * (HMAC-SHA256 of the raw body with the webhook secret, hex, in X-Razorpay-Signature). Deliveries
 * are deduplicated by a hash of the signed body: Razorpay resends a delivery byte for byte, and
 * its X-Razorpay-Event-Id header is not covered by the signature.
 */
export function razorpayProvider(s: RazorpaySettings): PaymentProvider {
  const auth = `Basic ${Buffer.from(`${s.keyId}:${s.keySecret}`).toString('base64')}`;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${s.apiUrl}${path}`, {
        method,
        headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(s.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new GatewayError(`razorpay ${path}: ${(error as Error).message}`, false);
    }
    const text = await res.text();
    // A 4xx is the gateway refusing; a 5xx may have done the work before failing.
    if (!res.ok) {
      throw new GatewayError(`razorpay ${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status < 500);
    }
    return JSON.parse(text) as T;
  }

  return {
    name: 'razorpay',
    publicKey: s.keyId,
    async createOrder({ amountMinor, currency, receipt }) {
      const order = await call<{ id: string }>('POST', '/orders', {
        amount: amountMinor,
        currency,
        receipt,
        payment_capture: 1,
      });
      return { orderId: order.id };
    },
    async refund({ paymentId, amountMinor, receipt }) {
      const refund = await call<{ id: string }>('POST', `/payments/${encodeURIComponent(paymentId)}/refund`, {
        amount: amountMinor,
        receipt,
      });
      return { refundId: refund.id };
    },
    async findRefund({ paymentId, receipt }) {
      const list = await call<{ items: RazorpayRefundEntity[] }>(
        'GET',
        `/payments/${encodeURIComponent(paymentId)}/refunds?count=100`,
      );
      // A failed refund is no refund: the payment was not paid back, so it must be asked again.
      const found = list.items.find((r) => r.receipt === receipt && r.status !== 'failed');
      return found ? { refundId: found.id } : null;
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
          refund?: { entity: RazorpayRefundEntity & { notes?: unknown; error_description?: string } };
        };
      };
      const id = createHash('sha256').update(rawBody).digest('hex');
      const payment = event.payload?.payment?.entity;
      const refund = event.payload?.refund?.entity;
      if (event.event === 'payment.captured' && payment) {
        return {
          id,
          type: 'payment.captured',
          orderId: payment.order_id,
          paymentId: payment.id,
          amountMinor: payment.amount,
          currency: payment.currency,
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
      if (event.event === 'refund.failed' && refund) {
        return {
          id,
          type: 'refund.failed',
          paymentId: refund.payment_id,
          refundId: refund.id,
          reason: refund.error_description ?? 'failed',
        };
      }
      return { id, type: 'ignored', name: event.event };
    },
  };
}
