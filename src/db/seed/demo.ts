/**
 * `npm run cli -- seed-demo`: the accounts of demo-cast.ts, made through the product's own services
 * so every rule applies and every step is audited as through the API: sign-up (auth.register,
 * auth.ensureAdmin), the doctor's profile (doctors.upsertProfile) and weekly schedule
 * (availability.putSchedule), then verification by the demo admin (doctors.verify), which makes the
 * schedule's slots for its horizon (30 days; the daily job keeps it rolling).
 *
 * Idempotent: an account that exists is kept as it is, password included, and only what it lacks
 * is added (a doctor's profile, schedule, or verification while pending; a doctor an admin rejected
 * stays rejected). Nothing is duplicated, and the report says what already existed.
 */
import { sql } from 'kysely';
import { ProgressBar } from '../../cli/progress.ts';
import type { Role } from '../../config.ts';
import { AppError, type AuthContext, type RequestMeta } from '../../http/index.ts';
import { verifyPassword } from '../../modules/auth/passwords.ts';
import { findUserByEmail } from '../../modules/auth/repo.ts';
import { scheduleBody } from '../../modules/availability/schemas.ts';
import { SPECIALIZATION_NAMES } from '../../modules/doctors/reference.ts';
import { profileBody } from '../../modules/doctors/schemas.ts';
import type { Platform } from '../../platform/platform.ts';
import { createServices, type Services } from '../../services.ts';
import { SeedRefused } from './accounts.ts';
import { DEMO_ADMIN, DEMO_DOCTORS, DEMO_PATIENT, type DemoDoctor } from './demo-cast.ts';

export interface DemoAccount {
  role: Role;
  name: string;
  email: string;
  /** For a doctor: first specialization and fee, as a patient would scan them. */
  about: string;
  /** What it signs in with: the password given, unless the account existed with another (null). */
  password: string | null;
  /** "created", or "existed" and what was added to it. */
  status: string;
}

export interface DemoReport {
  accounts: DemoAccount[];
  /** Open slots of the demo doctors from now on. */
  openSlots: number;
}

/** Marks what seed-demo wrote in the audit trail (audit_logs.request_id). */
const REQUEST_ID = 'cli:seed-demo';

export async function seedDemo(platform: Platform, password: string): Promise<DemoReport> {
  // Known passwords on purpose: never on a production deployment.
  if (platform.config.env === 'production') {
    throw new SeedRefused('demo accounts have known passwords: refused with NODE_ENV=production');
  }
  const services = createServices(platform);
  const { db } = platform;
  const bar = new ProgressBar(DEMO_DOCTORS.length + 2, 'seed-demo', 'done');

  /** The account, made if absent; refused if its e-mail belongs to someone of another role. */
  async function account(role: Role, name: string, email: string) {
    const existing = await findUserByEmail(db, email);
    if (existing) {
      if (existing.role !== role) {
        throw new SeedRefused(
          `${email} is a ${existing.role}'s account, not a ${role}'s: use another database`,
        );
      }
      const same = await verifyPassword(existing.password_hash, password);
      return { id: existing.id, created: false, password: same ? password : null };
    }
    const id =
      role === 'admin'
        ? (await services.auth.ensureAdmin({ email, password, name })).id
        : (await services.auth.register({ email, password, name, role }, meta(null))).user.id;
    return { id, created: true, password };
  }
  type Made = Awaited<ReturnType<typeof account>>;
  const entry = (
    role: Role,
    who: { name: string; email: string },
    made: Made,
    notes: string[],
    about = '',
  ) => ({
    role,
    name: who.name,
    email: who.email,
    about,
    password: made.password,
    status: [made.created ? 'created' : 'existed', ...notes].join('; '),
  });

  bar.phase('admin');
  const admin = await account('admin', DEMO_ADMIN.name, DEMO_ADMIN.email);
  const accounts: DemoAccount[] = [entry('admin', DEMO_ADMIN, admin, [])];
  bar.add(1);
  bar.endPhase();

  bar.phase('doctors');
  const doctorIds: string[] = [];
  for (const doctor of DEMO_DOCTORS) {
    const made = await account('doctor', doctor.name, doctor.email);
    const notes = await completeDoctor(services, made.id, doctor, meta({ id: admin.id, role: 'admin' }));
    const { specializations = [], feeMinor } = doctor.profile;
    const about = `${SPECIALIZATION_NAMES.get(specializations[0] ?? '')}, ${feeMinor ? `₹${(feeMinor / 100).toLocaleString('en-IN')}` : 'free'}`;
    accounts.push(entry('doctor', doctor, made, made.created ? [] : notes, about));
    doctorIds.push(made.id);
    bar.add(1);
  }
  bar.endPhase();

  bar.phase('patient');
  const patient = await account('patient', DEMO_PATIENT.name, DEMO_PATIENT.email);
  const today = platform.clock.now().toISOString().slice(0, 10);
  const notes: string[] = [];
  if ((await services.auth.patientDetails(db, patient.id, today)).missing.length > 0) {
    const self = meta({ id: patient.id, role: 'patient' });
    await services.auth.setPersonalDetails(asUser(patient.id, 'patient'), DEMO_PATIENT.details, self);
    notes.push('added date of birth and sex');
  }
  accounts.push(entry('patient', DEMO_PATIENT, patient, patient.created ? [] : notes));
  bar.add(1);
  bar.endPhase();
  bar.finish();

  const { n } = await db
    .selectFrom('slots')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('doctor_id', 'in', doctorIds)
    .where('status', '=', 'open')
    .where('starts_at', '>', platform.clock.now())
    .executeTakeFirstOrThrow();
  return { accounts, openSlots: n };
}

/**
 * Adds what a doctor lacks, in the order the API would: profile, weekly schedule, then the admin's
 * verification (which makes the schedule's slots). Says what it added, or why it left something.
 */
async function completeDoctor(
  services: Services,
  id: string,
  doctor: DemoDoctor,
  verifier: RequestMeta,
): Promise<string[]> {
  const auth = asUser(id, 'doctor');
  const self = meta({ id, role: 'doctor' });
  const added: string[] = [];
  const profile = await absentIfNotFound(services.doctors.own(id));
  if (!profile) {
    await services.doctors.upsertProfile(auth, profileBody.parse(doctor.profile), self);
    added.push('profile');
  }
  if (!(await absentIfNotFound(services.availability.getSchedule(auth)))) {
    await services.availability.putSchedule(auth, scheduleBody.parse({ rules: doctor.rules }), self);
    added.push('schedule');
  }
  const status = profile?.verificationStatus ?? 'pending';
  if (status === 'pending') {
    await services.doctors.verify(id, { status: 'verified' }, verifier);
    added.push('verification');
  }
  return [
    ...(added.length ? [`added ${added.join(', ')}`] : []),
    ...(status === 'rejected' ? ['rejected by an admin: left so'] : []),
  ];
}

/** As the user themselves, acting through the API would be (the services look at the user only). */
const asUser = (userId: string, role: Role): AuthContext => ({ userId, role, sessionId: '', mfa: false });
const meta = (actor: RequestMeta['actor']): RequestMeta => ({ actor, requestId: REQUEST_ID, ip: null });

const absentIfNotFound = <T>(read: Promise<T>): Promise<T | undefined> =>
  read.catch((error: unknown) => {
    if (error instanceof AppError && error.status === 404) return undefined;
    throw error;
  });
