import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import { freshSql, MEASURES, quarterHourOf } from './measures.ts';

/**
 * Keeps the rollup tables (migration 0014; the triggers that list changes: 0015) equal to sums of
 * the raw rows.
 *
 * Invariants:
 * - A doctor's quarter-hour rows of a UTC day are recomputed from the raw rows whenever that day
 *   is listed in `analytics_dirty`; the day, month and all-doctor rows change by the difference
 *   (new − old), in the same statement. So every grain is always the sum of the quarter-hours below.
 * - One refresher at a time (a transaction-scoped advisory lock): two refreshers computing the same
 *   difference would add it twice. Another process finding the lock taken skips its turn.
 * - A batch claims dirty rows and reads the raw rows in one statement, hence one snapshot: a change
 *   committed after it keeps its dirty row for the next batch; a crash rolls the claim back.
 * - Patients' sign-ups (dirty rows without a doctor) are recounted for the whole day.
 */
const LOCK = sql`pg_try_advisory_xact_lock(hashtext('amrutam analytics refresh'))`;
const DAY = `interval '1 day'`;
const cols = MEASURES.join(', ');
const plus = (table: string) => MEASURES.map((m) => `${m} = ${table}.${m} + EXCLUDED.${m}`).join(', ');
const deltaSums = MEASURES.map((m) => `sum(${m})`).join(', ');

/**
 * The rows of `table` of each claimed (doctor, day): LATERAL, and kept apart (OFFSET 0), so each
 * is one range of the (doctor_id, starts_at) index (one partition's, for appointments). Joined
 * plainly, the planner read every slot of the doctor and filtered the day, or scanned all of
 * appointments.
 */
const inDay = (table: string, alias: string) =>
  `k CROSS JOIN LATERAL (SELECT * FROM ${table} WHERE doctor_id = k.doctor_id
     AND starts_at >= k.day AND starts_at < k.day + ${DAY} OFFSET 0) ${alias}`;

const refreshSql = (batch: number) => `
  WITH claimed AS (
    DELETE FROM analytics_dirty
    WHERE ctid = ANY (ARRAY (SELECT ctid FROM analytics_dirty LIMIT ${Math.trunc(batch)}))
    RETURNING doctor_id, day
  ),
  k AS (SELECT DISTINCT doctor_id, day FROM claimed WHERE doctor_id IS NOT NULL),
  fresh AS (${freshSql(inDay('appointments', 'a'), inDay('slots', 's'))}),
  old AS (
    SELECT r.* FROM k JOIN analytics_doctor_qh r
      ON r.doctor_id = k.doctor_id AND r.bucket >= k.day AND r.bucket < k.day + ${DAY}
  ),
  keyed AS (
    SELECT doctor_id, bucket, currency,
      ${MEASURES.map((m) => `coalesce(f.${m}, 0) AS ${m}, coalesce(f.${m}, 0) - coalesce(o.${m}, 0) AS d_${m}`).join(', ')}
    FROM fresh f FULL JOIN old o USING (doctor_id, bucket, currency)
  ),
  put AS (
    INSERT INTO analytics_doctor_qh (doctor_id, bucket, currency, ${cols})
    SELECT doctor_id, bucket, currency, ${cols} FROM keyed
    ON CONFLICT (doctor_id, bucket, currency) DO UPDATE SET ${MEASURES.map((m) => `${m} = EXCLUDED.${m}`).join(', ')}
  ),
  delta AS (
    SELECT doctor_id, bucket, currency, ${MEASURES.map((m) => `d_${m} AS ${m}`).join(', ')} FROM keyed
    WHERE ${MEASURES.map((m) => `d_${m} <> 0`).join(' OR ')}
  ),
  days AS (
    INSERT INTO analytics_doctor_day AS t (doctor_id, bucket, currency, ${cols})
    SELECT doctor_id, analytics_day(bucket), currency, ${deltaSums} FROM delta GROUP BY 1, 2, 3
    ON CONFLICT (doctor_id, bucket, currency) DO UPDATE SET ${plus('t')}
  ),
  months AS (
    INSERT INTO analytics_doctor_month AS t (doctor_id, bucket, currency, ${cols})
    SELECT doctor_id, date_trunc('month', bucket, 'UTC'), currency, ${deltaSums} FROM delta GROUP BY 1, 2, 3
    ON CONFLICT (doctor_id, bucket, currency) DO UPDATE SET ${plus('t')}
  ),
  everyone AS (
    INSERT INTO analytics_qh AS t (bucket, currency, ${cols})
    SELECT bucket, currency, ${deltaSums} FROM delta GROUP BY 1, 2
    ON CONFLICT (bucket, currency) DO UPDATE SET ${plus('t')}
  ),
  signups AS (
    INSERT INTO analytics_signups AS t (bucket, patients)
    SELECT q.bucket, count(u.id)
    FROM (SELECT DISTINCT day FROM claimed WHERE doctor_id IS NULL) sd
    CROSS JOIN LATERAL generate_series(sd.day, sd.day + ${DAY} - interval '15 minutes', interval '15 minutes') AS q(bucket)
    LEFT JOIN users u ON u.role = 'patient' AND u.created_at >= q.bucket AND u.created_at < q.bucket + interval '15 minutes'
    GROUP BY 1
    ON CONFLICT (bucket) DO UPDATE SET patients = EXCLUDED.patients
  )
  SELECT count(*)::int AS claimed FROM claimed`;

