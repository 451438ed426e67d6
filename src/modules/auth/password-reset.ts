import { randomBytes } from 'node:crypto';
import { AppError, type RequestMeta, SYSTEM } from '../../http/index.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import { passwordResetMail } from './mail-templates.ts';
import { type AuthDeps, emailDigest, eventCounter } from './parts.ts';
import { assertStrongPassword } from './password-policy.ts';
import { hashPassword } from './passwords.ts';
import * as repo from './repo.ts';
import type { Sessions } from './sessions.ts';
import { normaliseEmail } from './throttle.ts';

/**
 * Password reset by e-mailed token.
 *
 * Invariants:
 * - A request answers the same whether or not the account exists, after the same work: a counter
 *   hit, a lookup and one transaction (its audit row, and for an account under the mail cap the
 *   outbox event in the same transaction).
 * - The token is made by the job that mails it (random, 256 bits): its plaintext exists only in
 *   that job's memory and the mail, never in the outbox, Redis, the database (SHA-256 only) or logs.
 * - The new password passes the password policy; one that doesn't leaves the token unused.
 * - A token works once, until it expires; using one uses up every outstanding token of its user.
 * - A reset ends every session of the user (their access tokens included) and clears the
 *   account's login lockout.
 */

export const RESET_TOPIC = 'auth.password_reset';
const HOUR_MS = 3_600_000;

const invalidResetToken = () =>
  new AppError(
    400,
    'INVALID_RESET_TOKEN',
    'The reset token is invalid, expired or already used; ask for a new one',
  );

export function createPasswordReset(deps: AuthDeps, sessions: Sessions) {
  const { db, clock, audit, outbox, throttle, mailer, settings } = deps;
  const count = eventCounter(deps.metrics);
  const ttlMs = settings.passwordReset.ttlMinutes * 60_000;

  /** Counts a request for this address; false past the hourly cap. Fails open if the counters are down. */
  async function underMailCap(email: string): Promise<boolean> {
    try {
      const { count: requests } = await deps.counters.hit(`pwreset:acct:${sha256Hex(email)}`, HOUR_MS);
      return requests <= settings.passwordReset.mailsPerHour;
    } catch (error) {
      deps.logger.warn({ err: error }, 'reset mail cap unavailable; failing open');
      return true;
    }
  }

  /** Uses the token and sets the password in one transaction; null when the token was used meanwhile. */
  async function resetWith(
    input: { tokenHash: string; newPassword: string; passwordHash: string; now: Date },
    meta: RequestMeta,
  ) {
    const { tokenHash, passwordHash, now } = input;
    return db.transaction().execute(async (tx) => {
      const userId = await repo.consumeResetToken(tx, tokenHash, now);
      if (!userId) return null;
      const user = (await repo.findUserById(tx, userId))!;
      // Refused inside the transaction: the token stays unused for a better password.
      assertStrongPassword(input.newPassword, user, 'newPassword');
      await repo.updatePasswordHash(tx, userId, passwordHash, now);
      const ended = await sessions.end(tx, userId);
      await audit.record(tx, meta, {
        action: 'auth.password_reset',
        entity: 'user',
        entityId: userId,
        actor: { id: userId, role: user.role },
        details: { sessionsEnded: ended.count },
      });
      return { email: user.email, live: ended.live };
    });
  }

  return {
    /** POST /auth/password/forgot: for an existing account under the cap, a mail is on its way. */
    async requestPasswordReset(emailGiven: string, meta: RequestMeta): Promise<void> {
      const email = normaliseEmail(emailGiven);
      const allowed = await underMailCap(email);
      const user = await repo.findUserByEmail(db, email);
      await db.transaction().execute(async (tx) => {
        await audit.record(tx, meta, {
          action: 'auth.password_reset_requested',
          entity: 'user',
          entityId: user?.id ?? null,
          actor: user ? { id: user.id, role: user.role } : null,
          // A keyed digest, not the text: audit rows are forever.
          details: user
            ? { mailed: allowed }
            : { reason: 'unknown_email', emailDigest: emailDigest(deps.cipher, email) },
        });
        if (user && allowed) await outbox.add(tx, RESET_TOPIC, { userId: user.id });
      });
      count(user && allowed ? 'password_reset_requested' : 'password_reset_not_mailed');
    },

    /** The job: a new token, stored as its hash, mailed to the user in their language. */
    async mailPasswordReset(userId: string): Promise<void> {
      const user = await repo.findUserById(db, userId);
      if (!user) return; // the account is gone: nothing to reset
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + ttlMs);
      await db.transaction().execute(async (tx) => {
        await repo.insertResetToken(tx, { userId, hash: sha256Hex(token), now, expiresAt });
        await audit.record(tx, SYSTEM, {
          action: 'auth.password_reset_issued',
          entity: 'user',
          entityId: userId,
          details: { expiresAt: expiresAt.toISOString() },
        });
      });
      const link = `${settings.publicUrl}/reset-password?token=${token}`;
      await mailer.send({
        to: user.email,
        ...passwordResetMail(user.locale, {
          name: user.name,
          link,
          token,
          minutes: settings.passwordReset.ttlMinutes,
        }),
      });
      count('password_reset_mailed');
    },

    /** POST /auth/password/reset: the new password, every session ended, the lockout cleared. */
    async resetPassword(input: { token: string; newPassword: string }, meta: RequestMeta): Promise<void> {
      const now = clock.now();
      const tokenHash = sha256Hex(input.token);
      // A bad token costs a lookup, not an argon2 hash (~90 ms of CPU an anonymous caller could spend).
      const outcome = !(await repo.resetTokenUsable(db, tokenHash, now))
        ? null
        : await resetWith(
            {
              tokenHash,
              newPassword: input.newPassword,
              passwordHash: await hashPassword(input.newPassword),
              now,
            },
            meta,
          );
      if (!outcome) {
        count('password_reset_invalid');
        throw invalidResetToken();
      }
      await sessions.announce(outcome.live);
      await throttle.cleared(outcome.email, meta.ip ?? 'unknown');
      count('password_reset');
    },
  };
}
