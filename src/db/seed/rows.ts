/**
 * The seeded tables and their rows, in PostgreSQL's text representation: what COPY reads, and what
 * the INSERT path casts from text, so both paths write the very same values. Each generator yields
 * one row per seeded thing and draws from the shared Random in a fixed order (ids, names, profiles),
 * so one --seed always gives the same data. Every doctor gets the same weekly schedule (seedSchedule)
 * and its slots. A Sink is where rows go: COPY (copy.ts) or INSERT (insert.ts).
 */
import { generateSlots, type Rule, type Schedule } from '../../modules/availability/plan.ts';
import { LANGUAGES, SPECIALIZATIONS } from '../../modules/doctors/reference.ts';
import { SEED_EMAIL_DOMAIN } from './accounts.ts';
import { CITIES, FOCUS, LANGUAGE_NAMES, listed, personName, QUALIFICATIONS } from './people.ts';
import type { Random } from './random.ts';

export type Value = string | null;
export interface TableSpec {
  name: string;
  /** Column name and SQL type (for the INSERT path's casts). */
  columns: ReadonlyArray<readonly [string, string]>;
}

export const USERS: TableSpec = {
  name: 'users',
  columns: [
    ['id', 'uuid'],
    ['email', 'citext'],
    ['password_hash', 'text'],
    ['role', 'text'],
    ['name', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
};
export const DOCTORS: TableSpec = {
  name: 'doctors',
  columns: [
    ['user_id', 'uuid'],
    ['registration_number', 'text'],
    ['council', 'text'],
    ['specializations', 'text[]'],
    ['languages', 'text[]'],
    ['fee_minor', 'integer'],
    ['currency', 'text'],
    ['modes', 'text[]'],
    ['bio', 'text'],
    ['timezone', 'text'],
    ['experience_years', 'integer'],
    ['verification_status', 'text'],
    ['verified_at', 'timestamptz'],
    ['search_text', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
};
export const SCHEDULES: TableSpec = {
  name: 'doctor_schedules',
  columns: [
    ['doctor_id', 'uuid'],
    ['rules', 'jsonb'],
    ['overrides', 'jsonb'],
    ['buffer_minutes', 'integer'],
    ['min_notice_minutes', 'integer'],
    ['horizon_days', 'integer'],
    ['updated_at', 'timestamptz'],
  ],
};
export const SLOTS: TableSpec = {
  name: 'slots',
  columns: [
    ['doctor_id', 'uuid'],
    ['starts_at', 'timestamptz'],
    ['ends_at', 'timestamptz'],
    ['mode', 'text'],
    ['status', 'text'],
    ['source', 'text'],
    ['created_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
};

/** Statistics for the planner once the rows are in (both paths run it after their transaction). */
export const ANALYZE_SEEDED_TABLES =
  'ANALYZE users, doctors, doctor_schedules, slots, appointment_ids, appointments, payments, refunds, reviews, audit_logs';

export interface Sink {
  /** Writes the rows into the table; resolves with how many there were. */
  write(table: TableSpec, rows: Iterable<Value[]>): Promise<number>;
  /** Runs one statement in the same transaction; its rows. */
  query<R>(statement: string): Promise<R[]>;
}

/** The weekly schedule every seeded doctor gets (Asia/Kolkata wall-clock times). */
export function seedSchedule(horizonDays: number): Schedule & { minNoticeMinutes: number } {
  const rules: Rule[] = [];
  for (let weekday = 1; weekday <= 6; weekday++) {
    rules.push({ weekday, start: '09:00', end: '13:00', slotMinutes: 30, mode: 'video' });
    rules.push({ weekday, start: '16:00', end: '20:00', slotMinutes: 30, mode: 'video' });
  }
  return {
    timezone: 'Asia/Kolkata',
    rules,
    overrides: [],
    bufferMinutes: 0,
    minNoticeMinutes: 0,
    horizonDays,
  };
}

export interface PlannedSlot {
  startsAt: string;
  endsAt: string;
  mode: string;
}

/**
 * The slots the seed schedule asks for from `now`, computed by the product's planner (so the daily
 * horizon job finds nothing to change). Every doctor has the same schedule in the same zone, so one
 * planner run serves them all.
 */
export function plannedSlots(schedule: ReturnType<typeof seedSchedule>, now: Date): PlannedSlot[] {
  return generateSlots(schedule, now).map((s) => ({
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    mode: s.mode,
  }));
}

/** A PostgreSQL array literal of simple words (slugs, codes: nothing to quote). */
const pgArray = (items: readonly string[]) => `{${items.join(',')}}`;

export interface Doctor {
  id: string;
  index: number;
}

export function* userRows(
  random: Random,
  role: 'doctor' | 'patient',
  count: number,
  ids: string[],
  passwordHash: string,
  /** When account i (from 0) was made. */
  createdAt: (i: number) => string,
): Generator<Value[]> {
  const width = Math.max(role === 'doctor' ? 5 : 6, String(count).length);
  for (let i = 1; i <= count; i++) {
    const id = random.uuid();
    ids.push(id);
    const email = `${role}-${String(i).padStart(width, '0')}@${SEED_EMAIL_DOMAIN}`;
    const at = createdAt(i - 1);
    yield [id, email, passwordHash, role, personName(random), at, at];
  }
}

export function* doctorRows(random: Random, doctors: Doctor[], names: Map<string, string>, now: string) {
  for (const doctor of doctors) {
    const name = names.get(doctor.id)!;
    const specializations = random.some(SPECIALIZATIONS, random.int(1, 3));
    const place = random.pick(CITIES);
    const languages = [...new Set(['hi', 'en', ...place.languages])].filter((l) =>
      (LANGUAGES as readonly string[]).includes(l),
    );
    const modes = [
      'video',
      ...(random.next() < 0.6 ? ['audio'] : []),
      ...(random.next() < 0.3 ? ['chat'] : []),
    ];
    const experience = random.int(1, 35);
    const fee = 30_000 + 5_000 * random.int(0, 24);
    const specializationNames = specializations.map((s) => s.name);
    const bio =
      `${name} (${random.pick(QUALIFICATIONS)}) has practised Ayurveda in ${place.city} for ${experience} ` +
      `year${experience === 1 ? '' : 's'}, in ${listed(specializationNames)}, with a special interest ` +
      `in ${random.pick(FOCUS)}. Consults in ${listed(languages.map((l) => LANGUAGE_NAMES[l] ?? l))}.`;
    yield [
      doctor.id,
      `NCISM/AY/${String(10_000 + doctor.index)}`,
      'NCISM',
      pgArray(specializations.map((s) => s.slug)),
      pgArray(languages),
      String(fee),
      'INR',
      pgArray(modes),
      bio,
      'Asia/Kolkata',
      String(experience),
      'verified',
      now,
      // The same text DoctorService.upsertProfile keeps for search.
      [name, ...specializationNames, bio].join(' '),
      now,
      now,
    ] satisfies Value[];
  }
}

export function* scheduleRows(doctors: Doctor[], schedule: ReturnType<typeof seedSchedule>, now: string) {
  const rules = JSON.stringify(schedule.rules);
  const overrides = JSON.stringify(schedule.overrides);
  for (const doctor of doctors) {
    yield [
      doctor.id,
      rules,
      overrides,
      String(schedule.bufferMinutes),
      String(schedule.minNoticeMinutes),
      String(schedule.horizonDays),
      now,
    ] satisfies Value[];
  }
}

export function* slotRows(doctors: Doctor[], planned: readonly PlannedSlot[], now: string) {
  for (const doctor of doctors) {
    for (const s of planned) yield [doctor.id, s.startsAt, s.endsAt, s.mode, 'open', 'schedule', now, now];
  }
}
