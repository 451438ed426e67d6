import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import { freshSql, sumsSql, type Totals, totalsOf } from './measures.ts';
import type { Bounds } from './repo.ts';

/**
 * The raw queries the rollups must equal: the same measures straight from appointments, payments,
 * slots and users, days cut by PostgreSQL in the reader's zone. Slow at scale, obviously right:
 * the tests compare what the API answers with them.
 */

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const inRange = (alias: string, { lo, hi }: Bounds) =>
  `${alias}.starts_at >= ${literal(lo.toISOString())}::timestamptz AND ${alias}.starts_at < ${literal(hi.toISOString())}::timestamptz`;

/** Per local day and currency, all doctors. */
export async function oracleDays(
  db: Db,
  bounds: Bounds,
  tz: string,
): Promise<{ day: string; currency: string; totals: Totals }[]> {
  const fresh = freshSql(
    `(SELECT * FROM appointments a WHERE ${inRange('a', bounds)}) a`,
    `(SELECT * FROM slots s WHERE ${inRange('s', bounds)}) s`,
    (column) => `to_char((${column} AT TIME ZONE ${literal(tz)})::date, 'YYYY-MM-DD')`,
  );
  const { rows } = await sql
    .raw<Record<string, string>>(
      `SELECT bucket AS day, currency, ${sumsSql()} FROM (${fresh}) f GROUP BY 1, 2`,
    )
    .execute(db);
  return rows.map((r) => ({ day: r.day!, currency: r.currency!, totals: totalsOf(r) }));
}

/** Per doctor, in one currency. */
export async function oracleDoctors(db: Db, bounds: Bounds, currency: string): Promise<Map<string, Totals>> {
  const fresh = freshSql(
    `(SELECT * FROM appointments a WHERE ${inRange('a', bounds)}) a`,
    `(SELECT * FROM slots s WHERE ${inRange('s', bounds)}) s`,
    () => '0',
  );
  const { rows } = await sql
    .raw<Record<string, string>>(
      `SELECT doctor_id, ${sumsSql()} FROM (${fresh}) f WHERE currency = ${literal(currency)} GROUP BY 1`,
    )
    .execute(db);
  return new Map(rows.map((r) => [r.doctor_id!, totalsOf(r)]));
}

/** Patients who signed up, per local day. */
export async function oracleSignups(db: Db, { lo, hi }: Bounds, tz: string): Promise<Map<string, number>> {
  const { rows } = await sql<{ day: string; n: number }>`
    SELECT to_char((created_at AT TIME ZONE ${tz})::date, 'YYYY-MM-DD') AS day, count(*)::int AS n
    FROM users WHERE role = 'patient' AND created_at >= ${lo} AND created_at < ${hi} GROUP BY 1`.execute(db);
  return new Map(rows.map((r) => [r.day, r.n]));
}
