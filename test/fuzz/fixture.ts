import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/config.ts';
import { type Account, bearer, createDoctor, signUp, type TestApp } from '../helpers/app.ts';
import { recordsKit } from '../helpers/records.ts';
import type { Json } from './arbitraries.ts';

/**
 * One world for the authorization matrix and the fuzzer, built once per file through HTTP:
 * two symmetric sides, each a patient and a doctor with
 *  - `inProgress`: paid, started, with clinical notes and a prescription (PHI),
 *  - `confirmed`: paid, two days later (its slot is booked),
 *  - `cancelled`: paid, then cancelled by the patient,
 *  - `openSlotId`: a free slot of the side's doctor,
 * every reason, note and diagnosis a unique marker string; plus an admin and a suspended patient.
 * Requests run as `own` (patient A, doctor D); `other` (patient B, doctor E) is whose data must
 * never reach them. Tokens are minted per request (token()), so a logout or a revoked session
 * during a run can't silence an actor for the rest of it.
 */
export type Actor = 'anonymous' | 'patient' | 'doctor' | 'admin' | 'suspended';
export const ACTORS: readonly Actor[] = ['anonymous', 'patient', 'doctor', 'admin', 'suspended'];

export interface Side {
  patient: Account;
  doctor: Account;
  registrationNumber: string;
  inProgress: string;
  confirmed: string;
  cancelled: string;
  confirmedPaymentId: string;
  bookedSlotId: string;
  openSlotId: string;
  verificationId: string;
  /** Text only this side's parties may read. */
  phi: { reason: string; notes: string; diagnosis: string };
}

export interface Fixture {
  t: TestApp;
  admin: Account;
  suspended: Account;
  own: Side;
  other: Side;
  /** A fresh access token for the actor (null for anonymous). */
  token(actor: Actor): Promise<string | null>;
  /** The account a signed-in actor acts as (own side for patient and doctor). */
  account(actor: Exclude<Actor, 'anonymous'>): Account;
  /** Suspends the suspended actor again, should a request have reactivated it. */
  resuspend(): Promise<void>;
}

const HOUR = 3_600_000;

export async function buildFixture(t: TestApp): Promise<Fixture> {
  const admin = await signUp(t, 'admin');
  const records = recordsKit(t, admin);
  const { kit, api } = records;
  const must = async (
    res: Promise<{ statusCode: number; body: string; json(): unknown }>,
    status: number,
  ) => {
    const done = await res;
    if (done.statusCode !== status) throw new Error(`fixture: ${done.statusCode} ${done.body}`);
    return done.json() as Json;
  };
  const base = t.clock.now().getTime() + 72 * HOUR;

  async function paidSide(label: string) {
    // A council's register number belongs to one verified doctor.
    const registrationNumber = `NCISM-${label}-${randomUUID().slice(0, 8)}`;
    const doctor = await createDoctor(t, admin, { registrationNumber });
    const patient = await signUp(t);
    const at = (hours: number) => ({
      startsAt: new Date(base + hours * HOUR).toISOString(),
      endsAt: new Date(base + hours * HOUR + HOUR / 2).toISOString(),
      mode: 'video',
    });
    const slots = (
      await must(
        kit.call(doctor.accessToken, 'POST', '/doctors/me/slots', { slots: [0, 48, 49, 50].map(at) }, null),
        201,
      )
    ).items as Array<{ id: string }>;
    const phi = {
      reason: `${label}-reason-${randomUUID()}`,
      notes: `${label}-notes-${randomUUID()}`,
      diagnosis: `${label}-diagnosis-${randomUUID()}`,
    };
    const bookPaid = async (slotId: string) => {
      const booked = await must(
        kit.call(patient.accessToken, 'POST', '/appointments', { slotId, reason: phi.reason }),
        201,
      );
      await kit.checkout(patient, booked.payment.id);
      await must(kit.pay(patient, booked.payment.id, 'succeed'), 200);
      return booked as { id: string; payment: { id: string } };
    };
    const [inProgress, confirmed, cancelled] = [
      await bookPaid(slots[0]!.id),
      await bookPaid(slots[1]!.id),
      await bookPaid(slots[2]!.id),
    ];
    await must(api(patient, 'PUT', '/me/profile', { dateOfBirth: '1991-08-14', sex: 'female' }), 200);
    return { doctor, registrationNumber, patient, phi, inProgress, confirmed, cancelled, slots };
  }

  const sides = [await paidSide('own'), await paidSide('other')];
  t.clock.set(new Date(base).toISOString());
  await records.refreshed(admin, ...sides.flatMap((s) => [s.doctor, s.patient]));
  const built: Side[] = [];
  for (const s of sides) {
    await must(api(s.doctor, 'POST', `/appointments/${s.inProgress.id}/start`), 200);
    await must(api(s.doctor, 'PUT', `/appointments/${s.inProgress.id}/notes`, { text: s.phi.notes }), 200);
    const prescription = await must(
      api(s.doctor, 'POST', `/appointments/${s.inProgress.id}/prescription`, {
        ...records.prescription,
        diagnosis: s.phi.diagnosis,
      }),
      201,
    );
    await must(
      kit.call(s.patient.accessToken, 'POST', `/appointments/${s.cancelled.id}/cancel`, {
        reason: s.phi.reason,
      }),
      200,
    );
    built.push({
      patient: s.patient,
      doctor: s.doctor,
      registrationNumber: s.registrationNumber,
      inProgress: s.inProgress.id,
      confirmed: s.confirmed.id,
      cancelled: s.cancelled.id,
      confirmedPaymentId: s.confirmed.payment.id,
      bookedSlotId: s.slots[1]!.id,
      openSlotId: s.slots[3]!.id,
      verificationId: prescription.verificationId,
      phi: s.phi,
    });
  }
  const suspended = await signUp(t);
  const suspend = () =>
    api(admin, 'POST', `/admin/users/${suspended.id}/suspend`, { reason: 'Fixture: a suspended account' });
  await must(suspend(), 200);

  const [own, other] = built as [Side, Side];
  const roleOf: Record<Exclude<Actor, 'anonymous'>, Role> = {
    patient: 'patient',
    doctor: 'doctor',
    admin: 'admin',
    suspended: 'patient',
  };
  const account = (actor: Exclude<Actor, 'anonymous'>) =>
    ({ patient: own.patient, doctor: own.doctor, admin, suspended })[actor];
  return {
    t,
    admin,
    suspended,
    own,
    other,
    account,
    async resuspend() {
      const res = await suspend();
      if (![200, 409].includes(res.statusCode)) throw new Error(`fixture: ${res.statusCode} ${res.body}`);
    },
    token: (actor) =>
      actor === 'anonymous'
        ? Promise.resolve(null)
        : t.services.tokens.issueAccessToken(
            { id: account(actor).id, role: roleOf[actor] },
            randomUUID(),
            false,
          ),
  };
}

/** Headers for a request as `actor` (a fresh token each time). */
export async function headersOf(f: Fixture, actor: Actor): Promise<Record<string, string>> {
  const token = await f.token(actor);
  return token ? bearer(token) : {};
}
