import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox } from '../src/modules/outbox/service.ts';
import { hmacHex, razorpayProvider } from '../src/modules/payments/razorpay.ts';
import { MemoryQueue } from '../src/platform/memory.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import {
  type Account,
  bearer,
  createDoctor,
  freshToken,
  signUp,
  startTestApp,
  type TestApp,
} from './helpers/app.ts';

let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const call = (
  token: string,
  method: 'GET' | 'POST',
  url: string,
  body?: object,
  key: string | null = randomUUID(),
) =>
  t.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
    ...(body ? { payload: body } : {}),
  });

/** A patient with a pending appointment `hoursAhead` from the clock. */
async function booked(hoursAhead = 72, feeMinor = 50000) {
  const doctor = await createDoctor(t, admin, { feeMinor });
  const start = t.clock.now().getTime() + hoursAhead * 3_600_000;
  const slot = await call(doctor.accessToken, 'POST', '/doctors/me/slots', {
    slots: [
      {
        startsAt: new Date(start).toISOString(),
        endsAt: new Date(start + 1_800_000).toISOString(),
        mode: 'video',
      },
      {
        startsAt: new Date(start + 3_600_000).toISOString(),
        endsAt: new Date(start + 5_400_000).toISOString(),
        mode: 'video',
      },
    ],
  });
  const [first, second] = slot.json().items;
  const patient = await signUp(t);
  const res = await call(patient.accessToken, 'POST', '/appointments', { slotId: first.id });
  if (res.statusCode !== 201) throw new Error(res.body);
  return { doctor, patient, appointment: res.json(), otherSlotId: second.id as string };
}

const sandbox = (who: Account, paymentId: string, outcome: 'succeed' | 'fail') =>
  call(who.accessToken, 'POST', `/payments/${paymentId}/sandbox/${outcome}`, undefined, null);
const appointment = async (who: Account, id: string) =>
  (await call(who.accessToken, 'GET', `/appointments/${id}`, undefined, null)).json();
const slotStatus = async (id: string) =>
  (await t.platform.db.selectFrom('slots').select('status').where('id', '=', id).executeTakeFirstOrThrow())
    .status;

function webhook(
  body: object,
  secret = t.platform.config.payments.webhookSecret,
  eventId = `evt_${randomUUID()}`,
) {
  const raw = JSON.stringify(body);
  return t.inject({
    method: 'POST',
    url: '/api/v1/payments/webhook',
    headers: {
      'content-type': 'application/json',
      'x-razorpay-signature': hmacHex(secret, raw),
      'x-razorpay-event-id': eventId,
    },
    payload: raw,
  });
}
const captured = (orderId: string, amount: number, paymentId = `pay_${randomUUID().slice(0, 8)}`) => ({
  event: 'payment.captured',
  payload: {
    payment: { entity: { id: paymentId, order_id: orderId, amount, currency: 'INR', status: 'captured' } },
  },
});

