import type { Db } from '../../platform/db/index.ts';
import type { NewUser, User } from '../../platform/db/schema.ts';

export function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
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
      'refresh_tokens.grace_used',
      'refresh_tokens.revoked_at',
      'refresh_tokens.mfa',
      'users.role',
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

export async function useGrace(db: Db, id: string): Promise<void> {
  await db.updateTable('refresh_tokens').set({ grace_used: true }).where('id', '=', id).execute();
}

/** Every session of the user (e.g. when MFA is switched on: sessions without it must end). */
export async function revokeAllSessions(db: Db, userId: string, now: Date): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
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
