import type { Role } from '../../config.ts';
import { AppError, conflict, type RequestMeta, SYSTEM } from '../../http/index.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { Locale, User } from '../../platform/db/schema.ts';
import { createAccount } from './account.ts';
import { createAdminUsers } from './admin-users.ts';
import type { RefreshCookieSettings } from './cookie-session.ts';
import { createMfa, invalidMfaCode, SEALED_COLUMNS } from './mfa.ts';
import {
  type AuthDeps,
  accountSuspended,
  eventCounter,
  invalidCredentials,
  loadUser,
  type PublicUser,
  publicUser,
  type Session,
} from './parts.ts';
import { createPasswordReset } from './password-reset.ts';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { createPersonalDetails } from './personal.ts';
import * as repo from './repo.ts';
import { createSessions } from './sessions.ts';
import { normaliseEmail } from './throttle.ts';
import { suspensionInForce } from './users-repo.ts';

/**
 * The auth module, assembled: sign-up and sign-in here; sessions (sessions.ts), MFA (mfa.ts), the
 * account (account.ts) and password reset (password-reset.ts) in their own parts.
 *
 * Invariants:
 * - Whether an email has an account is never told by an answer or its timing (a failed sign-in
 *   with an unknown email still verifies a password).
 * - Failed sign-ins count per account and per IP before the password is checked (throttle.ts).
 * - A suspended account is refused only after its password (and, at MFA, its token) was checked:
 *   nobody learns of a suspension without the account's password.
 */
export function createAuthService(deps: AuthDeps) {
  const { db, clock, throttle, audit } = deps;
  const count = eventCounter(deps.metrics);
  const sessions = createSessions(deps);
  const mfa = createMfa(deps, sessions);

  async function createUser(input: {
    email: string;
    password: string;
    name: string;
    role: Role;
    phone?: string | undefined;
    locale?: Locale | undefined;
  }) {
    const passwordHash = await hashPassword(input.password);
    const now = clock.now();
    return async (tx: Db) => {
      try {
        return await repo.insertUser(tx, {
          email: input.email.trim(),
          password_hash: passwordHash,
          role: input.role,
          name: input.name.trim(),
          phone: input.phone ?? null,
          ...(input.locale ? { locale: input.locale } : {}),
          mfa_secret: null,
          mfa_pending_secret: null,
          mfa_last_step: null,
          created_at: now,
          updated_at: now,
        });
      } catch (error) {
        if (sqlState(error) === SqlState.uniqueViolation) {
          throw conflict('EMAIL_TAKEN', 'An account with this email already exists');
        }
        throw error;
      }
    };
  }

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

  return {
    async register(
      input: {
        email: string;
        password: string;
        name: string;
        role: 'patient' | 'doctor';
        phone?: string | undefined;
        locale?: Locale | undefined;
      },
      meta: RequestMeta,
    ): Promise<{ user: PublicUser } & Session> {
      const insert = await createUser(input);
      const result = await db.transaction().execute(async (tx) => {
        const user = await insert(tx);
        const actor = { id: user.id, role: user.role };
        await audit.record(tx, meta, { action: 'auth.register', entity: 'user', entityId: user.id, actor });
        return { user: publicUser(user), ...(await sessions.start(tx, user, false)) };
      });
      count('register');
      return result;
    },

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
      if (!user || !passwordOk) {
        await throttle.failed(ip);
        await audit.record(db, meta, {
          action: 'auth.login_failed',
          entity: 'user',
          entityId: user?.id ?? null,
          actor: user ? { id: user.id, role: user.role } : null,
          // A hash, not the text: people type passwords into the email field, and audit rows are forever.
          details: user
            ? { reason: 'wrong_password' }
            : { reason: 'unknown_email', emailSha256: sha256Hex(email) },
        });
        count('login_failed');
        throw invalidCredentials();
      }
      await refuseSuspended(user, meta);
      // With MFA on, the attempt only counts as a success once the second factor is in.
      if (!user.mfa_enabled) await throttle.succeeded(email);
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
      const userId = await deps.tokens.verifyMfaToken(input.mfaToken);
      const user = await loadUser(db, userId);
      await refuseSuspended(user, meta);
      const ip = meta.ip ?? 'unknown';
      await throttle.attempt(user.email, ip);
      const actor = { id: user.id, role: user.role };
      const outcome = await db.transaction().execute(async (tx) => {
        const method = await mfa.checkSecondFactor(tx, user, input.code);
        if (!method) return null;
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
        await throttle.failed(ip);
        await audit.record(db, meta, { action: 'auth.mfa_failed', entity: 'user', entityId: user.id, actor });
        count('mfa_failed');
        throw invalidMfaCode();
      }
      await throttle.succeeded(user.email);
      count('login');
      return { ...outcome, user: publicUser(user) };
    },

    refresh: sessions.refresh,
    logout: sessions.logout,
    logoutByRefreshToken: sessions.logoutByRefreshToken,
    /** How browsers' refresh cookie is set (cookie-session.ts): it lives as long as the refresh token. */
    refreshCookieSettings: {
      maxAgeSeconds: sessions.refreshTtlSeconds,
      secure: deps.settings.secureCookies,
    } satisfies RefreshCookieSettings,
    mfaSetup: mfa.mfaSetup,
    mfaEnable: mfa.mfaEnable,
    mfaDisable: mfa.mfaDisable,
    ...createAccount(deps, sessions),
    ...createAdminUsers(deps, sessions),
    ...createPersonalDetails(deps),
    ...createPasswordReset(deps, sessions),
    /** Key rotation re-seals these (platform/sealed-columns.ts). */
    sealedColumns: SEALED_COLUMNS,

    /** Operator path (CLI and BOOTSTRAP_ADMIN_*): creates the admin if the email is free. */
    async ensureAdmin(input: {
      email: string;
      password: string;
      name: string;
    }): Promise<{ created: boolean; id: string }> {
      const existing = await repo.findUserByEmail(db, input.email.trim());
      if (existing) return { created: false, id: existing.id };
      const insert = await createUser({ ...input, role: 'admin' });
      try {
        const user = await db.transaction().execute(async (tx) => {
          const created = await insert(tx);
          await audit.record(tx, SYSTEM, {
            action: 'auth.admin_created',
            entity: 'user',
            entityId: created.id,
          });
          return created;
        });
        return { created: true, id: user.id };
      } catch (error) {
        // Another process created it in the meantime.
        const raced =
          error instanceof AppError && error.code === 'EMAIL_TAKEN'
            ? await repo.findUserByEmail(db, input.email.trim())
            : undefined;
        if (raced) return { created: false, id: raced.id };
        throw error;
      }
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