describe('payment saga', () => {
  it('a successful payment confirms the appointment and books the slot', async () => {
    const { patient, appointment: a } = await booked();
    const res = await sandbox(patient, a.payment.id, 'succeed');
    expect(res.json()).toEqual({ status: 'processed' });
    const after = await appointment(patient, a.id);
    expect(after).toMatchObject({
      status: 'confirmed',
      holdExpiresAt: null,
      payment: { status: 'captured' },
    });
    expect(await slotStatus(a.slotId)).toBe('booked');
  });

  it('a crash between payment and confirmation loses nothing: the redelivered event applies once', async () => {
    const { patient, appointment: a } = await booked();
    // Fault injection: the confirmation step fails inside the webhook's transaction.
    await sql`CREATE FUNCTION fail_confirm() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected crash'; END $$`.execute(t.platform.db);
    await sql
      .raw(`CREATE TRIGGER fail_confirm BEFORE UPDATE ON appointments FOR EACH ROW
      WHEN (OLD.id = '${a.id}') EXECUTE FUNCTION fail_confirm()`)
      .execute(t.platform.db);
    const event = captured(a.payment.providerOrderId, 50000, 'pay_crash1');
    const crashed = await webhook(event, undefined, 'evt_crash');
    expect(crashed.statusCode).toBe(500); // the gateway will deliver it again
    expect(await appointment(patient, a.id)).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'pending' },
    });
    await sql`DROP TRIGGER fail_confirm ON appointments; DROP FUNCTION fail_confirm()`.execute(t.platform.db);
    expect((await webhook(event, undefined, 'evt_crash')).json()).toEqual({ status: 'processed' });
    expect((await webhook(event, undefined, 'evt_crash')).json()).toEqual({ status: 'duplicate' });
    expect(await appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'captured' },
    });
  });

  it('a failed payment leaves the hold; the patient may pay again before it ends', async () => {
    const { patient, appointment: a } = await booked();
    await sandbox(patient, a.payment.id, 'fail');
    expect(await appointment(patient, a.id)).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'failed' },
    });
    expect(await slotStatus(a.slotId)).toBe('held');
    await sandbox(patient, a.payment.id, 'succeed');
    expect(await appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'captured' },
    });
  });

  it('webhooks: bad signature 401; a duplicate event is a no-op; out-of-order failure after capture changes nothing', async () => {
    const { patient, appointment: a } = await booked();
    const event = captured(a.payment.providerOrderId, 50000);
    expect((await webhook(event, 'wrong-secret')).statusCode).toBe(401);
    expect((await webhook(event, 'wrong-secret')).json().code).toBe('INVALID_SIGNATURE');
    expect((await webhook(event, undefined, 'evt_same')).json()).toEqual({ status: 'processed' });
    expect((await webhook(event, undefined, 'evt_same')).json()).toEqual({ status: 'duplicate' });
    const failed = {
      event: 'payment.failed',
      payload: { payment: { entity: { id: 'pay_x', order_id: a.payment.providerOrderId, amount: 50000 } } },
    };
    expect((await webhook(failed)).statusCode).toBe(200);
    expect(await appointment(patient, a.id)).toMatchObject({
      status: 'confirmed',
      payment: { status: 'captured' },
    });
    expect((await webhook({ event: 'order.paid', payload: {} })).json()).toEqual({ status: 'ignored' });
  });

  it('an unpaid hold expires: readers see it at once, the job makes it so, the slot opens, no charge', async () => {
    const { patient, appointment: a } = await booked();
    t.clock.advance(600_001);
    expect((await appointment(patient, a.id)).status).toBe('expired'); // before any job ran
    expect(await t.services.appointments.expireHolds()).toBeGreaterThanOrEqual(1);
    const row = await t.platform.db
      .selectFrom('appointments')
      .select('status')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');
    expect(await slotStatus(a.slotId)).toBe('open');
    expect((await appointment(patient, a.id)).payment.status).toBe('pending');
  });

  it('a lapsed hold does not block the slot even before the job runs', async () => {
    const { appointment: a } = await booked();
    t.clock.advance(600_001);
    const other = await signUp(t);
    const res = await call(other.accessToken, 'POST', '/appointments', { slotId: a.slotId });
    expect(res.statusCode).toBe(201);
    const old = await t.platform.db
      .selectFrom('appointments')
      .select('status')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(old.status).toBe('expired');
  });

  it('a payment that succeeds after the hold expired is refunded and the appointment stays expired', async () => {
    const { patient, appointment: a } = await booked();
    t.clock.advance(600_001);
    await t.services.appointments.expireHolds();
    await webhook(captured(a.payment.providerOrderId, 50000));
    const after = await appointment(await freshAccount(patient), a.id);
    expect(after).toMatchObject({
      status: 'expired',
      payment: { status: 'refund_pending', refundedMinor: 50000 },
    });
    await t.services.payments.executeRefund(a.payment.id);
    expect((await appointment(patient, a.id)).payment.status).toBe('refunded');
  });

  it('a refund is asked of the gateway once, however many jobs run it', async () => {
    const { patient, appointment: a } = await booked(72);
    await sandbox(patient, a.payment.id, 'succeed');
    await call(patient.accessToken, 'POST', `/appointments/${a.id}/cancel`, { reason: 'x' });
    const refunded = async () =>
      (await t.platform.metrics.payments.get()).values.find((v) => v.labels.outcome === 'refunded')?.value ??
      0;
    const before = await refunded();
    await Promise.all([0, 1, 2].map(() => t.services.payments.executeRefund(a.payment.id)));
    expect((await refunded()) - before).toBe(1);
    expect((await appointment(patient, a.id)).payment).toMatchObject({
      status: 'refunded',
      refundedMinor: 50000,
    });
  });

  it('several expiry workers at once expire each hold exactly once', async () => {
    const holds = await Promise.all([booked(), booked(), booked()]);
    t.clock.advance(600_001);
    const counts = await Promise.all([0, 1, 2].map(() => t.services.appointments.expireHolds()));
    expect(counts.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(3);
    for (const { appointment: a } of holds) {
      const rows = await t.platform.db
        .selectFrom('audit_logs')
        .select('action')
        .where('entity_id', '=', a.id)
        .where('action', '=', 'appointment.expired')
        .execute();
      expect(rows).toHaveLength(1);
    }
  });
});

