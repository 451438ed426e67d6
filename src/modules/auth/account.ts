import type { AuthContext, RequestMeta } from '../../http/index.ts';
import type { Locale, User } from '../../platform/db/schema.ts';
import {
  type AuthDeps,
  accountGone,
  accountOf,
  eventCounter,
  invalidCredentials,
  loadUser,
} from './parts.ts';
import { assertStrongPassword } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import * as repo from './repo.ts';
import type { Sessions } from './sessions.ts';

/**
 * What signed-in users change about their own account.
 *
 * Invariants:
 * - A profile change is audited with the names of the fields that changed, never their values.
 * - A doctor's name is part of their public profile: its change is passed on in the same
 *   transaction, and announced after the commit.
 * - Changing the password needs the current one (a wrong one counts against the account like a
 *   failed login) and a new one that passes the password policy (password-policy.ts); it ends
 *   every other session of the user, and the calling one continues.
 */

export interface ProfileChange {
  name?: string | undefined;
  phone?: string | null | undefined;
  locale?: Locale | undefined;
}

const FIELDS = ['name', 'phone', 'locale'] as const;

export function createAccount(deps: AuthDeps, sessions: Sessions) {
  const { db, clock, audit, throttle } = deps;
  const count = eventCounter(deps.metrics);

  return {
    async me(auth: AuthContext) {
      return accountOf(await loadUser(db, auth.userId));
    },

    /** Whom messages go to (notifications): each user's name, role, e-mail, phone and language. */
    contacts: (ids: readonly string[]) => repo.findContacts(db, ids),

    /** PATCH /me: the fields sent; the account as GET /me shows it. */
    async updateProfile(auth: AuthContext, change: ProfileChange, meta: RequestMeta) {
      const { user, afterCommit } = await db.transaction().execute(async (tx) => {
        const before = await repo.lockUser(tx, auth.userId);
        if (!before) throw accountGone();
        const changed = FIELDS.filter((f) => change[f] !== undefined && change[f] !== before[f]);
        if (changed.length === 0) return { user: before, afterCommit: undefined };
        const set = Object.fromEntries(changed.map((f) => [f, change[f]])) as Partial<
          Pick<User, 'name' | 'phone' | 'locale'>
        >;
        const user = (await repo.updateProfile(tx, auth.userId, set, clock.now()))!;
        await audit.record(tx, meta, {
          action: 'user.profile_updated',
          entity: 'user',
          entityId: auth.userId,
          details: { fields: changed },
        });
        const afterCommit = changed.includes('name') ? await deps.nameChanged(tx, auth.userId) : undefined;
        return { user, afterCommit };
      });
      await afterCommit?.();
      return accountOf(user);
    },

    /** POST /auth/password. */
    async changePassword(
      auth: AuthContext,
      input: { currentPassword: string; newPassword: string },
      meta: RequestMeta,
    ): Promise<void> {
      const user = await loadUser(db, auth.userId);
      const ip = meta.ip ?? 'unknown';
      await throttle.attempt(user.email, ip);
      if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
        await throttle.failed(user.email, ip);
        await audit.record(db, meta, {
          action: 'auth.password_change_failed',
          entity: 'user',
          entityId: user.id,
        });
        count('password_change_failed');
        throw invalidCredentials();
      }
      await throttle.succeeded(user.email, ip);
      assertStrongPassword(input.newPassword, user, 'newPassword');
      const passwordHash = await hashPassword(input.newPassword);
      const ended = await db.transaction().execute(async (tx) => {
        await repo.updatePasswordHash(tx, user.id, passwordHash, clock.now());
        const ended = await sessions.end(tx, user.id, auth.sessionId);
        await audit.record(tx, meta, {
          action: 'auth.password_changed',
          entity: 'user',
          entityId: user.id,
          details: { sessionsEnded: ended.count },
        });
        return ended;
      });
      await sessions.announce(ended.live);
      count('password_changed');
    },
  };
}
