/** What the payment service needs from a gateway. Amounts are integer minor units. */
export interface PaymentProvider {
  readonly name: 'sandbox' | 'razorpay';
  /** The public key a browser checkout needs (Razorpay's key id); null for the sandbox. */
  readonly publicKey: string | null;
  createOrder(input: {
    amountMinor: number;
    currency: string;
    receipt: string;
  }): Promise<{ orderId: string }>;
  /** Refunds (part of) a captured gateway payment; `receipt` is our refund id, so it can be found again. */
  refund(input: { paymentId: string; amountMinor: number; receipt: string }): Promise<{ refundId: string }>;
  /** The refund made for `receipt` on this gateway payment that has not failed, if the gateway has one. */
  findRefund(input: { paymentId: string; receipt: string }): Promise<{ refundId: string } | null>;
  /** Checks the signature over the raw body; returns the normalised event, or null if it is not authentic. */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): WebhookEvent | null;
}

/** `id` is derived from the signed body (a header the signature doesn't cover can't be trusted). */
export type WebhookEvent =
  | {
      id: string;
      type: 'payment.captured';
      orderId: string;
      paymentId: string;
      amountMinor: number;
      currency: string;
    }
  | { id: string; type: 'payment.failed'; orderId: string; paymentId: string; reason: string }
  | { id: string; type: 'refund.processed'; paymentId: string; refundId: string; amountMinor: number }
  | { id: string; type: 'refund.failed'; paymentId: string; refundId: string; reason: string }
  | { id: string; type: 'ignored'; name: string };

/**
 * A gateway call that failed. `definite`: the gateway answered and did nothing (safe to ask
 * again); otherwise the outcome is unknown (a timeout or a dropped connection) and must be looked up.
 */
export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly definite: boolean;
  constructor(message: string, definite: boolean) {
    super(message);
    this.definite = definite;
  }
}