/** How many dirty rows one statement claims. */
export const REFRESH_BATCH = 5_000;

/**
 * Brings the rollups up to date with what is committed; returns the dirty rows it handled, or null
 * when another process holds the refresher's lock.
 */
export async function refreshRollups(db: Db, batch = REFRESH_BATCH): Promise<number | null> {
  let handled = 0;
  const { rows } = await sql<{ any: boolean }>`SELECT EXISTS (SELECT FROM analytics_dirty) AS any`.execute(
    db,
  );
  if (!rows[0]?.any) return 0;
  for (;;) {
    const claimed = await db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ locked: boolean }>`SELECT ${LOCK} AS locked`.execute(tx);
      if (!rows[0]?.locked) return null;
      const r = await sql.raw<{ claimed: number }>(refreshSql(batch)).execute(tx);
      return r.rows[0]?.claimed ?? 0;
    });
    if (claimed === null) return handled > 0 ? handled : null;
    handled += claimed;
    if (claimed < batch) return handled;
  }
}

/**
 * Recomputes every rollup from the raw rows (after a bulk load, or to repair): the same sums the
 * refresher keeps, computed at once, written in bucket order so that a range's rows sit together
 * (a day of every doctor's quarter-hours: a few hundred pages rather than one page per row).
 * Writers go on meanwhile; what they commit after the dirty list is emptied is listed again and
 * refreshed later. Readers of analytics wait for it.
 */
export async function rebuildRollups(db: Db): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('amrutam analytics refresh'))`.execute(tx);
    await sql`DELETE FROM analytics_dirty`.execute(tx);
    await sql`TRUNCATE analytics_doctor_qh, analytics_doctor_day, analytics_doctor_month, analytics_qh, analytics_signups`.execute(
      tx,
    );
    await sql
      .raw(
        `INSERT INTO analytics_doctor_qh (doctor_id, bucket, currency, ${cols})
         SELECT * FROM (${freshSql('appointments a', 'slots s')}) f ORDER BY bucket`,
      )
      .execute(tx);
    const roll = (into: string, bucket: string, from: string, doctor = 'doctor_id, ') =>
      sql
        .raw(
          `INSERT INTO ${into} (${doctor}bucket, currency, ${cols})
           SELECT ${doctor}${bucket}, currency, ${deltaSums} FROM ${from} GROUP BY ${doctor}${bucket}, currency
           ORDER BY ${bucket}`,
        )
        .execute(tx);
    await roll('analytics_doctor_day', 'analytics_day(bucket)', 'analytics_doctor_qh');
    await roll('analytics_doctor_month', `date_trunc('month', bucket, 'UTC')`, 'analytics_doctor_day');
    await roll('analytics_qh', 'bucket', 'analytics_doctor_qh', '');
    await sql
      .raw(
        `INSERT INTO analytics_signups (bucket, patients)
         SELECT ${quarterHourOf('created_at')}, count(*) FROM users WHERE role = 'patient' GROUP BY 1`,
      )
      .execute(tx);
  });
}

/** Dirty rows waiting: how far the rollups are behind (0: up to date). */
export async function pendingChanges(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM analytics_dirty`.execute(db);
  return rows[0]?.n ?? 0;
}
