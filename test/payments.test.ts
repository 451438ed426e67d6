import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox } from '../src/modules/outbox/service.ts';
import { hmacHex, razorpayProvider } from '../src/modules/payments/razorpay.ts';
import { MemoryQueue } from '../src/platform/memory.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { type Account, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

const fresh = async (a: Account): Promise<Account> => ({ ...a, accessToken: await freshToken(t, a) });
const paymentRow = (id: string) =>
  t.platform.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('payment saga', () => {
  it('a successful payment confirms the appointment and books the slot', async () => {
    const { patient, appointment: a } = await kit.booked();
    expect((await kit.pay(patient, a.payment.id, 'succeed')).json()).toEqual({
      status: 'processed',
      outcome: 'captured',
    });
    expect(await kit.appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      holdExpiresAt: null,
      payment: { status: 'captured' },
    });
    expect(await kit.slotStatus(a.slotId)).toBe('booked');
  });

  it('a crash between payment and confirmation loses nothing: the redelivered event applies once', async () => {
    const { patient, appointment: a } = await kit.booked();
    // Fault injection: the confirmation step fails inside the webhook's transaction.
    await sql`CREATE FUNCTION fail_confirm() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected crash'; END $$`.execute(t.platform.db);
    await sql
      .raw(`CREATE TRIGGER fail_confirm BEFORE UPDATE ON appointments FOR EACH ROW
      WHEN (OLD.id = '${a.id}') EXECUTE FUNCTION fail_confirm()`)
      .execute(t.platform.db);
    const event = kit.captured(a.payment.providerOrderId, 50000, 'pay_crash1');
    expect((await kit.webhook(event)).statusCode).toBe(500); // the gateway will deliver it again
    expect(await kit.appointment(patient, a.id)).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'pending' },
    });
    await sql`DROP TRIGGER fail_confirm ON appointments; DROP FUNCTION fail_confirm()`.execute(t.platform.db);
    expect((await kit.webhook(event)).json()).toEqual({ status: 'processed' });
    expect((await kit.webhook(event)).json()).toEqual({ status: 'duplicate' });
    expect(await kit.appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'captured' },
    });
  });

  it('a failed payment leaves the hold; the patient may pay again before it ends', async () => {
    const { patient, appointment: a } = await kit.booked();
    await kit.pay(patient, a.payment.id, 'fail');
    expect(await kit.appointment(patient, a.id)).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'failed' },
    });
    expect(await kit.slotStatus(a.slotId)).toBe('held');
    await kit.pay(patient, a.payment.id, 'succeed');
    expect(await kit.appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'captured' },
    });
  });

  it('webhooks: bad signature 401; a delivery is deduplicated by its signed body, not an unsigned header', async () => {
    const { patient, appointment: a } = await kit.booked();
    const event = kit.captured(a.payment.providerOrderId, 50000);
    const rejected = await kit.webhook(event, 'wrong-secret');
    expect(rejected.statusCode).toBe(401);
    expect(rejected.json().code).toBe('INVALID_SIGNATURE');
    expect((await kit.webhook(event)).json()).toEqual({ status: 'processed' });
    // The same signed delivery again, under a new X-Razorpay-Event-Id: still the same delivery.
    const raw = JSON.stringify(event);
    const replayed = await t.inject({
      method: 'POST',
      url: '/api/v1/payments/webhook',
      headers: {
        'content-type': 'application/json',
        'x-razorpay-signature': hmacHex(t.platform.webhookSecret, raw),
        'x-razorpay-event-id': 'evt_forged_new_id',
      },
      payload: raw,
    });
    expect(replayed.json()).toEqual({ status: 'duplicate' });
    // A failure after the capture (delivered late) changes nothing.
    const failed = {
      event: 'payment.failed',
      payload: { payment: { entity: { id: 'pay_x', order_id: a.payment.providerOrderId, amount: 50000 } } },
    };
    expect((await kit.webhook(failed)).statusCode).toBe(200);
    expect(await kit.appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'captured' },
    });
    expect((await kit.webhook({ event: 'order.paid', payload: {} })).json()).toEqual({ status: 'ignored' });
  });

  it('there is no default webhook secret: the old public one signs nothing', async () => {
    const { appointment: a } = await kit.booked();
    const forged = await kit.webhook(
      kit.captured(a.payment.providerOrderId, 50000),
      'sandbox-webhook-secret',
    );
    expect(forged.statusCode).toBe(401);
    expect(t.platform.webhookSecret).not.toBe('sandbox-webhook-secret');
    expect(t.platform.webhookSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('an unpaid hold expires: readers see it at once, the job makes it so, the slot opens, no charge', async () => {
    const { patient, appointment: a } = await kit.booked();
    t.clock.advance(600_001);
    expect((await kit.appointment(patient, a.id)).status).toBe('expired'); // before any job ran
    expect(await t.services.appointments.expireHolds()).toBeGreaterThanOrEqual(1);
    const row = await t.platform.db
      .selectFrom('appointments')
      .select('status')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');
    expect(await kit.slotStatus(a.slotId)).toBe('open');
    expect((await kit.appointment(patient, a.id)).payment.status).toBe('pending');
  });

  it('a lapsed hold does not block the slot even before the job runs, and is expired with its audit row', async () => {
    const { appointment: a } = await kit.booked();
    t.clock.advance(600_001);
    const other = await signUp(t);
    expect((await kit.book(other, a.slotId)).statusCode).toBe(201);
    const old = await t.platform.db
      .selectFrom('appointments')
      .select('status')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(old.status).toBe('expired');
    expect((await kit.auditActions(a.id)).filter((x) => x === 'appointment.expired')).toHaveLength(1);
  });

  it('a payment that succeeds after the hold expired is refunded and the appointment stays expired', async () => {
    const { patient, appointment: a } = await kit.booked();
    t.clock.advance(600_001);
    await t.services.appointments.expireHolds();
    await kit.webhook(kit.captured(a.payment.providerOrderId, 50000));
    const after = await kit.appointment(await fresh(patient), a.id);
    expect(after).toMatchObject({
      status: 'expired',
      payment: { status: 'refund_pending', refundedMinor: 50000 },
    });
    const [refund] = await kit.refundsOf(a.payment.id);
    await t.services.refunds.execute(refund!.id);
    expect((await kit.appointment(await fresh(patient), a.id)).payment.status).toBe('refunded');
  });

  it('the sandbox says what each payment did: captured, a second pay refunded, a failure after it ignored, a late pay refunded', async () => {
    const { patient, appointment: a } = await kit.booked();
    const outcome = async (who: Account, result: 'succeed' | 'fail') =>
      (await kit.pay(who, a.payment.id, result)).json().outcome;
    expect(await outcome(patient, 'succeed')).toBe('captured');
    expect(await outcome(patient, 'succeed')).toBe('duplicate_capture');
    expect(await outcome(patient, 'fail')).toBe('ignored');
    const late = await kit.booked();
    t.clock.advance(600_001);
    const again = await fresh(late.patient);
    expect((await kit.pay(again, late.appointment.payment.id, 'fail')).json()).toEqual({
      status: 'processed',
      outcome: 'failed',
    });
    expect((await kit.pay(again, late.appointment.payment.id, 'succeed')).json().outcome).toBe(
      'refunded_late',
    );
    // Both refunds go through (what the job does), so later tests start with none pending.
    for (const id of [a.payment.id, late.appointment.payment.id])
      for (const refund of await kit.refundsOf(id)) await t.services.refunds.execute(refund.id);
  });

  it('several expiry workers at once expire each hold exactly once', async () => {
    const holds = await Promise.all([kit.booked(), kit.booked(), kit.booked()]);
    t.clock.advance(600_001);
    const counts = await Promise.all([0, 1, 2].map(() => t.services.appointments.expireHolds()));
    expect(counts.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(3);
    for (const { appointment: a } of holds) {
      expect((await kit.auditActions(a.id)).filter((x) => x === 'appointment.expired')).toHaveLength(1);
    }
  });
});

describe('money we did not earn goes back', () => {
  it('a capture whose amount or currency differs from the order is refunded and confirms nothing', async () => {
    for (const [amount, currency] of [
      [100, 'INR'],
      [50000, 'USD'],
    ] as const) {
      const { patient, appointment: a } = await kit.booked();
      const res = await kit.webhook(kit.captured(a.payment.providerOrderId, amount, undefined, currency));
      expect(res.json()).toEqual({ status: 'processed' });
      expect(await kit.appointment(patient, a.id)).toMatchObject({ status: 'pending_payment' });
      const [refund] = await kit.refundsOf(a.payment.id);
      expect(refund).toMatchObject({ amount_minor: amount, currency, status: 'pending' });
      // The patient can still pay properly.
      await kit.pay(patient, a.payment.id, 'succeed');
      expect((await kit.appointment(patient, a.id)).status).toBe('confirmed');
    }
  });

  it('a second capture of one order is refunded; the first stands', async () => {
    const { patient, appointment: a } = await kit.booked();
    await kit.webhook(kit.captured(a.payment.providerOrderId, 50000, 'pay_first'));
    await kit.webhook(kit.captured(a.payment.providerOrderId, 50000, 'pay_second'));
    expect(await kit.appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'captured', refundedMinor: 0 },
    });
    const refunds = await kit.refundsOf(a.payment.id);
    expect(refunds.map((r) => [r.provider_payment_id, r.amount_minor])).toEqual([['pay_second', 50000]]);
    await t.services.refunds.execute(refunds[0]!.id);
    expect((await paymentRow(a.payment.id)).status).toBe('captured');
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed' }]);
  });
});

