import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import { MEASURES, sumsSql, type Totals, totalsOf } from './measures.ts';

/**
 * Reads of the rollups. A range is [lo, hi): local midnights of the reader's zone, so always on a
 * UTC quarter-hour. Rows come back with their measures as numbers.
 */

export interface Bounds {
  lo: Date;
  hi: Date;
}

/** The instants where `from` begins and the day after `to` begins, in `tz` (PostgreSQL's zone rules). */
export async function boundsOf(db: Db, from: string, to: string, tz: string): Promise<Bounds> {
  const { rows } = await sql<Bounds>`
    SELECT (${from}::date::timestamp AT TIME ZONE ${tz}) AS lo,
           ((${to}::date + 1)::timestamp AT TIME ZONE ${tz}) AS hi`.execute(db);
  return rows[0]!;
}

export interface DayRow {
  day: string;
  currency: string;
  totals: Totals;
}

/** All doctors' sums per local day (in `tz`) and currency. */
export async function dayTotals(db: Db, { lo, hi }: Bounds, tz: string): Promise<DayRow[]> {
  const { rows } = await sql<Record<string, string> & { day: string; currency: string }>`
    SELECT to_char((bucket AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, currency, ${sql.raw(sumsSql())}
    FROM analytics_qh WHERE bucket >= ${lo} AND bucket < ${hi}
    GROUP BY 1, 2`.execute(db);
  return rows.map((r) => ({ day: r.day, currency: r.currency, totals: totalsOf(r) }));
}

/** Patients who signed up, per local day. */
export async function signupsPerDay(db: Db, { lo, hi }: Bounds, tz: string): Promise<Map<string, number>> {
  const { rows } = await sql<{ day: string; n: number }>`
    SELECT to_char((bucket AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, sum(patients)::int AS n
    FROM analytics_signups WHERE bucket >= ${lo} AND bucket < ${hi} GROUP BY 1`.execute(db);
  return new Map(rows.map((r) => [r.day, r.n]));
}

const DAY_MS = 86_400_000;
const floorDay = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;
const ceilDay = (t: number) => Math.ceil(t / DAY_MS) * DAY_MS;
const floorMonth = (t: number) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const ceilMonth = (t: number) => {
  const f = floorMonth(t);
  if (f === t) return t;
  const d = new Date(f);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

type Grain = 'analytics_doctor_qh' | 'analytics_doctor_day' | 'analytics_doctor_month';

/**
 * [lo, hi) as the fewest rollup rows: whole UTC months from the month table, whole UTC days from
 * the day table, the quarter-hours at the edges from the quarter-hour table.
 */
export function segmentsOf({ lo, hi }: Bounds): { grain: Grain; from: Date; to: Date }[] {
  const out: { grain: Grain; from: number; to: number }[] = [];
  const [l, h] = [lo.getTime(), hi.getTime()];
  const [d1, d2] = [ceilDay(l), floorDay(h)];
  if (d1 >= d2) {
    out.push({ grain: 'analytics_doctor_qh', from: l, to: h });
  } else {
    out.push(
      { grain: 'analytics_doctor_qh', from: l, to: d1 },
      { grain: 'analytics_doctor_qh', from: d2, to: h },
    );
    const [m1, m2] = [ceilMonth(d1), floorMonth(d2)];
    if (m1 >= m2) {
      out.push({ grain: 'analytics_doctor_day', from: d1, to: d2 });
    } else {
      out.push(
        { grain: 'analytics_doctor_day', from: d1, to: m1 },
        { grain: 'analytics_doctor_day', from: m2, to: d2 },
        { grain: 'analytics_doctor_month', from: m1, to: m2 },
      );
    }
  }
  return out.filter((s) => s.from < s.to).map((s) => ({ ...s, from: new Date(s.from), to: new Date(s.to) }));
}

export interface DoctorRow {
  doctor_id: string;
  name: string;
  specializations: string[];
  rating_avg: number;
  rating_count: number;
  totals: Totals;
}

/**
 * Every verified doctor, and every other with rows in the range, with their sums in `currency`.
 * The sums are made once, apart (MATERIALIZED), and names looked up per doctor: joined instead, the
 * planner read all users and ran the whole aggregate in every parallel worker (6× slower at 3 M).
 */
export async function doctorTotals(db: Db, bounds: Bounds, currency: string): Promise<DoctorRow[]> {
  const parts: RawBuilder<unknown>[] = segmentsOf(bounds).map(
    (s) => sql`SELECT doctor_id, ${sql.raw(MEASURES.join(', '))} FROM ${sql.table(s.grain)}
      WHERE currency = ${currency} AND bucket >= ${s.from} AND bucket < ${s.to}`,
  );
  const { rows } = await sql<Record<string, unknown> & Omit<DoctorRow, 'totals'>>`
    WITH agg AS MATERIALIZED (
      SELECT doctor_id, ${sql.raw(sumsSql())} FROM (${sql.join(parts, sql` UNION ALL `)}) r GROUP BY doctor_id)
    SELECT d.user_id AS doctor_id, (SELECT u.name FROM users u WHERE u.id = d.user_id) AS name,
      d.specializations, d.rating_avg::float8 AS rating_avg, d.rating_count,
      ${sql.raw(MEASURES.map((m) => `agg.${m}`).join(', '))}
    FROM doctors d LEFT JOIN agg ON agg.doctor_id = d.user_id
    WHERE d.verification_status = 'verified' OR agg.doctor_id IS NOT NULL`.execute(db);
  return rows.map((r) => ({
    doctor_id: r.doctor_id,
    name: r.name,
    specializations: r.specializations,
    rating_avg: r.rating_avg,
    rating_count: r.rating_count,
    totals: totalsOf(r),
  }));
}
