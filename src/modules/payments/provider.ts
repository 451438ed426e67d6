/** What the payment service needs from a gateway. Amounts are integer minor units. */
export interface PaymentProvider {
  readonly name: 'sandbox' | 'razorpay';
  createOrder(input: {
    amountMinor: number;
    currency: string;
    receipt: string;
  }): Promise<{ orderId: string }>;
  capture(input: { paymentId: string; amountMinor: number; currency: string }): Promise<void>;
  refund(input: { paymentId: string; amountMinor: number; receipt: string }): Promise<{ refundId: string }>;
  /** Checks the signature over the raw body; returns the normalised event, or null if it is not authentic. */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookEvent | null;
}

export type WebhookEvent =
  | { id: string; type: 'payment.captured'; orderId: string; paymentId: string; amountMinor: number }
  | { id: string; type: 'payment.failed'; orderId: string; paymentId: string; reason: string }
  | { id: string; type: 'refund.processed'; paymentId: string; refundId: string; amountMinor: number }
  | { id: string; type: 'ignored'; name: string };

export class GatewayError extends Error {
  override name = 'GatewayError';
}
