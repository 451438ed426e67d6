import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { NewUser, User } from '../../platform/db/schema.ts';

export function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findContacts(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('users')
    .select(['id', 'role', 'name', 'email', 'phone', 'locale'])
    .where('id', 'in', ids)
    .execute();
}

/** The user's row, locked until the transaction ends (changes to it are decided one at a time). */
export function lockUser(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function insertUser(db: Db, user: NewUser): Promise<User> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export async function updatePasswordHash(db: Db, id: string, passwordHash: string, now: Date): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** The fields given, changed; the row as it is now (undefined if the user is gone). */
export function updateProfile(
  db: Db,
  id: string,
  set: Partial<Pick<User, 'name' | 'phone' | 'locale' | 'date_of_birth' | 'sex'>>,
  now: Date,
): Promise<User | undefined> {
  return db
    .updateTable('users')
    .set({ ...set, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function setPendingMfaSecret(db: Db, id: string, envelope: string, now: Date): Promise<void> {
  await db
    .updateTable('users')
    .set({ mfa_pending_secret: envelope, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Records the accepted TOTP step; false when an equal or later step was already used (a replay). */
export async function claimTotpStep(db: Db, id: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ mfa_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('mfa_last_step', 'is', null), eb('mfa_last_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function enableMfa(
  db: Db,
  id: string,
  envelope: string,
  step: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      mfa_enabled: true,
      mfa_secret: envelope,
      mfa_pending_secret: null,
      mfa_last_step: step,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function disableMfa(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('users')
    .set({ mfa_enabled: false, mfa_secret: null, mfa_pending_secret: null, updated_at: now })
    .where('id', '=', id)
    .execute();
  await db.deleteFrom('recovery_codes').where('user_id', '=', id).execute();
}

export async function replaceRecoveryCodes(db: Db, userId: string, hashes: string[]): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db
    .insertInto('recovery_codes')
    .values(hashes.map((code_hash) => ({ user_id: userId, code_hash })))
    .execute();
}

/** Marks an unused recovery code used; false if it doesn't exist or was used already. */
export async function consumeRecoveryCode(db: Db, userId: string, hash: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function insertRefreshToken(
  db: Db,
  token: { userId: string; familyId: string; hash: string; mfa: boolean; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      user_id: token.userId,
      family_id: token.familyId,
      token_hash: token.hash,
      mfa: token.mfa,
      created_at: token.now,
      expires_at: token.expiresAt,
    })
    .execute();
}

/** Locks the token row so two refreshes of one token are decided one after the other. */
export function lockRefreshToken(db: Db, hash: string) {
  return db
    .selectFrom('refresh_tokens')
    .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
    .select([
      'refresh_tokens.id',
      'refresh_tokens.user_id',
      'refresh_tokens.family_id',
      'refresh_tokens.expires_at',
      'refresh_tokens.rotated_at',
      'refresh_tokens.revoked_at',
      'refresh_tokens.mfa',
      'users.role',
      sql<boolean>`EXISTS (SELECT 1 FROM user_suspensions s
        WHERE s.user_id = refresh_tokens.user_id AND s.lifted_at IS NULL)`.as('suspended'),
    ])
    .where('token_hash', '=', hash)
    .forUpdate('refresh_tokens')
    .executeTakeFirst();
}

export async function markRotated(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ rotated_at: now })
    .where('id', '=', id)
    .where('rotated_at', 'is', null)
    .execute();
}

/** The token of the family with one of these hashes (a rotation's successor), locked like lockRefreshToken. */
export function lockFamilyToken(db: Db, familyId: string, hashes: readonly string[]) {
  return db
    .selectFrom('refresh_tokens')
    .select(['id', 'token_hash', 'rotated_at', 'revoked_at', 'expires_at'])
    .where('family_id', '=', familyId)
    .where('token_hash', 'in', hashes)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Ends the user's sessions (all, or all but `except`): every refresh token of each is revoked.
 * One row per ended session; `live` when it issued a token since `liveSince` (its access tokens
 * may still be alive, see revocations.ts).
 */
export function revokeSessions(
  db: Db,
  userId: string,
  now: Date,
  f: { except?: string | undefined; liveSince: Date },
): Promise<Array<{ family_id: string; live: boolean }>> {
  return db
    .with('ended', (qb) =>
      qb
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .$if(f.except !== undefined, (q) => q.where('family_id', '<>', f.except!))
        .returning(['family_id', 'created_at']),
    )
    .selectFrom('ended')
    .select(['family_id', sql<boolean>`bool_or(created_at > ${f.liveSince})`.as('live')])
    .groupBy('family_id')
    .execute();
}

export async function revokeFamily(db: Db, familyId: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Revoked sessions that issued a token since `since` (their access tokens may be alive), with
 * when each was revoked. Rows created since then, not rows revoked since: revoking a month-old
 * session stamps its whole history, which this must not read (index refresh_tokens_recent_revoked_idx).
 */
export function recentlyRevokedSessions(db: Db, since: Date) {
  return db
    .selectFrom('refresh_tokens')
    .select(['family_id', (eb) => eb.fn.max<Date>('revoked_at').as('revoked_at')])
    .where('created_at', '>', since)
    .where('revoked_at', '>', since)
    .groupBy('family_id')
    .execute();
}

export async function insertResetToken(
  db: Db,
  token: { userId: string; hash: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('password_reset_tokens')
    .values({
      user_id: token.userId,
      token_hash: token.hash,
      created_at: token.now,
      expires_at: token.expiresAt,
    })
    .execute();
}

/** Whether a reset token is usable now (a cheap check before the new password's argon2 hash). */
export async function resetTokenUsable(db: Db, hash: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('password_reset_tokens')
    .select('user_id')
    .where('token_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Uses a reset token: if it is unused and unexpired, it and every other outstanding token of its
 * user are marked used, and the user's id is returned. Concurrent uses of one user's tokens wait
 * for each other on the rows; the second finds them used.
 */
export async function consumeResetToken(db: Db, hash: string, now: Date): Promise<string | undefined> {
  const { rows } = await sql<{ user_id: string; token_hash: string }>`
    UPDATE password_reset_tokens t SET used_at = ${now}
    FROM password_reset_tokens mine
    WHERE mine.token_hash = ${hash} AND mine.used_at IS NULL AND mine.expires_at > ${now}
      AND t.user_id = mine.user_id AND t.used_at IS NULL
    RETURNING t.user_id, t.token_hash`.execute(db);
  return rows.find((r) => r.token_hash === hash)?.user_id;
}
