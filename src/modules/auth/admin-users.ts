import { z } from 'zod';
import type { Role } from '../../config.ts';
import { conflict, decodeCursor, notFound, page, type RequestMeta } from '../../http/index.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { AuthDeps } from './parts.ts';
import type { Sessions } from './sessions.ts';
import * as users from './users-repo.ts';

/**
 * What admins do with accounts: find them, suspend them, reactivate them.
 *
 * Invariants:
 * - A suspended account can't sign in, refresh or use an access token: the suspension ends its
 *   sessions in the transaction that records it, and after the commit its access tokens stop
 *   working here at once and on every instance within a second (revocations.ts). The database
 *   starts no session for it (trigger refresh_tokens_no_suspended).
 * - Lifting a suspension ends every session of the account again: one a sign-in started while the
 *   suspension was being committed must not come back to life.
 * - Nobody suspends themselves (CHECK user_suspensions_not_self); one suspension in force per
 *   account (unique index). Both are audited with the count of sessions ended; the reason stays in
 *   `user_suspensions` (free text an admin wrote), never in audit details.
 */

const selfSuspension = () => conflict('SELF_SUSPENSION', 'Admins can’t suspend themselves');
const alreadySuspended = () => conflict('ALREADY_SUSPENDED', 'The account is already suspended');
const positionShape = z.object({ t: z.iso.datetime(), id: z.uuid() });

/** An account as admins see it. */
function adminUserOf(
  u: { id: string; email: string; name: string; role: Role; mfa_enabled: boolean; created_at: Date },
  suspension: { reason: string; suspended_at: Date } | null,
) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    status: suspension ? ('suspended' as const) : ('active' as const),
    suspension: suspension
      ? { reason: suspension.reason, since: suspension.suspended_at.toISOString() }
      : null,
    mfaEnabled: u.mfa_enabled,
    createdAt: u.created_at.toISOString(),
  };
}

export type AdminUser = ReturnType<typeof adminUserOf>;

export function createAdminUsers(deps: AuthDeps, sessions: Sessions) {
  const { db, clock, audit, revocations } = deps;

  /** Locks the account for this change (404 when there is none). */
  async function lockAccount(tx: Db, id: string) {
    const user = await users.lockUserForChange(tx, id);
    if (!user) throw notFound('User');
    return user;
  }

  return {
    /** GET /admin/users (see users-repo.listUsers). */
    async listUsers(q: {
      role?: Role | undefined;
      status?: users.UserStatus | undefined;
      q?: string | undefined;
      limit: number;
      cursor?: string | undefined;
    }) {
      const after = decodeCursor(q.cursor, positionShape);
      const rows = await users.listUsers(db, {
        role: q.role,
        status: q.status,
        q: q.q,
        after: after ? { createdAt: after.t, id: after.id } : undefined,
        limit: q.limit + 1,
      });
      return page(
        rows,
        q.limit,
        (r) =>
          adminUserOf(
            r,
            r.suspension_reason && r.suspended_at
              ? { reason: r.suspension_reason, suspended_at: r.suspended_at }
              : null,
          ),
        (r) => ({ t: r.position, id: r.id }),
      );
    },

    /** POST /admin/users/{id}/suspend. */
    async suspend(id: string, reason: string, meta: RequestMeta): Promise<AdminUser> {
      const admin = meta.actor!;
      if (admin.id === id) throw selfSuspension();
      const { user, suspension, ended } = await db.transaction().execute(async (tx) => {
        const user = await lockAccount(tx, id);
        if (await users.suspensionInForce(tx, id)) throw alreadySuspended();
        const suspension = await users
          .insertSuspension(tx, { userId: id, reason, by: admin.id, at: clock.now() })
          .catch((error: unknown) => {
            if (sqlState(error) === SqlState.uniqueViolation) throw alreadySuspended();
            if (sqlState(error) === SqlState.checkViolation) throw selfSuspension();
            throw error;
          });
        const ended = await sessions.end(tx, id);
        await audit.record(tx, meta, {
          action: 'user.suspended',
          entity: 'user',
          entityId: id,
          details: { role: user.role, sessionsEnded: ended.count },
        });
        return { user, suspension, ended };
      });
      await revocations.accountChanged(id, true, ended.live);
      return adminUserOf(user, suspension);
    },

    /** POST /admin/users/{id}/reactivate. */
    async reactivate(id: string, meta: RequestMeta): Promise<AdminUser> {
      const admin = meta.actor!;
      const { user, ended } = await db.transaction().execute(async (tx) => {
        const user = await lockAccount(tx, id);
        if (!(await users.liftSuspension(tx, id, admin.id, clock.now()))) {
          throw conflict('NOT_SUSPENDED', 'The account is not suspended');
        }
        const ended = await sessions.end(tx, id);
        await audit.record(tx, meta, {
          action: 'user.reactivated',
          entity: 'user',
          entityId: id,
          details: { role: user.role, sessionsEnded: ended.count },
        });
        return { user, ended };
      });
      await revocations.accountChanged(id, false, ended.live);
      return adminUserOf(user, null);
    },
  };
}
