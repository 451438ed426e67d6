import { type SqlBool, sql } from 'kysely';
import type { Role } from '../../config.ts';
import type { Db } from '../../platform/db/index.ts';

/** SQL of the admins' user list and of suspensions (the rest of the module's SQL is in repo.ts). */

export type UserStatus = 'active' | 'suspended';

/** Every account suspended now (the in-force index, user_suspensions_in_force_idx). */
export async function suspendedUserIds(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('user_suspensions')
    .select('user_id')
    .where('lifted_at', 'is', null)
    .execute();
  return rows.map((r) => r.user_id);
}

export function suspensionInForce(db: Db, userId: string) {
  return db
    .selectFrom('user_suspensions')
    .select(['id', 'reason', 'suspended_at'])
    .where('user_id', '=', userId)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
}

/**
 * The user's row, locked against other changes to it until the transaction ends (suspensions of one
 * user are decided one at a time). NO KEY UPDATE: a sign-in's foreign-key check (KEY SHARE) on the
 * row does not wait for it, so a sign-in holding a refresh token's lock can't deadlock with this.
 */
export function lockUserForChange(db: Db, id: string) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'mfa_enabled', 'created_at'])
    .where('id', '=', id)
    .forNoKeyUpdate()
    .executeTakeFirst();
}

export function insertSuspension(db: Db, s: { userId: string; reason: string; by: string; at: Date }) {
  return db
    .insertInto('user_suspensions')
    .values({ user_id: s.userId, reason: s.reason, suspended_by: s.by, suspended_at: s.at })
    .returning(['reason', 'suspended_at'])
    .executeTakeFirstOrThrow();
}

/** Lifts the suspension in force; false when there is none. */
export async function liftSuspension(db: Db, userId: string, by: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('user_suspensions')
    .set({ lifted_by: by, lifted_at: at })
    .where('user_id', '=', userId)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Where a page ended: the instant with its microseconds (the column's precision) and the id. */
const POSITION = sql<string>`to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Accounts for admins: of one role and status (any when unset), whose name or e-mail starts with
 * `q` whatever the case (LIKE's wildcards in `q` taken literally), newest first, after the keyset
 * position `after`; `limit` rows, each with its suspension in force (if any).
 */
export function listUsers(
  db: Db,
  f: {
    role?: Role | undefined;
    status?: UserStatus | undefined;
    q?: string | undefined;
    after?: { createdAt: string; id: string } | undefined;
    limit: number;
  },
) {
  const prefix = f.q ? `${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
  return (
    db
      .selectFrom('users as u')
      .leftJoin('user_suspensions as s', (join) =>
        join.onRef('s.user_id', '=', 'u.id').on('s.lifted_at', 'is', null),
      )
      .select([
        'u.id',
        'u.email',
        'u.name',
        'u.role',
        'u.mfa_enabled',
        'u.created_at',
        's.reason as suspension_reason',
        's.suspended_at',
        POSITION.as('position'),
      ])
      .$if(f.role !== undefined, (q) => q.where('u.role', '=', f.role!))
      .$if(f.status === 'suspended', (q) => q.where('s.id', 'is not', null))
      .$if(f.status === 'active', (q) => q.where('s.id', 'is', null))
      // The expressions of users_name_prefix_idx and users_email_prefix_idx.
      .$if(prefix !== undefined, (q) =>
        q.where(
          sql<SqlBool>`(lower(u.name) LIKE lower(${prefix}) OR lower(u.email::text) LIKE lower(${prefix}))`,
        ),
      )
      .$if(f.after !== undefined, (q) =>
        q.where(
          sql<SqlBool>`(u.created_at, u.id) < (${f.after!.createdAt}::timestamptz, ${f.after!.id}::uuid)`,
        ),
      )
      .orderBy('u.created_at', 'desc')
      .orderBy('u.id', 'desc')
      .limit(f.limit)
      .execute()
  );
}

export type UserListRow = Awaited<ReturnType<typeof listUsers>>[number];
