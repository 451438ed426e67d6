import { sql } from 'kysely';
import { expect } from 'vitest';
import { registerJobHandlers } from '../../src/jobs.ts';
import { bearer, signUp, startTestApp, type TestApp } from './app.ts';
import { bookingKit } from './booking.ts';
import { startMailbox } from './mailbox.ts';

/** What a patient tells the doctor when booking: PHI, which no message may carry. */
export const PHI = 'chronic migraine since March';

/** Hands every due outbox row to the queue and waits until the queue has nothing left to do. */
export const settler = (t: TestApp) => async () => {
  await t.services.outbox.relay();
  for (let i = 0; i < 1000; i++) {
    const c = await t.services.queue.counts();
    if (c.waiting + c.active + c.delayed === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the queue did not settle');
};

/**
 * An app whose jobs run (as in the worker), mailing a real SMTP server, and what notification
 * tests do with it: bookings that reach `confirmed`, the outbox run until the queue is idle.
 */
export async function startNotifyingApp() {
  const mailbox = await startMailbox();
  const t = await startTestApp({
    captureLogs: true,
    env: { SMTP_URL: mailbox.url, PUBLIC_URL: 'https://amrutam.example' },
  });
  registerJobHandlers(t.services, t.platform.logger);
  const admin = await signUp(t, 'admin');
  const kit = bookingKit(t, admin);

  const settle = settler(t);

  /** The outbox rows of one topic about one appointment. */
  const outboxRows = (topic: string, appointmentId: string) =>
    t.platform.db
      .selectFrom('outbox')
      .select(['id', 'payload', 'sent_at'])
      .where('topic', '=', topic)
      .where(sql<string>`payload->>'appointmentId'`, '=', appointmentId)
      .execute();

  const me = (who: { accessToken: string }, method: 'GET' | 'PUT' | 'PATCH', url: string, payload?: object) =>
    t.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who.accessToken),
      ...(payload ? { payload } : {}),
    });

  /** A patient's paid (confirmed) booking, with a reason, with a new doctor `hoursAhead` from the clock. */
  async function paidBooking(options: { hoursAhead?: number; locale?: 'hi'; phone?: string } = {}) {
    const { doctor, slots } = await kit.doctorWithSlots(3, { hoursAhead: options.hoursAhead ?? 72 });
    const patient = await signUp(t);
    if (options.locale || options.phone) {
      const res = await me(patient, 'PATCH', '/me', { locale: options.locale, phone: options.phone });
      expect(res.statusCode).toBe(200);
    }
    const res = await kit.call(patient.accessToken, 'POST', '/appointments', {
      slotId: slots[0]!.id,
      reason: PHI,
    });
    expect(res.statusCode, res.body).toBe(201);
    const appointment = res.json();
    await kit.checkout(patient, appointment.payment.id);
    expect((await kit.pay(patient, appointment.payment.id, 'succeed')).statusCode).toBe(200);
    return { doctor, patient, appointment, slots, startsAt: new Date(slots[0]!.startsAt) };
  }

  return {
    t,
    mailbox,
    kit,
    settle,
    outboxRows,
    me,
    paidBooking,
    subjects: (address: string) => mailbox.mailsTo(address).map((m) => m.subject),
    async close() {
      await t.close();
      await mailbox.close();
    },
  };
}

export type NotifyingApp = Awaited<ReturnType<typeof startNotifyingApp>>;
