import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/app.ts';
import { type NotifyingApp, startNotifyingApp } from './helpers/notify.ts';

// Issue 9, items 6 and 7: reminders come due by the (moved) clock and follow the appointment; a job
// sends each message once, however often it runs.
let n: NotifyingApp;
beforeAll(async () => {
  n = await startNotifyingApp();
});
afterAll(() => n.close());

const HOUR_MS = 3_600_000;

describe('reminders', () => {
  const reminders = (address: string) => n.subjects(address).filter((s) => s.startsWith('Reminder:'));

  it('arrive when the clock reaches 24 h and 1 h before, not before; a reschedule moves them', async () => {
    const { doctor, patient, appointment, slots, startsAt } = await n.paidBooking();
    await n.settle();
    const moved = await n.kit.call(
      patient.accessToken,
      'POST',
      `/appointments/${appointment.id}/reschedule`,
      {
        slotId: slots[1]!.id,
      },
    );
    expect(moved.statusCode, moved.body).toBe(200);
    await n.settle();
    expect((await n.mailbox.waitFor(patient.email, 2))[1]!.subject).toMatch(/^Moved: consultation now on /);
    const newStart = new Date(slots[1]!.startsAt);
    expect(newStart.getTime() - startsAt.getTime()).toBe(HOUR_MS);

    // The old start's 24 h reminder comes due: it sends nothing.
    n.t.clock.set(new Date(startsAt.getTime() - 24 * HOUR_MS));
    await n.settle();
    expect(reminders(patient.email)).toEqual([]);
    n.t.clock.set(new Date(newStart.getTime() - 24 * HOUR_MS - 1));
    await n.settle();
    expect(reminders(patient.email)).toEqual([]);
    n.t.clock.set(new Date(newStart.getTime() - 24 * HOUR_MS));
    await n.settle();
    await n.mailbox.waitFor(patient.email, 3);
    await n.mailbox.waitFor(doctor.email, 3);
    expect(reminders(patient.email)).toHaveLength(1);
    expect(n.mailbox.mailsTo(patient.email).at(-1)!.text).toContain('in 24 hours');
    expect(reminders(doctor.email)).toHaveLength(1);

    n.t.clock.set(new Date(newStart.getTime() - HOUR_MS - 1)); // the old start's 1 h reminder is due by now
    await n.settle();
    expect(reminders(patient.email)).toHaveLength(1);
    n.t.clock.set(new Date(newStart.getTime() - HOUR_MS));
    await n.settle();
    await n.mailbox.waitFor(patient.email, 4);
    expect(reminders(patient.email)).toHaveLength(2);
    expect(n.mailbox.mailsTo(patient.email).at(-1)!.text).toContain('in 1 hour.');
    expect(reminders(doctor.email)).toHaveLength(2);
    // Four reminder rows were relayed (two per start); only the new start's two sent anything.
    const rows = await n.outboxRows('notification.reminder', appointment.id);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.sent_at !== null)).toBe(true);
  });

  it('none after a cancel', async () => {
    const { doctor, patient, appointment, startsAt } = await n.paidBooking();
    await n.settle();
    const res = await n.kit.call(patient.accessToken, 'POST', `/appointments/${appointment.id}/cancel`, {
      reason: 'feeling better',
    });
    expect(res.statusCode).toBe(200);
    for (const before of [24 * HOUR_MS, HOUR_MS]) {
      n.t.clock.set(new Date(startsAt.getTime() - before));
      await n.settle();
    }
    expect(reminders(patient.email)).toEqual([]);
    expect(reminders(doctor.email)).toEqual([]);
    expect(n.subjects(patient.email)).toHaveLength(2); // confirmed, cancelled
  });

  it('scheduling them again (the confirmation job run twice) writes no second set', async () => {
    const { appointment } = await n.paidBooking();
    await n.settle();
    const [confirmed] = await n.outboxRows('appointment.confirmed', appointment.id);
    await n.t.services.notifications.handle('appointment.confirmed', confirmed!.payload, confirmed!.id);
    await n.t.services.notifications.handle('appointment.confirmed', confirmed!.payload, randomUUID());
    expect(await n.outboxRows('notification.reminder', appointment.id)).toHaveLength(2);
  });
});

describe('one message per job and recipient', () => {
  it('a job delivered again (or twice at once) sends nothing more', async () => {
    const { doctor, patient, appointment } = await n.paidBooking();
    await n.settle();
    await n.mailbox.waitFor(patient.email);
    const confirmed = (await n.outboxRows('appointment.confirmed', appointment.id))[0]!;
    await n.t.services.notifications.handle('appointment.confirmed', confirmed.payload, confirmed.id);
    // The same message under a job id never seen, delivered twice at the same moment.
    const id = randomUUID();
    const both = await Promise.allSettled([
      n.t.services.notifications.handle('appointment.confirmed', confirmed.payload, id),
      n.t.services.notifications.handle('appointment.confirmed', confirmed.payload, id),
    ]);
    // A run that met the other's claim fails (its job would be retried) rather than send again.
    for (const o of both) {
      if (o.status === 'rejected') expect(String(o.reason)).toMatch(/being sent by another run/);
    }
    await n.t.services.notifications.handle('appointment.confirmed', confirmed.payload, id);
    expect(n.mailbox.mailsTo(patient.email)).toHaveLength(2);
    expect(n.mailbox.mailsTo(doctor.email)).toHaveLength(2);
  });

  it('a send that failed is retried by the job; the one that went out is not repeated', async () => {
    const { doctor, slots } = await n.kit.doctorWithSlots(1);
    n.mailbox.refuse([doctor.email]);
    try {
      const patient = await signUp(n.t);
      const booked = (await n.kit.book(patient, slots[0]!.id)).json();
      await n.kit.checkout(patient, booked.payment.id);
      await n.kit.pay(patient, booked.payment.id, 'succeed');
      await n.t.services.outbox.relay();
      await n.mailbox.waitFor(patient.email);
      const refusals = () => n.mailbox.tries.filter((r) => r.to === doctor.email.toLowerCase()).length;
      for (let i = 0; i < 500 && refusals() < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(refusals()).toBeGreaterThanOrEqual(2);
      n.mailbox.refuse(null);
      await n.mailbox.waitFor(doctor.email);
      await n.settle();
      expect(n.mailbox.mailsTo(patient.email)).toHaveLength(1);
      expect(n.mailbox.mailsTo(doctor.email)).toHaveLength(1);
    } finally {
      n.mailbox.refuse(null);
    }
  });
});
