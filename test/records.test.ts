import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { type Account, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { recordsKit } from './helpers/records.ts';

// Issue 9, items 3, 4 and 8 (PHI): the patient's profile for prescriptions, versioned clinical
// notes and prescriptions, their PDF (rendered by the job), the public verification, and none of
// it readable in a dump of the database.
let t: TestApp;
let admin: Account;
let r: ReturnType<typeof recordsKit>;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  registerJobHandlers(t.services, t.platform.logger);
  admin = await signUp(t, 'admin');
  r = recordsKit(t, admin);
});
afterAll(() => t.close());

const HOUR = 3_600_000;
const notes = (who: Account, id: string, text: unknown) =>
  r.api(who, 'PUT', `/appointments/${id}/notes`, { text });
const prescribe = (who: Account, id: string, body: unknown = r.prescription) =>
  r.api(who, 'POST', `/appointments/${id}/prescription`, body);
const codeOf = (res: { json(): { code?: string } }) => res.json().code;
/** The date in India at the test clock's instant, and `days` after it. */
/** What the doctor's profile says (each test doctor has their own registration number). */
const registrationOf = async (doctor: Account) =>
  (await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}` })).json().registrationNumber;
const indianDate = (days = 0) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(
    t.clock.now().getTime() + days * 86_400_000,
  );

describe('PUT /me/profile', () => {
  it('sets date of birth and sex, shown by GET /me, audited by field name only', async () => {
    const a = await signUp(t);
    const res = await r.api(a, 'PUT', '/me/profile', { dateOfBirth: '1991-08-14', sex: 'female' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ dateOfBirth: '1991-08-14', sex: 'female' });
    expect((await r.api(a, 'GET', '/me')).json()).toEqual(res.json());
    const again = await r.api(a, 'PUT', '/me/profile', { dateOfBirth: '1991-08-14', sex: 'other' });
    expect(again.json().sex).toBe('other');
    const rows = await t.platform.db
      .selectFrom('audit_logs')
      .select('details')
      .where('entity_id', '=', a.id)
      .where('action', '=', 'user.profile_updated')
      .execute();
    expect(rows.map((row) => row.details)).toEqual([{ fields: ['dateOfBirth', 'sex'] }, { fields: ['sex'] }]);
    expect(JSON.stringify(rows)).not.toContain('1991');
    const fresh = await signUp(t);
    expect((await r.api(fresh, 'GET', '/me')).json()).toMatchObject({ dateOfBirth: null, sex: null });
  });

  it('refuses impossible dates, other values and unknown fields (400, naming the field)', async () => {
    const a = await signUp(t);
    for (const [body, path] of [
      [{ dateOfBirth: '2026-03-02', sex: 'male' }, 'body.dateOfBirth'], // tomorrow on the test clock
      [{ dateOfBirth: '1890-01-01', sex: 'male' }, 'body.dateOfBirth'], // older than 130
      [{ dateOfBirth: '1991-02-30', sex: 'male' }, 'body.dateOfBirth'],
      [{ dateOfBirth: '14/08/1991', sex: 'male' }, 'body.dateOfBirth'],
      [{ dateOfBirth: '1991-08-14', sex: 'unknown' }, 'body.sex'],
      [{ dateOfBirth: '1991-08-14' }, 'body.sex'],
      [{ dateOfBirth: '1991-08-14', sex: 'male', bloodGroup: 'O+' }, 'body.bloodGroup'],
    ] as const) {
      const res = await r.api(a, 'PUT', '/me/profile', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
  });
});

describe('clinical notes', () => {
  it('the doctor saves versions while in progress; parties and admins read each; every read audited', async () => {
    const c = await r.inProgress();
    expect((await r.api(c.patient, 'GET', `/appointments/${c.id}/notes`)).statusCode).toBe(404); // none yet
    const first = await notes(c.doctor, c.id, 'Pitta aggravation; acidity after meals.');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ version: 1, versions: 1, current: true, authorId: c.doctor.id });
    const second = await notes(c.doctor, c.id, 'Pitta aggravation; acidity after meals. Sleep poor.');
    expect(second.json()).toMatchObject({ version: 2, versions: 2 });
    for (const who of [c.patient, c.doctor, admin]) {
      const latest = await r.api(who, 'GET', `/appointments/${c.id}/notes`);
      expect(latest.statusCode).toBe(200);
      expect(latest.json()).toMatchObject({ version: 2, text: expect.stringContaining('Sleep poor') });
      expect(latest.headers['cache-control']).toBe('no-store');
    }
    const old = await r.api(c.patient, 'GET', `/appointments/${c.id}/notes?version=1`);
    expect(old.json()).toMatchObject({
      version: 1,
      versions: 2,
      current: false,
      text: 'Pitta aggravation; acidity after meals.',
    });
    expect((await r.api(c.patient, 'GET', `/appointments/${c.id}/notes?version=3`)).statusCode).toBe(404);
    expect((await r.api(c.patient, 'GET', `/appointments/${c.id}/notes?version=0`)).statusCode).toBe(400);
    const audit = await r.auditOf(c.id);
    expect(audit.filter((a) => a.action === 'notes.saved').map((a) => a.details)).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
    const reads = audit.filter((a) => a.action === 'notes.read');
    expect(reads.map((a) => a.actor_id).sort()).toEqual(
      [c.patient.id, c.doctor.id, admin.id, c.patient.id].sort(),
    );
    expect(JSON.stringify(audit)).not.toContain('Pitta');
  });

  it('others get 404 (never "not yours"); the patient and admins may not write (403)', async () => {
    const c = await r.inProgress();
    const [otherDoctor, otherPatient] = [await createDoctor(t, admin), await signUp(t)];
    for (const who of [otherDoctor, otherPatient]) {
      expect((await r.api(who, 'GET', `/appointments/${c.id}/notes`)).statusCode).toBe(404);
    }
    expect((await notes(otherDoctor, c.id, 'x')).statusCode).toBe(404);
    expect((await notes(otherDoctor, '00000000-0000-4000-8000-000000000000', 'x')).statusCode).toBe(404);
    expect(codeOf(await notes(c.patient, c.id, 'x'))).toBe('FORBIDDEN');
    expect(codeOf(await notes(admin, c.id, 'x'))).toBe('FORBIDDEN');
  });

  it('only while in progress or within 72 h of completion: INVALID_STATE before, NOTES_CLOSED after', async () => {
    const c = await r.paid();
    expect(codeOf(await notes(c.doctor, c.id, 'too early'))).toBe('INVALID_STATE');
    t.clock.set(c.startsAt);
    await r.refreshed(c.doctor, c.patient);
    await r.api(c.doctor, 'POST', `/appointments/${c.id}/start`);
    await r.complete(c.doctor, c.id);
    const completedAt = t.clock.now().getTime();
    t.clock.advance(72 * HOUR - 1000);
    await r.refreshed(c.doctor);
    expect((await notes(c.doctor, c.id, 'Added after the call')).statusCode).toBe(200);
    t.clock.advance(1000);
    await r.refreshed(c.doctor);
    const closed = await notes(c.doctor, c.id, 'Too late');
    expect(closed.statusCode).toBe(409);
    expect(closed.json()).toMatchObject({ code: 'NOTES_CLOSED' });
    expect(closed.json().detail).toContain(new Date(completedAt + 72 * HOUR).toISOString());
  });

  it('bad bodies are 400: empty, over 20,000 characters, not a string, unknown fields', async () => {
    const c = await r.inProgress();
    for (const body of [
      { text: '' },
      { text: 'x'.repeat(20_001) },
      { text: 42 },
      { text: 'ok', mood: 'calm' },
      {},
    ]) {
      const res = await r.api(c.doctor, 'PUT', `/appointments/${c.id}/notes`, body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 50)).toBe(400);
    }
    expect((await notes(c.doctor, c.id, 'x'.repeat(20_000))).statusCode).toBe(200);
  });

  it('the database keeps every version as written', async () => {
    const c = await r.inProgress();
    await notes(c.doctor, c.id, 'kept');
    await expect(
      sql`DELETE FROM clinical_notes WHERE appointment_id = ${c.id}`.execute(t.platform.db),
    ).rejects.toThrow(/can't be deleted/);
    await expect(
      sql`UPDATE clinical_notes SET version = 7 WHERE appointment_id = ${c.id}`.execute(t.platform.db),
    ).rejects.toThrow(/only be re-sealed/);
    await expect(
      sql`UPDATE clinical_notes SET body = 'plain' WHERE appointment_id = ${c.id}`.execute(t.platform.db),
    ).rejects.toThrow(/clinical_notes_body_sealed/);
  });
});

describe('prescriptions', () => {
  it('issued with everything SPEC §3.6 lists; an amendment supersedes it and the old one stays readable', async () => {
    const c = await r.inProgress();
    const res = await prescribe(c.doctor, c.id);
    expect(res.statusCode, res.body).toBe(201);
    const v1 = res.json();
    expect(v1).toMatchObject({
      appointmentId: c.id,
      version: 1,
      versions: 1,
      issuedOn: indianDate(), // the doctor's zone
      doctor: {
        id: c.doctor.id,
        name: 'Test doctor',
        registrationNumber: await registrationOf(c.doctor),
        council: 'NCISM',
      },
      patient: { id: c.patient.id, name: 'Test patient', age: 34, sex: 'female' },
      diagnosis: r.prescription.diagnosis,
      provisional: true,
      medicines: r.prescription.medicines,
      advice: r.prescription.advice,
      followUpInDays: 14,
      supersededAt: null,
      supersededBy: null,
      pdf: { status: 'rendering', renderedAt: null },
    });
    expect(v1.verificationId).toMatch(/^[a-z2-7]{26}$/);
    expect(v1.hash).toMatch(/^[0-9a-f]{64}$/);
    await r.complete(c.doctor, c.id);
    t.clock.advance(HOUR);
    await r.refreshed(c.doctor, c.patient, admin);
    const amended = await prescribe(c.doctor, c.id, {
      ...r.prescription,
      provisional: false,
      medicines: [r.prescription.medicines[0]],
    });
    expect(amended.statusCode, amended.body).toBe(201);
    expect(amended.json()).toMatchObject({ version: 2, versions: 2, provisional: false, supersededAt: null });
    for (const who of [c.patient, admin, c.doctor]) {
      const current = await r.api(who, 'GET', `/appointments/${c.id}/prescription`);
      expect(current.json()).toMatchObject({ id: amended.json().id, version: 2 });
    }
    const old = (await r.api(c.patient, 'GET', `/appointments/${c.id}/prescription?version=1`)).json();
    expect(old).toMatchObject({
      id: v1.id,
      version: 1,
      versions: 2,
      medicines: r.prescription.medicines,
      supersededAt: t.clock.now().toISOString(),
      supersededBy: amended.json().id,
    });
    const audit = await r.auditOf(c.id);
    expect(audit.filter((a) => a.action === 'prescription.issued')).toHaveLength(2);
    expect(audit.filter((a) => a.action === 'prescription.read')).toHaveLength(4);
    expect(JSON.stringify(audit)).not.toContain('Avipattikar');
  });

  it('needs the patient’s date of birth and sex (409 naming what is missing), a consultation under way, the doctor', async () => {
    const c = await r.inProgress({ profile: false });
    const incomplete = await prescribe(c.doctor, c.id);
    expect(incomplete.statusCode).toBe(409);
    expect(incomplete.json().code).toBe('PATIENT_PROFILE_INCOMPLETE');
    expect(incomplete.json().detail).toContain('dateOfBirth and sex');
    const tomorrow = indianDate(1);
    const dateOfBirth = `${Number(tomorrow.slice(0, 4)) - 26}${tomorrow.slice(4)}`;
    await r.api(c.patient, 'PUT', '/me/profile', { dateOfBirth, sex: 'male' });
    const issued = await prescribe(c.doctor, c.id);
    expect(issued.json().patient).toMatchObject({ age: 25, sex: 'male' }); // 26 only from tomorrow
    const early = await r.paid();
    expect(codeOf(await prescribe(early.doctor, early.id))).toBe('INVALID_STATE');
    const otherDoctor = await createDoctor(t, admin);
    expect((await prescribe(otherDoctor, c.id)).statusCode).toBe(404);
    expect((await r.api(otherDoctor, 'GET', `/appointments/${c.id}/prescription`)).statusCode).toBe(404);
    expect((await r.api(await signUp(t), 'GET', `/appointments/${c.id}/prescription.pdf`)).statusCode).toBe(
      404,
    );
    expect(codeOf(await prescribe(c.patient, c.id))).toBe('FORBIDDEN');
    expect((await r.api(early.patient, 'GET', `/appointments/${early.id}/prescription`)).statusCode).toBe(
      404,
    );
  });

  it('bad bodies are 400: no medicine, more than 30, unknown fields, over-long text, bad durations', async () => {
    const c = await r.inProgress();
    const medicine = r.prescription.medicines[1]!;
    for (const body of [
      { ...r.prescription, medicines: [] },
      { ...r.prescription, medicines: Array.from({ length: 31 }, () => medicine) },
      { ...r.prescription, medicines: [{ ...medicine, colour: 'red' }] },
      { ...r.prescription, signature: 'x' },
      { ...r.prescription, diagnosis: 'x'.repeat(1001) },
      { ...r.prescription, advice: 'x'.repeat(4001) },
      { ...r.prescription, medicines: [{ ...medicine, durationDays: 0 }] },
      { ...r.prescription, medicines: [{ ...medicine, durationDays: 366 }] },
      { ...r.prescription, followUpInDays: 0 },
      { ...r.prescription, diagnosis: '   ' },
      { medicines: r.prescription.medicines },
    ]) {
      const res = await prescribe(c.doctor, c.id, body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await r.api(c.patient, 'GET', `/appointments/${c.id}/prescription`)).statusCode).toBe(404);
  });
});

describe('the PDF and the public verification', () => {
  it('202 while rendering; then a PDF with the registration number, patient, medicines and verification id', async () => {
    const c = await r.inProgress();
    const issued = (await prescribe(c.doctor, c.id)).json();
    const waiting = await r.api(c.patient, 'GET', `/appointments/${c.id}/prescription.pdf`);
    expect(waiting.statusCode).toBe(202);
    expect(waiting.headers['retry-after']).toBe('2');
    expect(waiting.json()).toEqual({ status: 'rendering', retryAfterSeconds: 2 });
    const pdf = await r.renderedPdf(c.patient, c.id);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await r.pdfText(pdf);
    for (const expected of [
      await registrationOf(c.doctor),
      'NCISM',
      'Test doctor',
      'Test patient',
      '34 years',
      'Female',
      'Provisional diagnosis',
      r.prescription.diagnosis,
      ...r.prescription.medicines.map((m) => m.name),
      'Before food, with warm water',
      r.prescription.advice,
      `In 14 days, on ${indianDate(14)}`,
      issued.verificationId,
      issued.hash,
    ]) {
      expect(text, expected).toContain(expected);
    }
    expect((await r.api(c.doctor, 'GET', `/appointments/${c.id}/prescription`)).json().pdf.status).toBe(
      'ready',
    );
    const audit = await r.auditOf(c.id);
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['prescription.pdf_rendered', 'prescription.pdf_read']),
    );
  });

  it('writes Hindi (Devanagari) names and instructions in a font that has them', async () => {
    const c = await r.inProgress();
    const named = await r.api(c.patient, 'PATCH', '/me', { name: 'मीरा अय्यर' });
    expect(named.statusCode, named.body).toBe(200);
    const medicine = { name: 'Triphala churna', dose: '5 g', frequency: 'at night', durationDays: 30 };
    const issued = await r.api(c.doctor, 'POST', `/appointments/${c.id}/prescription`, {
      diagnosis: 'Vibandha (constipation)',
      medicines: [{ ...medicine, instructions: 'गुनगुने पानी के साथ' }],
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const text = await r.pdfText(await r.renderedPdf(c.patient, c.id));
    expect(text).toContain('Patient: मीरा अय्यर');
    expect(text).toContain('गुनगुने पानी के साथ');
    expect(text).toContain('Triphala churna');
  });

  it('the job is idempotent: a second delivery renders nothing', async () => {
    const c = await r.inProgress();
    const issued = (await prescribe(c.doctor, c.id)).json();
    await r.renderedPdf(c.doctor, c.id);
    const before = await t.platform.db
      .selectFrom('prescriptions')
      .select(['pdf', 'pdf_rendered_at'])
      .where('id', '=', issued.id)
      .executeTakeFirstOrThrow();
    expect(await t.services.records.renderPdf(issued.id)).toBe('already');
    const after = await t.platform.db
      .selectFrom('prescriptions')
      .select(['pdf', 'pdf_rendered_at'])
      .where('id', '=', issued.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect((await r.auditOf(c.id)).filter((a) => a.action === 'prescription.pdf_rendered')).toHaveLength(1);
  });

  it('anyone verifies the issuer, date and hash by the printed id; never the patient; superseded says so', async () => {
    const c = await r.inProgress();
    const v1 = (await prescribe(c.doctor, c.id)).json();
    const verify = (id: string) => t.inject({ method: 'GET', url: `/api/v1/prescriptions/verify/${id}` });
    const res = await verify(v1.verificationId);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      valid: true,
      issuedAt: v1.issuedAt,
      doctor: { name: 'Test doctor', registrationNumber: await registrationOf(c.doctor), council: 'NCISM' },
      hash: v1.hash,
      superseded: false,
    });
    expect(res.body).not.toContain('Test patient');
    await prescribe(c.doctor, c.id);
    expect((await verify(v1.verificationId)).json().superseded).toBe(true);
    expect((await verify('a'.repeat(26))).statusCode).toBe(404);
    expect((await verify('not-an-id')).statusCode).toBe(400);
  });
});

describe('PHI at rest', () => {
  it('a pg_dump of the database holds none of the plaintexts', async () => {
    const secret = (what: string) => `${what} ${Math.random().toString(36).slice(2)}`;
    const [reason, note, diagnosis, medicine] = [
      'Burning in the chest',
      'Tongue coated',
      'Amavata',
      'Simhanada guggulu',
    ].map(secret) as [string, string, string, string];
    const c = await r.inProgress({ reason });
    expect((await notes(c.doctor, c.id, note)).statusCode).toBe(200);
    const issued = await prescribe(c.doctor, c.id, {
      ...r.prescription,
      diagnosis,
      medicines: [{ ...r.prescription.medicines[0], name: medicine }],
    });
    expect(issued.statusCode).toBe(201);
    await r.renderedPdf(c.patient, c.id);
    const { stdout } = await promisify(execFile)('pg_dump', [t.platform.config.databaseUrl!], {
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(stdout).toContain('clinical_notes');
    for (const plain of [reason, note, diagnosis, medicine]) expect(stdout).not.toContain(plain);
    const rows = await t.platform.db
      .selectFrom('prescriptions')
      .select(['content', 'pdf'])
      .where('appointment_id', '=', c.id)
      .execute();
    expect(rows.every((row) => row.content.startsWith('v1:') && row.pdf?.startsWith('v1:'))).toBe(true);
  });
});
