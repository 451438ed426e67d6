/**
 * `npm run cli -- seed-load --doctors N --patients M --days D [--appointments A] [--seed S]`: fills a
 * database with realistic data fast, for benchmarks, demos and load tests.
 *
 * - Doctors: users (role doctor) with verified profiles (NCISM registration, specializations and
 *   languages from doctors/reference.ts, fee 30,000–150,000 paise, modes, bio, Asia/Kolkata,
 *   search_text built as DoctorService builds it), a weekly schedule (Mon–Sat 09:00–13:00 and
 *   16:00–20:00 local, 30-minute video slots, no buffer, no minimum notice, horizon = --days) and
 *   the slots that schedule asks for, computed by the product's planner (generateSlots), so the
 *   daily horizon job finds nothing to change.
 * - Patients: users (role patient), signed up evenly over the seeded past when there is one.
 * - --appointments A: a past of A appointments in the same schedule's past slots (story.ts), with
 *   payments, refunds, reviews and a sealed audit trail (history.ts), in monthly partitions made
 *   first.
 * - The analytics rollups are rebuilt at the end, so nothing is left for the refresher to catch up.
 * - Every seeded account has the password SEED_PASSWORD (one argon2id hash, computed once) and a
 *   deterministic e-mail: doctor-00001@seed.amrutam.test, patient-000001@seed.amrutam.test.
 * - Names, specializations, fees… come from a PRNG seeded by --seed (default 42); ids too. Times
 *   depend on the day it runs.
 *
 * Not idempotent: it refuses to run when the database already has seeded accounts (any e-mail
 * at seed.amrutam.test), and it writes everything in one transaction, so a failed run leaves nothing.
 * A past is loaded with row triggers off (session_replication_role = replica: the rows are right by
 * construction, and the checks would cost more than the load), so it needs a superuser.
 * PostgreSQL: COPY … FROM STDIN (copy.ts). Embedded (PGlite): multi-row INSERTs of 1,000 rows (insert.ts).
 */

import { ProgressBar } from '../../cli/progress.ts';
import { rebuildRollups } from '../../modules/analytics/rollups.ts';
import { GENESIS_HASH } from '../../modules/audit/chain.ts';
import { SEAL_LOCK_KEY } from '../../modules/audit/repo.ts';
import { hashPassword } from '../../modules/auth/passwords.ts';
import type { Platform } from '../../platform/platform.ts';
import { auditServiceOf } from '../../services.ts';
import { assertNotSeeded, SEED_PASSWORD, SeedRefused } from './accounts.ts';
import { fillWithCopy } from './copy.ts';
import * as past from './history.ts';
import { fillWithInserts } from './insert.ts';
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
  type TableSpec,
  USERS,
  userRows,
  type Value,
} from './rows.ts';
import { MAX_LEAD, planHistory, SLOTS_MADE_BEFORE, story, thingIds } from './story.ts';

export interface SeedLoadOptions {
  doctors: number;
  patients: number;
  /** Slot horizon in days (1–90), today included. */
  days: number;
  seed: number;
  /** Past appointments (0: none). */
  appointments: number;
  /** Days of past; omitted: enough for the past to be about 75 % booked. */
  historyDays?: number;
}

export interface SeedLoadReport {
  doctors: number;
  schedules: number;
  slots: number;
  patients: number;
  appointments: number;
  auditRows: number;
  historyDays: number;
  /** Of `seconds`: rebuilding the analytics rollups from what was loaded. */
  rollupSeconds: number;
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
  const fees: number[] = [];
  const storyInput = { ...options, now: nowDate.getTime(), fees, policy: platform.config.changePolicy };
  let history: ReturnType<typeof planHistory> | null = null;
  try {
    if (options.appointments > 0) history = planHistory(storyInput);
  } catch (error) {
    throw new SeedRefused((error as Error).message);
  }
  const h = history?.appointments ?? 0;
  const total =
    options.doctors * 3 +
    options.patients +
    options.doctors * planned.length +
    // A past: its slots, and per appointment its id, row, payment and ≈3.9 audit rows (and some reviews).
    (history ? history.slots + h * 7 : 0);
  const progress = new ProgressBar(Math.round(total), 'seed-load');

