import { type Expression, type Insertable, type SqlBool, sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { DoctorsTable } from '../../platform/db/schema.ts';
import { BOOKABLE_DURING, BOOKABLE_JOINS } from '../availability/slot-store.ts';

const columns = [
  'd.user_id',
  'u.name',
  'd.registration_number',
  'd.council',
  'd.specializations',
  'd.languages',
  'd.fee_minor',
  'd.currency',
  'd.modes',
  'd.bio',
  'd.timezone',
  'd.experience_years',
  'd.rating_avg',
  'd.rating_count',
  'd.verification_status',
  'd.verification_reason',
] as const;

function baseQuery(db: Db) {
  return db.selectFrom('doctors as d').innerJoin('users as u', 'u.id', 'd.user_id').select(columns);
}

export type DoctorView = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

export function findDoctor(db: Db, id: string): Promise<DoctorView | undefined> {
  return baseQuery(db).where('d.user_id', '=', id).executeTakeFirst();
}

/** Serialises every change to one doctor's profile, schedule and slots. */
export function lockDoctor(db: Db, id: string) {
  return db
    .selectFrom('doctors')
    .select(['user_id', 'registration_number', 'council', 'verification_status', 'timezone', 'modes'])
    .where('user_id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

const CREATED_MS = sql`date_trunc('milliseconds', d.created_at)`;

/**
 * Doctors for the admins' review queue: in one status (any when unset), whose name, e-mail or
 * registration number starts with `q` (case-insensitive), oldest profile first (a queue), after
 * the keyset position `after`; `limit` rows.
 */
export function listForReview(
  db: Db,
  f: {
    status?: 'pending' | 'verified' | 'rejected' | undefined;
    q?: string | undefined;
    after?: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
) {
  const prefix = f.q ? `${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  return (
    db
      .selectFrom('doctors as d')
      .innerJoin('users as u', 'u.id', 'd.user_id')
      .select([...columns, 'u.email', 'd.created_at'])
      .$if(f.status !== undefined, (q) => q.where('d.verification_status', '=', f.status!))
      .$if(prefix !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('u.name', 'ilike', prefix!),
            eb('u.email', 'ilike', prefix!),
            eb('d.registration_number', 'ilike', prefix!),
          ]),
        ),
      )
      // Keyset on the millisecond the cursor can carry (the column keeps microseconds).
      .$if(f.after !== undefined, (q) =>
        q.where(
          sql<SqlBool>`(${CREATED_MS}, d.user_id) > (${f.after!.createdAt}::timestamptz, ${f.after!.id}::uuid)`,
        ),
      )
      .orderBy(CREATED_MS)
      .orderBy('d.user_id')
      .limit(f.limit)
      .execute()
  );
}

export async function timeZoneNames(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM pg_timezone_names`.execute(db);
  return rows.map((r) => r.name);
}

export async function findUserName(db: Db, id: string): Promise<string | undefined> {
  return (await db.selectFrom('users').select('name').where('id', '=', id).executeTakeFirst())?.name;
}

export type ProfileColumns = Required<
  Pick<
    Insertable<DoctorsTable>,
    | 'registration_number'
    | 'council'
    | 'specializations'
    | 'languages'
    | 'fee_minor'
    | 'currency'
    | 'modes'
    | 'bio'
    | 'timezone'
    | 'experience_years'
    | 'search_text'
    | 'updated_at'
  >
>;

export async function upsertProfile(
  db: Db,
  id: string,
  profile: ProfileColumns,
  verification: 'keep' | 'reset',
): Promise<void> {
  await db
    .insertInto('doctors')
    .values({ user_id: id, ...profile })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        ...profile,
        ...(verification === 'reset'
          ? { verification_status: 'pending', verified_at: null, verified_by: null }
          : {}),
      }),
    )
    .execute();
}

export async function setSearchText(db: Db, id: string, searchText: string, now: Date): Promise<void> {
  await db
    .updateTable('doctors')
    .set({ search_text: searchText, updated_at: now })
    .where('user_id', '=', id)
    .execute();
}

export async function setVerification(
  db: Db,
  id: string,
  v: { status: 'verified' | 'rejected'; reason: string | null; by: string; at: Date },
): Promise<void> {
  await db
    .updateTable('doctors')
    .set({
      verification_status: v.status,
      verification_reason: v.reason,
      verified_by: v.by,
      verified_at: v.at,
      updated_at: v.at,
    })
    .where('user_id', '=', id)
    .execute();
}

export interface SearchFilter {
  specialization?: string | undefined;
  language?: string | undefined;
  mode?: string | undefined;
  minFee?: number | undefined;
  maxFee?: number | undefined;
  q?: string | undefined;
  availableOn?: string | undefined;
  now: Date;
  sort: 'relevance' | 'rating' | 'fee';
  /** Keyset position: [score | rating | fee, id] of the last row of the previous page. */
  after?: [string | number, string] | undefined;
  limit: number;
}

/** Verified doctors only; every filter is served by a partial index on verified rows. */
export function searchQuery(db: Db, f: SearchFilter) {
  const score = f.q
    ? sql<number>`(ts_rank(d.search_tsv, websearch_to_tsquery('simple', ${f.q})) + word_similarity(${f.q}, d.search_text))::float8`
    : sql<number>`0::float8`;
  let q = baseQuery(db).select(score.as('score')).where('d.verification_status', '=', 'verified');
  if (f.specialization) q = q.where(sql<SqlBool>`d.specializations @> ARRAY[${f.specialization}]::text[]`);
  if (f.language) q = q.where(sql<SqlBool>`d.languages @> ARRAY[${f.language}]::text[]`);
  if (f.mode) q = q.where(sql<SqlBool>`d.modes @> ARRAY[${f.mode}]::text[]`);
  if (f.minFee !== undefined) q = q.where('d.fee_minor', '>=', f.minFee);
  if (f.maxFee !== undefined) q = q.where('d.fee_minor', '<=', f.maxFee);
  if (f.q) {
    q = q.where(
      sql<SqlBool>`(d.search_tsv @@ websearch_to_tsquery('simple', ${f.q}) OR ${f.q} <% d.search_text)`,
    );
  }
  if (f.availableOn) {
    // "Has a slot bookable now on date D" in the doctor's own zone, by the same rule a booking
    // claims with: slot_bookable_during().
    const zone = sql`d.timezone`;
    q = q.where(sql<SqlBool>`EXISTS (
      SELECT 1 FROM slots AS s ${BOOKABLE_JOINS}
      WHERE s.doctor_id = d.user_id
        AND s.starts_at >= (${f.availableOn}::date)::timestamp AT TIME ZONE ${zone}
        AND s.starts_at < (${f.availableOn}::date + 1)::timestamp AT TIME ZONE ${zone}
        AND ${BOOKABLE_DURING} @> ${f.now}::timestamptz)`);
  }
  const [key, id] = f.after ?? [];
  const keyset = (expr: Expression<unknown>, op: '<' | '>', cast: string): Expression<SqlBool> =>
    sql<SqlBool>`(${expr}, d.user_id) ${sql.raw(op)} (${key}::${sql.raw(cast)}, ${id}::uuid)`;
  switch (f.sort) {
    case 'fee':
      if (f.after) q = q.where(keyset(sql`d.fee_minor`, '>', 'int4'));
      q = q.orderBy('d.fee_minor', 'asc').orderBy('d.user_id', 'asc');
      break;
    case 'rating':
      if (f.after) q = q.where(keyset(sql`d.rating_avg`, '<', 'numeric'));
      q = q.orderBy('d.rating_avg', 'desc').orderBy('d.user_id', 'desc');
      break;
    case 'relevance':
      if (f.after) q = q.where(keyset(score, '<', 'float8'));
      q = q.orderBy(score, 'desc').orderBy('d.user_id', 'desc');
      break;
  }
  return q.limit(f.limit);
}

/**
 * Runs `work` with search settings: word similarity from 0.4 (a typo in a short name, e.g.
 * "Shrma" for "Sharma", scores 0.44; PostgreSQL's default of 0.6 would miss it).
 */
export function withSearchSettings<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`SET LOCAL pg_trgm.word_similarity_threshold = 0.4`.execute(tx);
    return work(tx);
  });
}

export function searchDoctors(db: Db, f: SearchFilter) {
  return f.q ? withSearchSettings(db, (tx) => searchQuery(tx, f).execute()) : searchQuery(db, f).execute();
}
