import { readdir, readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { signUp, startTestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { type NotifyingApp, PHI, startNotifyingApp } from './helpers/notify.ts';

// Issue 9, item 6: messages by e-mail (over real SMTP) and SMS (the log provider), in the user's
// language, as they chose; the file transport in embedded mode. Reminders: reminders.test.ts.
let n: NotifyingApp;
beforeAll(async () => {
  n = await startNotifyingApp();
});
afterAll(() => n.close());

describe('booking messages', () => {
  it('a sandbox payment confirms: both parties are mailed, in the doctor’s zone, without the reason', async () => {
    const { doctor, patient, appointment } = await n.paidBooking();
    await n.settle();
    const [toPatient] = await n.mailbox.waitFor(patient.email);
    const [toDoctor] = await n.mailbox.waitFor(doctor.email);
    expect(toPatient!.subject).toBe('Confirmed: your consultation with Test doctor');
    expect(toPatient!.text).toContain('Your video consultation with Test doctor is confirmed for');
    expect(toPatient!.text).toMatch(/\d{1,2}:\d{2} [ap]m IST/);
    expect(toPatient!.text).toContain("Times are in the doctor's time zone (Asia/Kolkata)");
    expect(toPatient!.text).toContain(`https://amrutam.example/appointments/${appointment.id}`);
    expect(toPatient!.raw).toMatch(/Content-Type: text\/html/i);
    expect(toDoctor!.subject).toMatch(/^New booking: Test patient, /);
    for (const mail of [toPatient!, toDoctor!]) expect(mail.raw).not.toContain(PHI);
    // No phone on either account: no SMS.
    expect(n.t.logs.join('')).not.toContain('sms (log provider)');
  });

  it('a user who chose Hindi reads Hindi (Devanagari)', async () => {
    const { patient } = await n.paidBooking({ locale: 'hi' });
    await n.settle();
    const [mail] = await n.mailbox.waitFor(patient.email);
    expect(mail!.subject).toBe('पक्का हुआ: Test doctor के साथ आपका परामर्श');
    expect(mail!.text).toContain('नमस्ते Test patient,');
    expect(mail!.text).toContain('के लिए पक्का हो गया है।');
    expect(mail!.text).toContain('समय डॉक्टर के समय क्षेत्र (Asia/Kolkata) में है');
  });

  it('a confirmation that no longer applies gives up a claim an earlier run left (found by the chaos run)', async () => {
    const { patient, appointment } = await n.paidBooking();
    const db = n.t.platform.db;
    const event = await db
      .selectFrom('outbox')
      .select('id')
      .where('topic', '=', 'appointment.confirmed')
      .where(sql<boolean>`payload->>'appointmentId' = ${appointment.id}`)
      .executeTakeFirstOrThrow();
    // An earlier run claimed the mail, then lost the connection before it knew it had.
    await db
      .insertInto('notification_deliveries')
      .values({
        outbox_id: event.id,
        recipient_id: patient.id,
        channel: 'email',
        template: 'confirmed',
        status: 'sending',
        attempts: 1,
        claimed_at: n.t.clock.now(),
      })
      .execute();
    const res = await n.kit.call(patient.accessToken, 'POST', `/appointments/${appointment.id}/cancel`, {
      reason: 'travelling',
    });
    expect(res.statusCode, res.body).toBe(200);
    await n.settle();
    const left = await db
      .selectFrom('notification_deliveries')
      .select('status')
      .where('outbox_id', '=', event.id)
      .execute();
    expect(left).toEqual([]);
  });

  it('a cancellation tells both; the patient reads the refund as money', async () => {
    const { doctor, patient, appointment } = await n.paidBooking();
    await n.settle(); // else the confirmation no longer applies when its job runs: it is not sent
    const res = await n.kit.call(patient.accessToken, 'POST', `/appointments/${appointment.id}/cancel`, {
      reason: 'travelling',
    });
    expect(res.statusCode, res.body).toBe(200);
    await n.settle();
    const toPatient = (await n.mailbox.waitFor(patient.email, 2))[1]!;
    const toDoctor = (await n.mailbox.waitFor(doctor.email, 2))[1]!;
    expect(toPatient.subject).toMatch(/^Cancelled: consultation on /);
    expect(toPatient.text).toContain('was cancelled at your request');
    expect(toPatient.text).toContain('A refund of ₹500.00 is on its way');
    expect(toDoctor.text).toContain('was cancelled by the patient');
    expect(toDoctor.text).not.toContain('₹');
  });

  it('a failed payment, then a lapsed hold: the patient hears of each; the doctor of neither', async () => {
    const { doctor, slots } = await n.kit.doctorWithSlots(1);
    const patient = await signUp(n.t);
    const booked = (await n.kit.book(patient, slots[0]!.id)).json();
    await n.kit.checkout(patient, booked.payment.id);
    expect((await n.kit.pay(patient, booked.payment.id, 'fail')).statusCode).toBe(200);
    await n.settle();
    const [failed] = await n.mailbox.waitFor(patient.email);
    expect(failed!.subject).toBe('Your payment did not go through');
    expect(failed!.text).toContain('Your payment of ₹500.00 for the consultation with Test doctor');
    expect(failed!.text).toMatch(/Your slot is held until \d{1,2} \w{3}, \d{1,2}:\d{2} [ap]m IST/);
    n.t.clock.advance(11 * 60_000);
    await n.t.services.appointments.expireHolds();
    await n.settle();
    const released = (await n.mailbox.waitFor(patient.email, 2))[1]!;
    expect(released.subject).toBe('Your booking was released');
    expect(n.mailbox.mailsTo(doctor.email)).toEqual([]);
  });

  it('prescription.ready (written by the PDF job) tells the patient only', async () => {
    const { doctor, patient, appointment } = await n.paidBooking();
    await n.t.services.outbox.add(n.t.platform.db, 'prescription.ready', { appointmentId: appointment.id });
    await n.settle();
    expect(n.subjects(patient.email)).toContain('Your prescription from Test doctor is ready');
    expect(n.subjects(doctor.email)).toHaveLength(1); // the confirmation only
  });
});

describe('preferences', () => {
  it('defaults: e-mail on; SMS reminders on once a phone is set', async () => {
    const patient = await signUp(n.t);
    const before = await n.me(patient, 'GET', '/me/notifications');
    expect(before.statusCode).toBe(200);
    expect(before.json()).toEqual({
      email: { confirmations: true, changes: true, payments: true, reminders: true, prescriptions: true },
      sms: { confirmations: false, changes: false, payments: false, reminders: false, prescriptions: false },
    });
    await n.me(patient, 'PATCH', '/me', { phone: '+919812345678' });
    expect((await n.me(patient, 'GET', '/me/notifications')).json().sms.reminders).toBe(true);
  });

  it('every send follows them: no confirmation mail when off; an SMS when on, logged with 4 digits only', async () => {
    const { doctor, slots } = await n.kit.doctorWithSlots(1);
    const patient = await signUp(n.t);
    await n.me(patient, 'PATCH', '/me', { phone: '+919812340042' });
    const choice = {
      email: { confirmations: false, changes: true, payments: true, reminders: true, prescriptions: true },
      sms: { confirmations: true, changes: false, payments: false, reminders: true, prescriptions: false },
    };
    const put = await n.me(patient, 'PUT', '/me/notifications', choice);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual(choice);
    expect((await n.me(patient, 'GET', '/me/notifications')).json()).toEqual(choice);
    expect(await n.kit.auditActions(patient.id)).toContain('notification.preferences_changed');

    const booked = (await n.kit.book(patient, slots[0]!.id)).json();
    await n.kit.checkout(patient, booked.payment.id);
    await n.kit.pay(patient, booked.payment.id, 'succeed');
    await n.settle();
    await n.mailbox.waitFor(doctor.email);
    expect(n.mailbox.mailsTo(patient.email)).toEqual([]);
    const sms = n.t.logs.filter((l) => l.includes('sms (log provider)'));
    expect(sms.some((l) => l.includes('0042'))).toBe(true);
    const logs = n.t.logs.join('');
    expect(logs).not.toContain('+919812340042');
    expect(logs).not.toContain('is confirmed for');
  });

  it('bad input is 400, never 500', async () => {
    const patient = await signUp(n.t);
    const whole = (await n.me(patient, 'GET', '/me/notifications')).json();
    for (const payload of [
      {},
      { email: whole.email },
      { ...whole, push: {} },
      { ...whole, email: { ...whole.email, newsletter: true } },
      { ...whole, sms: { ...whole.sms, reminders: 'yes' } },
      { ...whole, email: null },
      [],
    ]) {
      const res = await n.me(patient, 'PUT', '/me/notifications', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await n.t.inject({ method: 'GET', url: '/api/v1/me/notifications' })).statusCode).toBe(401);
  });
});

describe('embedded mode (file transport)', () => {
  it('sends the confirmation too: an .eml file in DATA_DIR/outbox-mail', async () => {
    const dev = await startTestApp({ mode: 'embedded' });
    try {
      registerJobHandlers(dev.services, dev.platform.logger);
      const devAdmin = await signUp(dev, 'admin');
      const devKit = bookingKit(dev, devAdmin);
      const { patient, appointment } = await devKit.booked();
      await devKit.pay(patient, appointment.payment.id, 'succeed');
      await dev.services.outbox.relay();
      const folder = `${dev.platform.config.dataDir}/outbox-mail`;
      let mails: string[] = [];
      for (let i = 0; i < 500 && mails.length < 2; i++) {
        const files = await readdir(folder).catch(() => []);
        mails = await Promise.all(files.map((f) => readFile(`${folder}/${f}`, 'utf8')));
        if (mails.length < 2) await new Promise((r) => setTimeout(r, 20));
      }
      const toPatient = mails.find((m) => m.includes(`To: ${patient.email}`));
      expect(toPatient).toMatch(/^Subject: Confirmed: your consultation with Test doctor/m);
    } finally {
      await dev.close();
    }
  });
});
