import { type RequestMeta, unauthorized } from '../../http/index.ts';
import type { User } from '../../platform/db/schema.ts';
import { loginAlertMail } from './mail-templates.ts';
import { invalidMfaCode, type Mfa } from './mfa.ts';
import {
  type AuthDeps,
  accountSuspended,
  emailDigest,
  eventCounter,
  invalidCredentials,
  loadUser,
  type PublicUser,
  publicUser,
  type Session,
} from './parts.ts';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import * as repo from './repo.ts';
import type { Sessions } from './sessions.ts';
import { normaliseEmail } from './throttle.ts';
import { suspensionInForce } from './users-repo.ts';

/**
 * Sign-in: the password (POST /auth/login), then the second factor (POST /auth/mfa/verify).
 *
 * Invariants:
 * - Whether an email has an account is never told by an answer or its timing: a failed sign-in
 *   with an unknown email still verifies a password (a decoy argon2id hash), and is throttled alike.
 * - Failed sign-ins are throttled per account + address, per account and per address (throttle.ts);
 *   when an account's failures pass the cap its owner gets a mail (LOGIN_ALERT_TOPIC), once a window.
 * - A failed sign-in's audit row names an unknown email by a keyed digest, never by its text.
 * - An MFA token completes one sign-in: its id is claimed once (concurrent uses: one wins), and
 *   the claim is undone with the rest of the sign-in if that fails. Codes are throttled per user.
 * - A suspended account is refused only after its password (and, at MFA, its token) was checked:
 *   nobody learns of a suspension without the account's password.
 */

export const LOGIN_ALERT_TOPIC = 'auth.login_alert';

const mfaTokenUsed = () => unauthorized('The MFA token was used already; sign in again', 'INVALID_TOKEN');

export function createSignIn(deps: AuthDeps, sessions: Sessions, mfa: Mfa) {
  const { db, clock, throttle, audit } = deps;
  const count = eventCounter(deps.metrics);

  /** Someone who proved who they are, of an account suspended now: refused, and audited. */
  async function refuseSuspended(user: User, meta: RequestMeta): Promise<void> {
    if (!(await suspensionInForce(db, user.id))) return;
    await audit.record(db, meta, {
      action: 'auth.login_refused',
      entity: 'user',
      entityId: user.id,
      actor: { id: user.id, role: user.role },
      details: { reason: 'suspended' },
    });
    count('login_suspended');
    throw accountSuspended();
  }

  async function loginFailed(email: string, user: User | undefined, meta: RequestMeta): Promise<never> {
    const { alertOwner } = await throttle.failed(email, meta.ip ?? 'unknown');
    await db.transaction().execute(async (tx) => {
      await audit.record(tx, meta, {
        action: 'auth.login_failed',
        entity: 'user',
        entityId: user?.id ?? null,
        actor: user ? { id: user.id, role: user.role } : null,
        // A keyed digest, not the text: people type passwords into the email field, and audit rows are forever.
        details: user
          ? { reason: 'wrong_password' }
          : { reason: 'unknown_email', emailDigest: emailDigest(deps.cipher, email) },
      });
      if (user && alertOwner) await deps.outbox.add(tx, LOGIN_ALERT_TOPIC, { userId: user.id });
    });
    count('login_failed');
    throw invalidCredentials();
  }

  return {
    async login(
      input: { email: string; password: string },
      meta: RequestMeta,
    ): Promise<({ user: PublicUser } & Session) | { mfaRequired: true; mfaToken: string }> {
      const ip = meta.ip ?? 'unknown';
      const email = normaliseEmail(input.email);
      await throttle.attempt(email, ip);
      const user = await repo.findUserByEmail(db, email);
      const passwordOk = user
        ? await verifyPassword(user.password_hash, input.password)
        : await burnPasswordCheck(input.password);
      if (!user || !passwordOk) return loginFailed(email, user, meta);
      await refuseSuspended(user, meta);
      // With MFA on, the attempt only counts as a success once the second factor is in.
      if (!user.mfa_enabled) await throttle.succeeded(email, ip);
      if (needsRehash(user.password_hash)) {
        await repo.updatePasswordHash(db, user.id, await hashPassword(input.password), clock.now());
      }
      const actor = { id: user.id, role: user.role };
      if (user.mfa_enabled) {
        await audit.record(db, meta, {
          action: 'auth.mfa_challenge',
          entity: 'user',
          entityId: user.id,
          actor,
        });
        count('mfa_challenge');
        return { mfaRequired: true, mfaToken: await deps.tokens.issueMfaToken(user.id) };
      }
      const session = await db.transaction().execute(async (tx) => {
        await audit.record(tx, meta, {
          action: 'auth.login',
          entity: 'user',
          entityId: user.id,
          actor,
          details: { mfa: false },
        });
        return sessions.start(tx, user, false);
      });
      count('login');
      return { ...session, user: publicUser(user) };
    },

    async verifyMfa(
      input: { mfaToken: string; code: string },
      meta: RequestMeta,
    ): Promise<{ user: PublicUser } & Session> {
      const challenge = await deps.tokens.verifyMfaToken(input.mfaToken);
      const usedKey = `mfa-token-used:${challenge.jti}`;
      const user = await loadUser(db, challenge.userId);
      await refuseSuspended(user, meta);
      if ((await deps.counters.peek(usedKey)).count > 0) throw mfaTokenUsed();
      await throttle.secondFactor(user.id);
      const actor = { id: user.id, role: user.role };
      const outcome = await db.transaction().execute(async (tx) => {
        const method = await mfa.checkSecondFactor(tx, user, input.code);
        if (!method) return null;
        // Claimed last, so a wrong code doesn't use the token up; a lost race undoes the code's use.
        const ttlMs = Math.max(challenge.expiresAt.getTime() - clock.now().getTime(), 1000);
        if ((await deps.counters.hit(usedKey, ttlMs)).count > 1) throw mfaTokenUsed();
        await audit.record(tx, meta, {
          action: 'auth.login',
          entity: 'user',
          entityId: user.id,
          actor,
          details: { mfa: true, method },
        });
        return sessions.start(tx, user, true);
      });
      if (!outcome) {
        await audit.record(db, meta, { action: 'auth.mfa_failed', entity: 'user', entityId: user.id, actor });
        count('mfa_failed');
        throw invalidMfaCode();
      }
      await throttle.secondFactorPassed(user.id);
      await throttle.succeeded(user.email, meta.ip ?? 'unknown');
      count('login');
      return { ...outcome, user: publicUser(user) };
    },

    /** The job: tells the owner their account's failed sign-ins passed the cap, in their language. */
    async mailLoginAlert(userId: string): Promise<void> {
      const user = await repo.findUserById(db, userId);
      if (!user) return; // the account is gone: nobody to tell
      await deps.mailer.send({
        to: user.email,
        ...loginAlertMail(user.locale, { name: user.name, link: `${deps.settings.publicUrl}/account` }),
      });
      count('login_alert_mailed');
    },
  };
}
