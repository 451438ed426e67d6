import type { Role } from '../../config.ts';
import { AppError, conflict, type RequestMeta, SYSTEM } from '../../http/index.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { Locale } from '../../platform/db/schema.ts';
import { createAccount } from './account.ts';
import { createAdminUsers } from './admin-users.ts';
import type { RefreshCookieSettings } from './cookie-session.ts';
import { createMfa, SEALED_COLUMNS } from './mfa.ts';
import { type AuthDeps, eventCounter, type PublicUser, publicUser, type Session } from './parts.ts';
import { assertStrongPassword } from './password-policy.ts';
import { createPasswordReset } from './password-reset.ts';
import { hashPassword } from './passwords.ts';
import { createPersonalDetails } from './personal.ts';
import * as repo from './repo.ts';
import { createSessions } from './sessions.ts';
import { createSignIn } from './sign-in.ts';

/**
 * The auth module, assembled: sign-up here; sign-in (sign-in.ts), sessions (sessions.ts), MFA
 * (mfa.ts), the account (account.ts) and password reset (password-reset.ts) in their own parts.
 *
 * Invariants:
 * - Every new password, an admin's too, passes the password policy (password-policy.ts).
 */
export function createAuthService(deps: AuthDeps) {
  const { db, clock, audit } = deps;
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
    assertStrongPassword(input.password, input);
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

    ...createSignIn(deps, sessions, mfa),
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
