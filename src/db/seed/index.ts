/**
 * `npm run cli -- seed-load --doctors N --patients M --days D [--seed S]`: fills a database with
 * realistic data fast, for benchmarks, demos and load tests.
 *
 * - Doctors: users (role doctor) with verified profiles (NCISM registration, specializations and
 *   languages from doctors/reference.ts, fee 30,000–150,000 paise, modes, bio, Asia/Kolkata,
 *   search_text built as DoctorService builds it), a weekly schedule (Mon–Sat 09:00–13:00 and
 *   16:00–20:00 local, 30-minute video slots, no buffer, no minimum notice, horizon = --days) and
 *   the slots that schedule asks for, computed by the product's planner (generateSlots), so the
 *   daily horizon job finds nothing to change.
 * - Patients: users (role patient).
 * - Every seeded account has the password SEED_PASSWORD (one argon2id hash, computed once) and a
 *   deterministic e-mail: doctor-00001@seed.amrutam.test, patient-000001@seed.amrutam.test.
 * - Names, specializations, fees… come from a PRNG seeded by --seed (default 42); ids too. Slot times
 *   depend on the day it runs.
 *
 * Not idempotent: it refuses to run when the database already has seeded accounts (any e-mail
 * at seed.amrutam.test), and it writes everything in one transaction, so a failed run leaves nothing.
 * PostgreSQL: COPY … FROM STDIN (copy.ts). Embedded (PGlite): multi-row INSERTs of 1,000 rows (insert.ts).
 * The rows come from rows.ts (names and wording: people.ts; randomness: random.ts).
 */
import { parseArgs } from 'node:util';
import { hashPassword } from '../../modules/auth/passwords.ts';
import type { Platform } from '../../platform/platform.ts';
import { assertNotSeeded, SEED_EMAIL_DOMAIN, SEED_PASSWORD, SeedRefused } from './accounts.ts';
import { fillWithCopy } from './copy.ts';
import { fillWithInserts } from './insert.ts';
import { ProgressBar } from './progress.ts';
import { Random } from './random.ts';
import {
  DOCTORS,
  doctorRows,
  plannedSlots,
  SCHEDULES,
  type Sink,
  SLOTS,
  scheduleRows,
  seedSchedule,
  slotRows,
  USERS,
  userRows,
} from './rows.ts';

export interface SeedLoadOptions {
  doctors: number;
  patients: number;
  /** Slot horizon in days (1–90), today included. */
  days: number;
  seed: number;
}

export interface SeedLoadReport {
  doctors: number;
  schedules: number;
  slots: number;
  patients: number;
  seconds: number;
  mode: 'copy' | 'insert';
}

export async function seedLoad(platform: Platform, options: SeedLoadOptions): Promise<SeedLoadReport> {
  const started = performance.now();
  const { db } = platform;
  await assertNotSeeded(db);

  const nowDate = platform.clock.now();
  const now = nowDate.toISOString();
  const random = new Random(options.seed);
  const passwordHash = await hashPassword(SEED_PASSWORD);
  const schedule = seedSchedule(options.days);
  const planned = plannedSlots(schedule, nowDate);
  const total =
    options.doctors * 3 + options.patients + (options.doctors > 0 ? options.doctors * planned.length : 0);
  const progress = new ProgressBar(total);

  async function fill(sink: Sink) {
    const doctorIds: string[] = [];
    const names = new Map<string, string>();
    progress.phase('doctor users');
    const doctorUsers = await sink.write(
      USERS,
      (function* () {
        for (const row of userRows(random, 'doctor', options.doctors, doctorIds, passwordHash, now)) {
          names.set(row[0]!, row[4]!);
          yield row;
        }
      })(),
    );
    progress.endPhase();
    const doctors = doctorIds.map((id, i) => ({ id, index: i + 1 }));
    progress.phase('doctor profiles');
    await sink.write(DOCTORS, doctorRows(random, doctors, names, now));
    progress.endPhase();
    progress.phase('schedules');
    const schedules = await sink.write(SCHEDULES, scheduleRows(doctors, schedule, now));
    progress.endPhase();
    progress.phase('slots');
    const slots = await sink.write(SLOTS, slotRows(doctors, planned, now));
    progress.endPhase();
    progress.phase('patients');
    const patients = await sink.write(
      USERS,
      userRows(random, 'patient', options.patients, [], passwordHash, now),
    );
    progress.endPhase();
    return { doctors: doctorUsers, schedules, slots, patients };
  }

  const mode: SeedLoadReport['mode'] = platform.config.databaseUrl ? 'copy' : 'insert';
  const counts = platform.config.databaseUrl
    ? await fillWithCopy(platform.config.databaseUrl, progress, fill)
    : await fillWithInserts(db, progress, fill);
  return { ...counts, mode, seconds: (performance.now() - started) / 1000 };
}

const SEED_USAGE =
  'seed-load --doctors N --patients M --days D [--seed S]   (days 1–90; seed defaults to 42)';

/** The CLI command: parses its arguments, runs seedLoad and says what it did. Returns the exit code. */
export async function seedLoadCommand(platform: Platform, args: string[]): Promise<number> {
  let values: { doctors?: string; patients?: string; days?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        doctors: { type: 'string' },
        patients: { type: 'string' },
        days: { type: 'string' },
        seed: { type: 'string', default: '42' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`seed-load: ${(error as Error).message}\n  ${SEED_USAGE}`);
    return 1;
  }
  if (values.help) {
    console.log(SEED_USAGE);
    return 0;
  }
  const number = (name: 'doctors' | 'patients' | 'days' | 'seed', min: number, max: number) => {
    const raw = values[name];
    const n = Number(raw);
    if (raw === undefined || !Number.isInteger(n) || n < min || n > max) {
      throw new SeedRefused(`--${name} must be an integer from ${min} to ${max}\n  ${SEED_USAGE}`);
    }
    return n;
  };
  let options: SeedLoadOptions;
  try {
    options = {
      doctors: number('doctors', 0, 1_000_000),
      patients: number('patients', 0, 10_000_000),
      days: number('days', 1, 90),
      seed: number('seed', 0, 2 ** 32 - 1),
    };
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  try {
    const r = await seedLoad(platform, options);
    const n = (v: number) => v.toLocaleString('en');
    console.log(
      `seed-load: created ${n(r.doctors)} verified doctors (${n(r.schedules)} weekly schedules, ${n(r.slots)} open slots ` +
        `over ${options.days} days) and ${n(r.patients)} patients in ${r.seconds.toFixed(1)} s ` +
        `(${r.mode === 'copy' ? 'COPY' : 'batched INSERT'}, seed ${options.seed}).\n` +
        `Accounts: doctor-…@${SEED_EMAIL_DOMAIN}, patient-…@${SEED_EMAIL_DOMAIN}; password "${SEED_PASSWORD}".`,
    );
    return 0;
  } catch (error) {
    if (error instanceof SeedRefused) {
      console.error(`seed-load: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
