import {
  AppError,
  type AuthContext,
  conflict,
  forbidden,
  type RequestMeta,
  unauthorized,
} from '../../http/index.ts';
import type { Db } from '../../platform/db/index.ts';
import type { User } from '../../platform/db/schema.ts';
import type { SealedColumn } from '../../platform/sealed-columns.ts';
import { type AuthDeps, eventCounter, loadUser, type Session } from './parts.ts';
import * as repo from './repo.ts';
import type { Sessions } from './sessions.ts';
import { hashRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, totpUri } from './totp.ts';

/**
 * TOTP enrolment and the second factor.
 *
 * Invariants:
 * - Secrets are stored encrypted (bound to the user's id); a TOTP step is accepted once, a
 *   recovery code once.
 * - Every code checked counts against the user's second-factor limit (throttle.ts `secondFactor`,
 *   429 past it), at enrolment, at sign-in (sign-in.ts) and to turn MFA off; a right code clears it.
 * - Enabling MFA ends every session without it (their access tokens included); the enrolling
 *   session continues as a new one with the factor.
 */

export const invalidMfaCode = () => unauthorized('The code is not valid', 'INVALID_MFA_CODE');
const secretContext = (userId: string) => `users.mfa_secret:${userId}`;

/** The sealed columns, for key rotation (platform/sealed-columns.ts). */
export const SEALED_COLUMNS = (['mfa_secret', 'mfa_pending_secret'] as const).map(
  (column): SealedColumn => ({
    table: 'users',
    column,
    key: ['id'],
    context: (row) => secretContext(row.id as string),
  }),
);

export type Mfa = ReturnType<typeof createMfa>;

export function createMfa(deps: AuthDeps, sessions: Sessions) {
  const { db, clock, cipher, audit, settings, throttle } = deps;
  const count = eventCounter(deps.metrics);

  /** A TOTP code (once per time step) or an unused recovery code. */
  async function checkSecondFactor(
    tx: Db,
    user: User,
    code: string,
  ): Promise<'totp' | 'recovery_code' | null> {
    if (!user.mfa_secret) return null;
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) {
      const secret = cipher.decrypt(user.mfa_secret, secretContext(user.id));
      const step = matchTotp(secret, trimmed, clock.now(), user.mfa_last_step);
      if (step === null) return null;
      return (await repo.claimTotpStep(tx, user.id, step)) ? 'totp' : null;
    }
    return (await repo.consumeRecoveryCode(tx, user.id, hashRecoveryCode(trimmed), clock.now()))
      ? 'recovery_code'
      : null;
  }

  return {
    checkSecondFactor,

    async mfaSetup(auth: AuthContext, meta: RequestMeta): Promise<{ secret: string; otpauthUrl: string }> {
      const user = await loadUser(db, auth.userId);
      if (user.mfa_enabled) throw conflict('MFA_ALREADY_ENABLED', 'MFA is already enabled; disable it first');
      const secret = newTotpSecret();
      await db.transaction().execute(async (tx) => {
        await repo.setPendingMfaSecret(
          tx,
          user.id,
          cipher.encrypt(secret, secretContext(user.id)),
          clock.now(),
        );
        await audit.record(tx, meta, { action: 'auth.mfa_setup', entity: 'user', entityId: user.id });
      });
      return { secret, otpauthUrl: totpUri(secret, user.email) };
    },

    async mfaEnable(
      auth: AuthContext,
      code: string,
      meta: RequestMeta,
    ): Promise<{ recoveryCodes: string[] } & Session> {
      const user = await loadUser(db, auth.userId);
      if (user.mfa_enabled) throw conflict('MFA_ALREADY_ENABLED', 'MFA is already enabled');
      if (!user.mfa_pending_secret) throw conflict('MFA_SETUP_REQUIRED', 'Call /auth/mfa/setup first');
      const envelope = user.mfa_pending_secret;
      const secret = cipher.decrypt(envelope, secretContext(user.id));
      await throttle.secondFactor(user.id);
      const step = matchTotp(secret, code.trim(), clock.now(), null);
      if (step === null)
        throw new AppError(400, 'INVALID_MFA_CODE', 'The code does not match; check the device clock');
      await throttle.secondFactorPassed(user.id);
      const recoveryCodes = newRecoveryCodes();
      const { session, ended } = await db.transaction().execute(async (tx) => {
        await repo.enableMfa(tx, user.id, envelope, step, clock.now());
        await repo.replaceRecoveryCodes(tx, user.id, recoveryCodes.map(hashRecoveryCode));
        // Every session without the second factor ends; the one that enrolled continues with it.
        const ended = await sessions.end(tx, user.id);
        await audit.record(tx, meta, { action: 'auth.mfa_enabled', entity: 'user', entityId: user.id });
        return { session: await sessions.start(tx, user, true), ended };
      });
      await sessions.announce(ended.live);
      count('mfa_enabled');
      return { recoveryCodes, ...session };
    },

    async mfaDisable(auth: AuthContext, code: string, meta: RequestMeta): Promise<void> {
      const user = await loadUser(db, auth.userId);
      if (!user.mfa_enabled) throw conflict('MFA_NOT_ENABLED', 'MFA is not enabled');
      if (settings.mfaRequiredRoles.includes(user.role)) {
        throw forbidden(`MFA is required for role ${user.role}`, 'MFA_REQUIRED');
      }
      await throttle.secondFactor(user.id);
      const ok = await db.transaction().execute(async (tx) => {
        if (!(await checkSecondFactor(tx, user, code))) return false;
        await repo.disableMfa(tx, user.id, clock.now());
        await audit.record(tx, meta, { action: 'auth.mfa_disabled', entity: 'user', entityId: user.id });
        return true;
      });
      if (!ok) throw invalidMfaCode();
      await throttle.secondFactorPassed(user.id);
      count('mfa_disabled');
    },
  };
}