describe('refunds are never dropped', () => {
  /** A confirmed appointment cancelled by its doctor: a full refund, pending. */
  async function refundPending() {
    const { doctor, patient, appointment: a } = await kit.booked();
    await kit.pay(patient, a.payment.id, 'succeed');
    await kit.call(doctor.accessToken, 'POST', `/appointments/${a.id}/cancel`, { reason: 'Unwell' });
    const [refund] = await kit.refundsOf(a.payment.id);
    return { patient, a, refund: refund! };
  }
  const sandbox = () => t.services.sandbox!;
  /** Its job marked it requested and began the gateway call, then died before it learnt the outcome. */
  const diedMidCall = (refundId: string) =>
    t.platform.db
      .updateTable('refunds')
      .set({ status: 'requested', asked_at: t.clock.now() })
      .where('id', '=', refundId)
      .execute();

  it('a refund the gateway refuses is asked again on the next try, until it goes through', async () => {
    const { a, refund } = await refundPending();
    sandbox().failNext('refund', 'refused');
    await expect(t.services.refunds.execute(refund.id)).rejects.toThrow(/refused/);
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'pending', attempts: 1 }]);
    await t.services.refunds.execute(refund.id); // the job's retry
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed', attempts: 2 }]);
    expect((await paymentRow(a.payment.id)).status).toBe('refunded');
    expect(sandbox().refundsMade(refund.id)).toHaveLength(1);
  });

  it('an unknown outcome is looked up before asking again: done at the gateway → settled, never paid twice', async () => {
    const { a, refund } = await refundPending();
    sandbox().failNext('refund', 'timeout-after');
    await expect(t.services.refunds.execute(refund.id)).rejects.toThrow(/timed out/);
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'requested', asked_at: null }]);
    await t.services.refunds.execute(refund.id); // the job's retry, a moment later: the call has ended, look it up
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed' }]);
    expect(sandbox().refundsMade(refund.id)).toHaveLength(1);
  });

  it('an unknown outcome that the gateway never saw is asked again', async () => {
    const { a, refund } = await refundPending();
    sandbox().failNext('refund', 'timeout-before');
    await expect(t.services.refunds.execute(refund.id)).rejects.toThrow(/timed out/);
    await t.services.refunds.execute(refund.id); // the job's retry
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed' }]);
    expect(sandbox().refundsMade(refund.id)).toHaveLength(1);
  });

  it('is asked of the gateway once, however many jobs run it at once', async () => {
    const { a, refund } = await refundPending();
    const runs = await Promise.allSettled([0, 1, 2].map(() => t.services.refunds.execute(refund.id)));
    // A run that finds the call in flight asks to be retried once it can't be (RetryLater).
    for (const run of runs)
      if (run.status === 'rejected') expect(run.reason).toMatchObject({ name: 'RetryLater' });
    expect(runs.some((run) => run.status === 'fulfilled')).toBe(true);
    expect(sandbox().refundsMade(refund.id)).toHaveLength(1);
    expect((await paymentRow(a.payment.id)).status).toBe('refunded');
  });

  it('refund.failed from the gateway sends it back to be asked again; refund.processed settles it', async () => {
    const { a, refund } = await refundPending();
    await t.services.refunds.execute(refund.id);
    const capture = (await paymentRow(a.payment.id)).provider_payment_id!;
    const [done] = await kit.refundsOf(a.payment.id);
    sandbox().failRefund(done!.provider_refund_id!);
    expect(
      (await kit.webhook(kit.refundEvent('refund.failed', capture, done!.provider_refund_id!))).json(),
    ).toEqual({
      status: 'processed',
    });
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([
      { status: 'pending', provider_refund_id: null },
    ]);
    expect((await paymentRow(a.payment.id)).status).toBe('refund_pending');
    const queued = await t.platform.db
      .selectFrom('outbox')
      .select('payload')
      .where('topic', '=', 'payment.refund')
      .execute();
    expect(queued.filter((q) => (q.payload as { refundId: string }).refundId === refund.id)).toHaveLength(2);
    await t.services.refunds.execute(refund.id);
    expect(sandbox().refundsMade(refund.id)).toHaveLength(2);
    const [again] = await kit.refundsOf(a.payment.id);
    await kit.webhook(kit.refundEvent('refund.processed', capture, again!.provider_refund_id!));
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed' }]);
    expect((await paymentRow(a.payment.id)).status).toBe('refunded');
  });

  it('after refund.failed, a retry whose outcome is unknown never takes the failed refund for a done one', async () => {
    const { a, refund } = await refundPending();
    await t.services.refunds.execute(refund.id);
    const capture = (await paymentRow(a.payment.id)).provider_payment_id!;
    const [first] = sandbox().refundsMade(refund.id);
    sandbox().failRefund(first!);
    await kit.webhook(kit.refundEvent('refund.failed', capture, first!));
    // The gateway never saw the retry: the lookup must not find the bounced refund.
    sandbox().failNext('refund', 'timeout-before');
    await expect(t.services.refunds.execute(refund.id)).rejects.toThrow(/timed out/);
    await t.services.refunds.execute(refund.id);
    const made = sandbox().refundsMade(refund.id);
    expect(made).toHaveLength(2);
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([
      { status: 'processed', provider_refund_id: made[1] },
    ]);
    // The gateway did the next retry but the answer was lost: the lookup finds that one.
    sandbox().failRefund(made[1]!);
    await kit.webhook(kit.refundEvent('refund.failed', capture, made[1]!));
    sandbox().failNext('refund', 'timeout-after');
    await expect(t.services.refunds.execute(refund.id)).rejects.toThrow(/timed out/);
    await t.services.refunds.execute(refund.id);
    const third = sandbox().refundsMade(refund.id)[2];
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([
      { status: 'processed', provider_refund_id: third },
    ]);
    expect((await paymentRow(a.payment.id)).status).toBe('refunded');
  });

  it('a late refund.failed about an earlier attempt leaves the refund that went through alone', async () => {
    const { a, refund } = await refundPending();
    await t.services.refunds.execute(refund.id);
    const capture = (await paymentRow(a.payment.id)).provider_payment_id!;
    const stale = kit.refundEvent('refund.failed', capture, 'rfnd_an_earlier_attempt');
    expect((await kit.webhook(stale)).json()).toEqual({ status: 'processed' });
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed' }]);
    expect((await paymentRow(a.payment.id)).status).toBe('refunded');
  });

  it('the sweep re-enqueues refunds whose job died', async () => {
    const { refund } = await refundPending();
    expect(await t.services.refunds.sweep()).toBe(0);
    t.clock.advance(11 * 60_000);
    expect(await t.services.refunds.sweep()).toBeGreaterThanOrEqual(1);
    const queued = await t.platform.db
      .selectFrom('outbox')
      .select('payload')
      .where('topic', '=', 'payment.refund')
      .execute();
    expect(queued.filter((q) => (q.payload as { refundId: string }).refundId === refund.id)).toHaveLength(2);
  });

  it('the sweep also picks up a refund whose job died during the gateway call; it is looked up, paid once', async () => {
    const { a, refund } = await refundPending();
    await diedMidCall(refund.id);
    // A second job meanwhile: that call may still be running; it tries again once it can't be.
    await expect(t.services.refunds.execute(refund.id)).rejects.toMatchObject({
      name: 'RetryLater',
      afterMs: 60_000,
    });
    expect(sandbox().refundsMade(refund.id)).toHaveLength(0);
    t.clock.advance(11 * 60_000);
    expect(await t.services.refunds.sweep()).toBeGreaterThanOrEqual(1);
    await t.services.refunds.execute(refund.id); // the re-enqueued job
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed' }]);
    expect(sandbox().refundsMade(refund.id)).toHaveLength(1);
  });

  it('a job that found the call in flight, tried again after it, looks it up and pays once (found by the chaos run)', async () => {
    const { a, refund } = await refundPending();
    await diedMidCall(refund.id); // the call went through, but nothing recorded it
    await expect(t.services.refunds.execute(refund.id)).rejects.toMatchObject({ name: 'RetryLater' });
    t.clock.advance(61_000);
    await t.services.refunds.execute(refund.id); // the retry, due once the call can't be running
    expect(await kit.refundsOf(a.payment.id)).toMatchObject([{ status: 'processed' }]);
    expect(sandbox().refundsMade(refund.id)).toHaveLength(1);
  });
});

