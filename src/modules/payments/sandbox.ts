import { randomBytes } from 'node:crypto';
import { GatewayError, type PaymentProvider } from './provider.ts';
import { hmacHex, razorpayProvider } from './razorpay.ts';

type Call = 'createOrder' | 'refund';

/**
 * A local gateway for development and tests (never in production: see config.ts). Orders and
 * refunds succeed at once unless told otherwise (`failNext`: the gateway refuses, or the call
 * times out with the work done or not), and `POST /payments/{id}/sandbox/{outcome}` produces the
 * webhook a real gateway would send, in Razorpay's format, signed the same way, through the same
 * webhook path. Refunds are remembered in this process only; `failRefund` bounces one.
 */
export function sandboxProvider(webhookSecret: string) {
  const verify = razorpayProvider({
    apiUrl: 'http://sandbox.invalid',
    keyId: 'sandbox',
    keySecret: 'sandbox',
    webhookSecret,
  });
  const id = (prefix: string) => `${prefix}_${randomBytes(7).toString('base64url')}`;
  const refunds = new Map<string, Array<{ refundId: string; failed: boolean }>>();
  const planned: Array<{ call: Call; outcome: 'refused' | 'timeout-before' | 'timeout-after' }> = [];

  /** Runs `work` as the gateway would, or fails the way the next planned outcome for `call` says. */
  async function gateway<T>(call: Call, work: () => T): Promise<T> {
    const at = planned.findIndex((p) => p.call === call);
    const plan = at >= 0 ? planned.splice(at, 1)[0] : undefined;
    if (plan?.outcome === 'refused') throw new GatewayError(`sandbox ${call}: refused`, true);
    if (plan?.outcome === 'timeout-before') throw new GatewayError(`sandbox ${call}: timed out`, false);
    const result = work();
    if (plan?.outcome === 'timeout-after') throw new GatewayError(`sandbox ${call}: timed out`, false);
    return result;
  }

  const provider: PaymentProvider & {
    signedEvent(event: Record<string, unknown>): { rawBody: string; headers: Record<string, string> };
    failNext(call: Call, outcome: 'refused' | 'timeout-before' | 'timeout-after'): void;
    failRefund(refundId: string): void;
    refundsMade(receipt: string): string[];
  } = {
    name: 'sandbox',
    publicKey: null,
    createOrder: () => gateway('createOrder', () => ({ orderId: id('order') })),
    // Like a real gateway, every call refunds again: asking twice pays twice.
    refund: ({ receipt }) =>
      gateway('refund', () => {
        const refundId = id('rfnd');
        refunds.set(receipt, [...(refunds.get(receipt) ?? []), { refundId, failed: false }]);
        return { refundId };
      }),
    async findRefund({ receipt }) {
      const found = refunds.get(receipt)?.find((r) => !r.failed);
      return found ? { refundId: found.refundId } : null;
    },
    verifyWebhook: verify.verifyWebhook,
    signedEvent(event) {
      const rawBody = JSON.stringify({ ...event, created_at: Math.floor(Date.now() / 1000), nonce: id('n') });
      return { rawBody, headers: { 'x-razorpay-signature': hmacHex(webhookSecret, rawBody) } };
    },
    failNext(call, outcome) {
      planned.push({ call, outcome });
    },
    /** The bank bounced this refund (what a real gateway reports with a refund.failed webhook). */
    failRefund(refundId) {
      for (const made of refunds.values()) for (const r of made) if (r.refundId === refundId) r.failed = true;
    },
    refundsMade: (receipt) => (refunds.get(receipt) ?? []).map((r) => r.refundId),
  };
  return provider;
}

export type SandboxProvider = ReturnType<typeof sandboxProvider>;
