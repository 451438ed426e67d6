import { extractText, getDocumentProxy } from 'unpdf';
import { type Account, bearer, freshToken, signUp, type TestApp } from './app.ts';
import { bookingKit } from './booking.ts';

/**
 * Scenarios for clinical records, all through HTTP: a paid appointment whose patient has (or has
 * not) set date of birth and sex, its consultation started at its start time; notes, prescriptions
 * and their PDF.
 */
export function recordsKit(t: TestApp, admin: Account) {
  const kit = bookingKit(t, admin);
  const api = (
    who: { accessToken: string },
    method: 'GET' | 'PUT' | 'POST' | 'PATCH',
    url: string,
    payload?: unknown,
  ) =>
    t.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who.accessToken),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  /** Signs `who` in again at the test clock's current time (tokens live 15 minutes). */
  const refreshed = async (...who: Account[]) => {
    for (const a of who) a.accessToken = await freshToken(t, a);
  };

  /** A paid appointment 72 h from now; the patient's date of birth and sex set unless told otherwise. */
  async function paid(options: { profile?: boolean; reason?: string } = {}) {
    const { doctor, slots } = await kit.doctorWithSlots(1);
    const patient = await signUp(t);
    const booked = await kit.call(patient.accessToken, 'POST', '/appointments', {
      slotId: slots[0]!.id,
      ...(options.reason ? { reason: options.reason } : {}),
    });
    if (booked.statusCode !== 201) throw new Error(booked.body);
    const appointment = booked.json();
    await kit.checkout(patient, appointment.payment.id);
    await kit.pay(patient, appointment.payment.id, 'succeed');
    if (options.profile !== false) {
      const res = await api(patient, 'PUT', '/me/profile', { dateOfBirth: '1991-08-14', sex: 'female' });
      if (res.statusCode !== 200) throw new Error(res.body);
    }
    return { doctor, patient, id: appointment.id as string, startsAt: appointment.startsAt as string };
  }

  /** The same, with the consultation started at its start time (the clock moves there). */
  async function inProgress(options: { profile?: boolean; reason?: string } = {}) {
    const c = await paid(options);
    t.clock.set(c.startsAt);
    await refreshed(c.doctor, c.patient, admin);
    const res = await api(c.doctor, 'POST', `/appointments/${c.id}/start`);
    if (res.statusCode !== 200) throw new Error(res.body);
    return c;
  }

  const complete = async (doctor: Account, id: string) => {
    const res = await api(doctor, 'POST', `/appointments/${id}/complete`);
    if (res.statusCode !== 200) throw new Error(res.body);
  };

  const prescription = {
    diagnosis: 'Amlapitta (hyperacidity)',
    provisional: true,
    medicines: [
      {
        name: 'Avipattikar churna',
        form: 'powder',
        dose: '3 g',
        frequency: 'twice daily',
        durationDays: 21,
        route: 'oral',
        instructions: 'Before food, with warm water',
      },
      { name: 'Kamdudha ras', dose: '1 tablet', frequency: 'twice daily', durationDays: 14 },
    ],
    advice: 'Avoid spicy and fried food; dinner before 8 pm.',
    followUpInDays: 14,
  };

  /** The PDF once the background job has rendered it (polls; the job runs on its own). */
  async function renderedPdf(who: Account, id: string, query = ''): Promise<Buffer> {
    for (let i = 0; i < 300; i++) {
      const res = await api(who, 'GET', `/appointments/${id}/prescription.pdf${query}`);
      if (res.statusCode === 200) return res.rawPayload;
      if (res.statusCode !== 202) throw new Error(`${res.statusCode} ${res.body}`);
      await t.services.outbox.relay();
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the PDF was not rendered');
  }

  const pdfText = async (pdf: Buffer) =>
    (await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true })).text;

  const auditOf = (appointmentId: string) =>
    t.platform.db
      .selectFrom('audit_logs')
      .select(['action', 'actor_id', 'details'])
      .where('entity_id', '=', appointmentId)
      .orderBy('occurred_at')
      .execute();

  return { kit, api, refreshed, paid, inProgress, complete, prescription, renderedPdf, pdfText, auditOf };
}