describe('outbox', () => {
  it('every booking writes its event in the same statement; the relay hands it over once', async () => {
    const { appointment: a } = await kit.booked();
    const rows = await t.platform.db.selectFrom('outbox').select(['topic', 'payload']).execute();
    const mine = rows.filter((r) => (r.payload as { appointmentId?: string }).appointmentId === a.id);
    expect(mine.map((r) => r.topic)).toEqual(['appointment.created']);
    const relayed = await t.services.outbox.relay();
    expect(relayed).toBeGreaterThanOrEqual(1);
    expect(await t.services.outbox.relay()).toBe(0);
    const pending = await t.platform.db
      .selectFrom('outbox')
      .select('id')
      .where('sent_at', 'is', null)
      .where('available_at', '<=', t.clock.now())
      .execute();
    expect(pending).toEqual([]);
  });
});

describe('outbox while the queue is down', () => {
  it('rows wait and go once the queue is back; nothing is lost or sent twice', async () => {
    const { appointment: a } = await kit.booked();
    const down = createOutbox({
      db: t.platform.db,
      clock: t.clock,
      queue: {
        ...new MemoryQueue(t.clock),
        enqueueAll: async () => Promise.reject(new Error('ECONNREFUSED')),
      } as unknown as MemoryQueue,
      metrics: createMetrics(),
      logger: t.platform.logger,
      traceparent: () => null,
    });
    await expect(down.relay()).rejects.toThrow(/ECONNREFUSED/);
    const waiting = await t.platform.db
      .selectFrom('outbox')
      .select('topic')
      .where('sent_at', 'is', null)
      .execute();
    expect(waiting.length).toBeGreaterThanOrEqual(1);
    const queue = new MemoryQueue(t.clock);
    const delivered: string[] = [];
    for (const topic of new Set(waiting.map((w) => w.topic))) {
      queue.process(topic, async (data) => {
        delivered.push(`${topic}:${JSON.stringify(data)}`);
      });
    }
    const up = createOutbox({
      db: t.platform.db,
      clock: t.clock,
      queue,
      metrics: createMetrics(),
      logger: t.platform.logger,
      traceparent: () => null,
    });
    expect(await up.relay()).toBe(waiting.length);
    for (let i = 0; i < 100 && delivered.length < waiting.length; i++)
      await new Promise((r) => setTimeout(r, 10));
    await queue.close();
    expect(delivered).toHaveLength(waiting.length);
    expect(delivered.some((d) => d.includes(a.id))).toBe(true);
    expect(await up.relay()).toBe(0);
  });
});