async function freshAccount(a: Account): Promise<Account> {
  return { ...a, accessToken: await freshToken(t, a) };
}

describe('cancel and reschedule', () => {
  it('a patient cancelling ≥ 24 h ahead gets a full refund; the slot reopens', async () => {
    const { patient, appointment: a } = await booked(72);
    await sandbox(patient, a.payment.id, 'succeed');
    const res = await call(patient.accessToken, 'POST', `/appointments/${a.id}/cancel`, {
      reason: 'Feeling better',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'patient',
      refund: { amountMinor: 50000, status: 'pending' },
    });
    expect(await slotStatus(a.slotId)).toBe('open');
  });

  it('a patient cancelling later gets nothing back; a doctor cancelling always refunds in full', async () => {
    const late = await booked(10);
    await sandbox(late.patient, late.appointment.payment.id, 'succeed');
    const res = await call(late.patient.accessToken, 'POST', `/appointments/${late.appointment.id}/cancel`, {
      reason: 'Busy',
    });
    expect(res.json().refund).toEqual({ amountMinor: 0, status: 'none' });
    const byDoctor = await booked(10);
    await sandbox(byDoctor.patient, byDoctor.appointment.payment.id, 'succeed');
    const doc = await call(
      byDoctor.doctor.accessToken,
      'POST',
      `/appointments/${byDoctor.appointment.id}/cancel`,
      { reason: 'Emergency' },
    );
    expect(doc.json()).toMatchObject({ cancelledBy: 'doctor', refund: { amountMinor: 50000 } });
  });

  it('cancelling twice is 409 INVALID_STATE, but the same key replays the first answer', async () => {
    const { patient, appointment: a } = await booked();
    const key = randomUUID();
    const first = await call(
      patient.accessToken,
      'POST',
      `/appointments/${a.id}/cancel`,
      { reason: 'x' },
      key,
    );
    const replay = await call(
      patient.accessToken,
      'POST',
      `/appointments/${a.id}/cancel`,
      { reason: 'x' },
      key,
    );
    expect(replay.json()).toEqual(first.json());
    const again = await call(patient.accessToken, 'POST', `/appointments/${a.id}/cancel`, { reason: 'x' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('INVALID_STATE');
  });

  it('reschedule moves to another open slot atomically, keeping the payment', async () => {
    const { patient, appointment: a, otherSlotId } = await booked();
    await sandbox(patient, a.payment.id, 'succeed');
    const res = await call(patient.accessToken, 'POST', `/appointments/${a.id}/reschedule`, {
      slotId: otherSlotId,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'confirmed',
      slotId: otherSlotId,
      payment: { id: a.payment.id, status: 'captured' },
    });
    expect(await slotStatus(a.slotId)).toBe('open');
    expect(await slotStatus(otherSlotId)).toBe('booked');
  });

  it('reschedule to a taken slot or another doctor’s slot fails with nothing changed', async () => {
    const one = await booked();
    const two = await booked();
    const taken = await call(
      one.patient.accessToken,
      'POST',
      `/appointments/${one.appointment.id}/reschedule`,
      { slotId: two.appointment.slotId },
    );
    expect(taken.statusCode).toBe(400);
    expect(taken.json().code).toBe('DIFFERENT_DOCTOR');
    const other = await signUp(t);
    await call(other.accessToken, 'POST', '/appointments', { slotId: one.otherSlotId });
    const busy = await call(
      one.patient.accessToken,
      'POST',
      `/appointments/${one.appointment.id}/reschedule`,
      { slotId: one.otherSlotId },
    );
    expect(busy.json().code).toBe('SLOT_UNAVAILABLE');
    expect(await slotStatus(one.appointment.slotId)).toBe('held');
  });
});

describe('lifecycle and ownership', () => {
  it('an unpaid appointment can’t start; confirmed → in_progress → completed; repeating is 409', async () => {
    const { doctor, patient, appointment: a } = await booked();
    expect(
      (await call(doctor.accessToken, 'POST', `/appointments/${a.id}/start`, undefined, null)).json().code,
    ).toBe('INVALID_STATE');
    await sandbox(patient, a.payment.id, 'succeed');
    expect(
      (await call(patient.accessToken, 'POST', `/appointments/${a.id}/start`, undefined, null)).statusCode,
    ).toBe(403);
    expect(
      (await call(doctor.accessToken, 'POST', `/appointments/${a.id}/start`, undefined, null)).json().status,
    ).toBe('in_progress');
    expect(
      (await call(doctor.accessToken, 'POST', `/appointments/${a.id}/complete`, undefined, null)).json()
        .status,
    ).toBe('completed');
    expect(
      (await call(doctor.accessToken, 'POST', `/appointments/${a.id}/complete`, undefined, null)).json().code,
    ).toBe('INVALID_STATE');
    expect(
      (await call(patient.accessToken, 'POST', `/appointments/${a.id}/cancel`, { reason: 'late' })).json()
        .code,
    ).toBe('INVALID_STATE');
  });

  it('no-show only after the start time and only when confirmed', async () => {
    const { doctor, patient, appointment: a } = await booked(2);
    await sandbox(patient, a.payment.id, 'succeed');
    expect(
      (await call(doctor.accessToken, 'POST', `/appointments/${a.id}/no-show`, undefined, null)).json().code,
    ).toBe('TOO_EARLY');
    t.clock.advance(2 * 3_600_000 + 60_000);
    const res = await call(
      await freshToken(t, doctor),
      'POST',
      `/appointments/${a.id}/no-show`,
      undefined,
      null,
    );
    expect(res.json().status).toBe('no_show');
  });

  it('the database refuses an illegal transition even if code tried one', async () => {
    const { appointment: a } = await booked();
    await expect(
      sql`UPDATE appointments SET status = 'completed' WHERE id = ${a.id}`.execute(t.platform.db),
    ).rejects.toThrow(/illegal appointment transition/);
  });

  it('another user’s appointment is 404; lists show only your own; admins see all', async () => {
    const { patient, doctor, appointment: a } = await booked();
    const stranger = await signUp(t);
    expect(
      (await call(stranger.accessToken, 'GET', `/appointments/${a.id}`, undefined, null)).statusCode,
    ).toBe(404);
    expect(
      (await call(stranger.accessToken, 'POST', `/appointments/${a.id}/cancel`, { reason: 'x' })).statusCode,
    ).toBe(404);
    const mine = (await call(patient.accessToken, 'GET', '/appointments', undefined, null)).json();
    expect(mine.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    const doctors = (
      await call(doctor.accessToken, 'GET', '/appointments?status=pending_payment', undefined, null)
    ).json();
    expect(doctors.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    const adminToken = await freshToken(t, admin);
    const all = await call(adminToken, 'GET', '/appointments?limit=100', undefined, null);
    expect(all.json().items.map((i: { id: string }) => i.id)).toContain(a.id);
    // Walking with a small page size visits every appointment once, in start order.
    const walked: Array<{ id: string; startsAt: string }> = [];
    let cursor: string | null = null;
    do {
      const pageRes = await call(
        adminToken,
        'GET',
        `/appointments?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        null,
      );
      walked.push(...pageRes.json().items);
      cursor = pageRes.json().nextCursor;
    } while (cursor);
    expect(walked.map((w) => w.id).sort()).toEqual(
      all
        .json()
        .items.map((i: { id: string }) => i.id)
        .sort(),
    );
    expect(walked.map((w) => w.startsAt)).toEqual([...walked.map((w) => w.startsAt)].sort());
  });
});

describe('outbox', () => {
  it('every booking writes its jobs in the same transaction; the relay hands them over once', async () => {
    const { appointment: a } = await booked();
    const rows = await t.platform.db.selectFrom('outbox').select(['topic', 'payload', 'sent_at']).execute();
    const mine = rows.filter(
      (r) =>
        (r.payload as { appointmentId?: string; paymentId?: string }).appointmentId === a.id ||
        (r.payload as { paymentId?: string }).paymentId === a.payment.id,
    );
    expect(mine.map((r) => r.topic).sort()).toEqual(['appointment.created', 'payment.create_order']);
    t.clock.advance(20_000);
    const relayed = await t.services.outbox.relay();
    expect(relayed).toBeGreaterThanOrEqual(2);
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
    const { appointment: a } = await booked();
    t.clock.advance(20_000);
    const down = createOutbox({
      db: t.platform.db,
      clock: t.clock,
      queue: {
        ...new MemoryQueue(t.clock),
        enqueue: async () => Promise.reject(new Error('ECONNREFUSED')),
      } as unknown as MemoryQueue,
      metrics: createMetrics(),
      logger: t.platform.logger,
    });
    await expect(down.relay()).rejects.toThrow(/ECONNREFUSED/);
    const waiting = await t.platform.db
      .selectFrom('outbox')
      .select('topic')
      .where('sent_at', 'is', null)
      .execute();
    expect(waiting.length).toBeGreaterThanOrEqual(2);
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
  it('creates orders, captures and refunds with Basic auth, and verifies webhook signatures', async () => {
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
        return res.end(
          JSON.stringify({
            error: { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist' },
          }),
        );
      }
      if (req.url === '/v1/orders')
        return res.end(
          JSON.stringify({ id: 'order_Stub123', entity: 'order', amount: 50000, status: 'created' }),
        );
      if (req.url?.endsWith('/refund'))
        return res.end(JSON.stringify({ id: 'rfnd_Stub9', entity: 'refund' }));
      if (req.url?.endsWith('/capture')) return res.end(JSON.stringify({ id: 'pay_1', status: 'captured' }));
      res.statusCode = 400;
      res.end(JSON.stringify({ error: { code: 'BAD_REQUEST_ERROR' } }));
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
      expect(await rzp.createOrder({ amountMinor: 50000, currency: 'INR', receipt: 'r1' })).toEqual({
        orderId: 'order_Stub123',
      });
      await rzp.capture({ paymentId: 'pay_1', amountMinor: 50000, currency: 'INR' });
      expect(await rzp.refund({ paymentId: 'pay_1', amountMinor: 20000, receipt: 'r1' })).toEqual({
        refundId: 'rfnd_Stub9',
      });
      expect(seen[0]).toMatchObject({
        method: 'POST',
        url: '/v1/orders',
        auth: `Basic ${Buffer.from('rzp_test_key:shh').toString('base64')}`,
        body: { amount: 50000, currency: 'INR', receipt: 'r1' },
      });
      expect(seen[2]).toMatchObject({ url: '/v1/payments/pay_1/refund', body: { amount: 20000 } });
      await expect(rzp.refund({ paymentId: 'bad/id', amountMinor: 1, receipt: 'x' })).rejects.toThrow(
        /HTTP 400/,
      );

      const body = JSON.stringify(captured('order_Stub123', 50000, 'pay_1'));
      const ok = rzp.verifyWebhook(body, {
        'x-razorpay-signature': hmacHex('whsec', body),
        'x-razorpay-event-id': 'evt_1',
      });
      expect(ok).toEqual({
        id: 'evt_1',
        type: 'payment.captured',
        orderId: 'order_Stub123',
        paymentId: 'pay_1',
        amountMinor: 50000,
      });
      expect(rzp.verifyWebhook(body, { 'x-razorpay-signature': hmacHex('other', body) })).toBeNull();
      expect(rzp.verifyWebhook(`${body} `, { 'x-razorpay-signature': hmacHex('whsec', body) })).toBeNull();
    } finally {
      stub.close();
    }
  });
});