  async function fill(sink: Sink) {
    const step = async (name: string, table: TableSpec, rows: Iterable<Value[]>) => {
      progress.phase(name);
      const n = await sink.write(table, rows);
      progress.endPhase();
      return n;
    };
    // Bookings (and their audit rows) come up to MAX_LEAD before the first past slot.
    const rebuild = history ? await prepareForPast(sink, history.from - MAX_LEAD, nowDate) : [];
    const doctorIds: string[] = [];
    const names = new Map<string, string>();
    // Doctors joined and were verified before their past's slots were made.
    const since = history ? new Date(history.from - 2 * SLOTS_MADE_BEFORE).toISOString() : now;
    const doctorUsers = await step(
      'doctor users',
      USERS,
      (function* () {
        for (const row of userRows(random, 'doctor', options.doctors, doctorIds, passwordHash, () => since)) {
          names.set(row[0]!, row[4]!);
          yield row;
        }
      })(),
    );
    const doctors = doctorIds.map((id, i) => ({ id, index: i + 1 }));
    await step(
      'doctor profiles',
      DOCTORS,
      (function* () {
        for (const row of doctorRows(random, doctors, names, since)) {
          fees.push(Number(row[5]));
          yield row;
        }
      })(),
    );
    const schedules = await step('schedules', SCHEDULES, scheduleRows(doctors, schedule, now));
    const slots = await step('slots', SLOTS, slotRows(doctors, planned, now));
    const patientIds: string[] = [];
    const signedUp = history?.patientSince;
    const patients = await step(
      'patients',
      USERS,
      userRows(random, 'patient', options.patients, patientIds, passwordHash, (i) =>
        signedUp ? new Date(signedUp(i)).toISOString() : now,
      ),
    );
    let appointments = 0;
    let auditRows = 0;
    if (history) {
      const ids = { doctors: doctorIds, patients: patientIds, of: thingIds(options.seed) };
      const told = () => story(storyInput, history);
      const slotsMade = new Date(history.from - SLOTS_MADE_BEFORE).toISOString();
      await step('past slots', past.PAST_SLOTS, past.pastSlotRows(told(), ids, slotsMade));
      await step('appointment ids', past.APPOINTMENT_IDS, past.appointmentIdRows(told(), ids));
      appointments = await step('appointments', past.APPOINTMENTS, past.appointmentRows(told(), ids, fees));
      await step('payments', past.PAYMENTS, past.paymentRows(told(), ids, fees));
      await step('refunds', past.REFUNDS, past.refundRows(told(), ids));
      await step('reviews', past.REVIEWS, past.reviewRows(told(), ids));
      await sink.query(past.RATING_SQL);
      // The chain goes on from its head (the sealer waits: prepareForPast took its lock).
      const [head] = await sink.query<{ seq: string; hash: string }>(
        'SELECT seq::text, hash FROM audit_logs WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1',
      );
      const chain = { seq: Number(head?.seq ?? 0), hash: head?.hash ?? GENESIS_HASH };
      auditRows = await step('audit trail', past.AUDIT_LOGS, past.auditRows(told(), ids, chain));
    }
    progress.phase('indexes');
    await sink.query("SET LOCAL maintenance_work_mem = '512MB'");
    for (const statement of rebuild) await sink.query(statement);
    progress.endPhase();
    return { doctors: doctorUsers, schedules, slots, patients, appointments, auditRows };
  }

  const mode: SeedLoadReport['mode'] = platform.config.databaseUrl ? 'copy' : 'insert';
  const counts = platform.config.databaseUrl
    ? await fillWithCopy(platform.config.databaseUrl, progress, fill)
    : await fillWithInserts(db, progress, fill);
  if (history) await auditServiceOf(platform).checkpointHead();
  // Rollups current at once, not by the refresher catching up for minutes under the first load.
  const rebuilt = performance.now();
  await rebuildRollups(db);
  const rollupSeconds = (performance.now() - rebuilt) / 1000;
  const seconds = (performance.now() - started) / 1000;
  return { ...counts, historyDays: history?.days ?? 0, mode, rollupSeconds, seconds };
}

/**
 * Triggers off for this transaction, after checking it may; the past's month partitions made; the
 * loaded tables' plain indexes dropped (built again at the end in one sort each, far cheaper than
 * row by row; the constraints' indexes stay). Resolves with the statements that build them again.
 */
async function prepareForPast(sink: Sink, from: number, now: Date): Promise<string[]> {
  const [role] = await sink.query<{ superuser: string }>(
    "SELECT current_setting('is_superuser') AS superuser",
  );
  if (role?.superuser !== 'on') {
    throw new SeedRefused('--appointments loads with row triggers off, which needs a superuser connection');
  }
  // The sealer's lock before any table's: a sealer takes it first too, so neither waits on the other.
  await sink.query(`SELECT pg_advisory_xact_lock(${SEAL_LOCK_KEY})`);
  await sink.query('SET LOCAL session_replication_role = replica');
  const first = new Date(from);
  for (
    let m = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
    m <= now;
    m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))
  ) {
    const month = m.toISOString().slice(0, 7);
    for (const table of ['appointments', 'audit_logs']) {
      await sink.query(`SELECT partition_add_month('${table}'::regclass, '${month}-01'::date)`);
    }
  }
  const indexes = await sink.query<{ name: string; def: string }>(`
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index AS i JOIN pg_class AS t ON t.oid = i.indrelid
    WHERE t.oid IN (${LOADED.map((table) => `'${table}'::regclass`).join(', ')})
      AND NOT EXISTS (SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
    ORDER BY i.indexrelid`); // made again in the order they were made: partitions' index names follow it
  for (const { name } of indexes) await sink.query(`DROP INDEX ${name}`);
  // A partitioned table's index is defined ON ONLY the parent; built again, it covers every month.
  return indexes.map(({ def }) => def.replace(' ON ONLY ', ' ON '));
}

const LOADED = ['slots', 'appointments', 'payments', 'refunds', 'reviews', 'audit_logs'];