describe('Razorpay provider against a local stub of its API', () => {
  it('creates orders, refunds and finds refunds with Basic auth; verifies and reads webhooks', async () => {
    const seen: Array<{ method: string; url: string; auth: string; body: unknown }> = [];
    const stub = createServer(async (req: IncomingMessage, res) => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        auth: req.headers.authorization ?? '',
        body: JSON.parse(raw || '{}'),
      });
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('bad')) {
        res.statusCode = 400;
        return res.end(JSON.stringify({ error: { code: 'BAD_REQUEST_ERROR' } }));
      }
      if (req.url?.includes('flaky')) {
        res.statusCode = 502;
        return res.end('{}');
      }
      if (req.url === '/v1/orders') return res.end(JSON.stringify({ id: 'order_Stub123', amount: 50000 }));
      if (req.url?.endsWith('/refund')) return res.end(JSON.stringify({ id: 'rfnd_Stub9' }));
      if (req.url?.includes('/refunds'))
        return res.end(
          JSON.stringify({ items: [{ id: 'rfnd_Stub9', payment_id: 'pay_1', receipt: 'r-1' }] }),
        );
      res.statusCode = 404;
      res.end('{}');
    });
    stub.listen(0, '127.0.0.1');
    await once(stub, 'listening');
    const port = (stub.address() as { port: number }).port;
    try {
      const rzp = razorpayProvider({
        apiUrl: `http://127.0.0.1:${port}/v1`,
        keyId: 'rzp_test_key',
        keySecret: 'shh',
        webhookSecret: 'whsec',
      });
      expect(rzp.publicKey).toBe('rzp_test_key');
      expect(await rzp.createOrder({ amountMinor: 50000, currency: 'INR', receipt: 'r1' })).toEqual({
        orderId: 'order_Stub123',
      });
      expect(await rzp.refund({ paymentId: 'pay_1', amountMinor: 20000, receipt: 'r-1' })).toEqual({
        refundId: 'rfnd_Stub9',
      });
      expect(await rzp.findRefund({ paymentId: 'pay_1', receipt: 'r-1' })).toEqual({
        refundId: 'rfnd_Stub9',
      });
      expect(await rzp.findRefund({ paymentId: 'pay_1', receipt: 'r-2' })).toBeNull();
      expect(seen[0]).toMatchObject({
        method: 'POST',
        url: '/v1/orders',
        auth: `Basic ${Buffer.from('rzp_test_key:shh').toString('base64')}`,
        body: { amount: 50000, currency: 'INR', receipt: 'r1' },
      });
      expect(seen[1]).toMatchObject({
        url: '/v1/payments/pay_1/refund',
        body: { amount: 20000, receipt: 'r-1' },
      });
      // A 4xx is a definite refusal; a 5xx may have done the work.
      await expect(rzp.refund({ paymentId: 'bad', amountMinor: 1, receipt: 'x' })).rejects.toMatchObject({
        definite: true,
      });
      await expect(rzp.refund({ paymentId: 'flaky', amountMinor: 1, receipt: 'x' })).rejects.toMatchObject({
        definite: false,
      });

      const body = JSON.stringify(kit.captured('order_Stub123', 50000, 'pay_1'));
      const ok = rzp.verifyWebhook(body, { 'x-razorpay-signature': hmacHex('whsec', body) });
      expect(ok).toMatchObject({
        type: 'payment.captured',
        orderId: 'order_Stub123',
        paymentId: 'pay_1',
        amountMinor: 50000,
        currency: 'INR',
      });
      expect(ok?.id).toMatch(/^[0-9a-f]{64}$/);
      expect(rzp.verifyWebhook(body, { 'x-razorpay-signature': hmacHex('other', body) })).toBeNull();
      expect(rzp.verifyWebhook(`${body} `, { 'x-razorpay-signature': hmacHex('whsec', body) })).toBeNull();
      const failedRefund = JSON.stringify(kit.refundEvent('refund.failed', 'pay_1', 'rfnd_9'));
      expect(
        rzp.verifyWebhook(failedRefund, { 'x-razorpay-signature': hmacHex('whsec', failedRefund) }),
      ).toMatchObject({ type: 'refund.failed', paymentId: 'pay_1', refundId: 'rfnd_9' });
    } finally {
      stub.close();
    }
  });
});
