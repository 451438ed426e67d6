import { readdir, readFile } from 'node:fs/promises';
import { jwtVerify } from 'jose';
import { extractText, getDocumentProxy } from 'unpdf';
import { expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { type Account, bearer, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { settler, startNotifyingApp } from './helpers/notify.ts';

// Issue 9's "done means": the whole journey through HTTP with a moved clock, the jobs running as
// in the worker and mail going to a real SMTP server. Register both, verify the doctor, schedule,
// book, pay, confirmation mail, reminders at the right times (moved by a reschedule), the room only
// in its window, start, notes, prescription and its PDF, verification, complete, review, the rating,
// every step in the audit trail, and the chain verifies. Once on PostgreSQL + Redis with a real SMTP
// server, once in embedded mode with the development file transport.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Where the journey's mail is read: the subjects each address received, oldest first. */
type Subjects = (address: string) => Promise<string[]>;

it('PostgreSQL + Redis, SMTP: book → pay → reminded → join → notes → prescription PDF → complete → review, all audited', async () => {
  const n = await startNotifyingApp();
  try {
    await journey(n.t, async (address) => n.mailbox.mailsTo(address).map((m) => m.subject));
  } finally {
    await n.close();
  }
});

it('embedded mode, mail as .eml files: the same journey', async () => {
  const t = await startTestApp({ mode: 'embedded' });
  try {
    registerJobHandlers(t.services, t.platform.logger);
    const folder = `${t.platform.config.dataDir}/outbox-mail`;
    await journey(t, async (address) => {
      const files = (await readdir(folder).catch(() => [] as string[])).sort();
      const mails = await Promise.all(files.map((f) => readFile(`${folder}/${f}`, 'utf8')));
      return mails
        .filter((m) => new RegExp(`^To: ${address}`, 'mi').test(m))
        .map((m) => /^Subject: (.*)$/m.exec(m)?.[1] ?? '');
    });
  } finally {
    await t.close();
  }
});

async function journey(t: TestApp, subjects: Subjects) {
  const settle = settler(t);
  /** Waits (bounded) until `address` has `count` mails; their subjects. */
  const mailed = async (address: string, count: number) => {
    for (let i = 0; i < 500; i++) {
      const got = await subjects(address);
      if (got.length >= count) return got;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${address}: fewer than ${count} mails`);
  };
  t.clock.set('2026-03-01T00:00:00Z'); // a Sunday
  const api = (
    who: Account | null,
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    body?: object,
    key?: string,
  ) =>
    t.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...(who ? bearer(who.accessToken) : {}), ...(key ? { 'idempotency-key': key } : {}) },
      ...(body ? { payload: body } : {}),
    });
  const signedIn = async (...who: Account[]) => {
    for (const a of who) a.accessToken = await freshToken(t, a);
  };
  const ok = async (res: Awaited<ReturnType<typeof api>>, status = 200) => {
    expect(res.statusCode, res.body).toBe(status);
    return res.headers['content-type']?.includes('json') ? res.json() : res.rawPayload;
  };

  // Both sign up; the doctor fills in a profile and a schedule (Mondays and Tuesdays 09:00–11:00 IST);
  // an admin verifies them; the patient gives the date of birth and sex a prescription needs.
  const admin = await signUp(t, 'admin');
  const kit = bookingKit(t, admin);
  const doctor = await signUp(t, 'doctor');
  const patient = await signUp(t, 'patient');
  await ok(
    await api(doctor, 'PUT', '/doctors/me', {
      registrationNumber: 'NCISM/AY/77001',
      council: 'NCISM',
      specializations: ['kayachikitsa'],
      languages: ['hi', 'en'],
      feeMinor: 50000,
      modes: ['video'],
      timezone: 'Asia/Kolkata',
      bio: 'Kayachikitsa physician',
    }),
  );
  const hours = { start: '09:00', end: '11:00', slotMinutes: 30, mode: 'video' };
  await ok(
    await api(doctor, 'PUT', '/doctors/me/schedule', {
      rules: [1, 2].map((weekday) => ({ weekday, ...hours })),
      horizonDays: 14,
    }),
  );
  await ok(await api(admin, 'POST', `/admin/doctors/${doctor.id}/verify`, { status: 'verified' }));
  await ok(await api(patient, 'PUT', '/me/profile', { dateOfBirth: '1990-05-17', sex: 'female' }));

  // Book Monday's first slot, pay in the sandbox: confirmed, and the confirmation mail arrives.
  const slots = (await ok(await api(null, 'GET', `/doctors/${doctor.id}/slots`))).items as Array<{
    id: string;
    startsAt: string;
  }>;
  const monday = slots[0]!;
  const tuesday = slots.find((s) => s.startsAt.startsWith('2026-03-03'))!;
  expect(monday.startsAt).toBe('2026-03-02T03:30:00.000Z');
  const booked = await ok(
    await api(
      patient,
      'POST',
      '/appointments',
      { slotId: monday.id, reason: 'Acidity after meals' },
      'journey-book',
    ),
    201,
  );
  await ok(await api(patient, 'POST', `/payments/${booked.payment.id}/checkout`));
  expect(
    (await ok(await api(patient, 'POST', `/payments/${booked.payment.id}/sandbox/succeed`))).outcome,
  ).toBe('captured');
  await settle();
  expect((await mailed(patient.email, 1))[0]).toMatch(/^Confirmed: your consultation with /);

  // Moved to Tuesday: the reminders follow the new start, at exactly 24 h and 1 h before it.
  expect(
    (
      await ok(
        await api(
          patient,
          'POST',
          `/appointments/${booked.id}/reschedule`,
          { slotId: tuesday.id },
          'journey-move',
        ),
      )
    ).startsAt,
  ).toBe(tuesday.startsAt);
  await settle();
  const start = Date.parse(tuesday.startsAt);
  const reminders = async () => (await subjects(patient.email)).filter((m) => m.startsWith('Reminder:'));
  for (const [at, expected] of [
    [Date.parse(monday.startsAt) - 24 * HOUR, 0], // the old start's reminder: nothing
    [start - 24 * HOUR - 1, 0],
    [start - 24 * HOUR, 1],
    [start - HOUR - 1, 1],
    [start - HOUR, 2],
  ] as const) {
    t.clock.set(new Date(at).toISOString());
    await settle();
    if (expected > 0) await mailed(patient.email, 2 + expected);
    expect(await reminders(), new Date(at).toISOString()).toHaveLength(expected);
  }

  // The room opens 15 minutes before the start, for the two parties; the doctor starts then.
  t.clock.set(new Date(start - 16 * MINUTE).toISOString());
  await signedIn(doctor, patient, admin);
  expect((await api(patient, 'GET', `/appointments/${booked.id}/room`)).json().code).toBe('ROOM_NOT_OPEN');
  expect((await api(doctor, 'POST', `/appointments/${booked.id}/start`)).json().code).toBe('TOO_EARLY');
  t.clock.set(new Date(start - 15 * MINUTE).toISOString());
  const room = await ok(await api(patient, 'GET', `/appointments/${booked.id}/room`));
  const { payload } = await jwtVerify(room.token, new TextEncoder().encode(t.platform.videoSecret), {
    audience: 'jitsi',
    currentDate: t.clock.now(),
  });
  expect(payload).toMatchObject({ room: room.roomName, context: { user: { id: patient.id } } });
  expect((await ok(await api(doctor, 'POST', `/appointments/${booked.id}/start`))).status).toBe(
    'in_progress',
  );

  // Notes, then a prescription whose PDF a job renders; its text and the public verification.
  await ok(
    await api(doctor, 'PUT', `/appointments/${booked.id}/notes`, {
      text: 'Pitta aggravation; advised diet.',
    }),
  );
  const issued = await ok(
    await api(doctor, 'POST', `/appointments/${booked.id}/prescription`, {
      diagnosis: 'Amlapitta',
      provisional: true,
      medicines: [
        {
          name: 'Avipattikar churna',
          dose: '3 g',
          frequency: 'twice daily',
          durationDays: 21,
          instructions: 'Before food',
        },
        { name: 'Kamdudha ras', dose: '1 tablet', frequency: 'twice daily', durationDays: 14 },
      ],
      advice: 'Dinner before 8 pm',
      followUpInDays: 14,
    }),
    201,
  );
  expect((await api(patient, 'GET', `/appointments/${booked.id}/prescription.pdf`)).statusCode).toBe(202);
  await settle();
  const pdf = (await ok(await api(patient, 'GET', `/appointments/${booked.id}/prescription.pdf`))) as Buffer;
  const text = (await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true })).text;
  for (const expected of [
    'NCISM/AY/77001',
    'Test patient',
    'Avipattikar churna',
    'Kamdudha ras',
    issued.verificationId,
  ]) {
    expect(text).toContain(expected);
  }
  const verified = await ok(await api(null, 'GET', `/prescriptions/verify/${issued.verificationId}`));
  expect(verified).toMatchObject({ valid: true, doctor: { registrationNumber: 'NCISM/AY/77001' } });
  expect(JSON.stringify(verified)).not.toContain('Avipattikar');
  await settle(); // the PDF job's own event, prescription.ready, is relayed next
  expect((await mailed(patient.email, 5)).at(-1)).toMatch(/prescription .* is ready/);

  // Completed, then reviewed: the doctor's rating moves.
  expect((await ok(await api(doctor, 'POST', `/appointments/${booked.id}/complete`))).status).toBe(
    'completed',
  );
  await ok(
    await api(patient, 'POST', `/appointments/${booked.id}/review`, { rating: 5, comment: 'Clear advice' }),
    201,
  );
  expect((await ok(await api(null, 'GET', `/doctors/${doctor.id}`))).rating).toEqual({
    average: 5,
    count: 1,
  });

  // Every step is in the audit trail, and the chain verifies.
  const actions = new Set(await kit.auditActions(booked.id));
  for (const action of [
    'appointment.booked',
    'appointment.confirmed',
    'appointment.rescheduled',
    'appointment.room_joined',
    'appointment.started',
    'notes.saved',
    'prescription.issued',
    'prescription.pdf_read',
    'appointment.completed',
    'review.created',
  ]) {
    expect(actions, action).toContain(action);
  }
  await ok(await api(admin, 'POST', '/admin/audit-logs/seal'));
  expect(await ok(await api(admin, 'GET', '/admin/audit-logs/verify'))).toMatchObject({
    ok: true,
    unsealed: 0,
  });
}
