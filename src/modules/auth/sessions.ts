import { randomUUID } from 'node:crypto';
import type { Role } from '../../config.ts';
import { type AuthContext, type RequestMeta, unauthorized } from '../../http/index.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { User } from '../../platform/db/schema.ts';
import { type AuthDeps, accountSuspended, eventCounter, type Session } from './parts.ts';
import * as repo from './repo.ts';
import { hashRefreshToken, newRefreshToken, refreshSuccessors } from './tokens.ts';

/**
 * Sessions: one refresh-token family per sign-in, its id the `sid` of its access tokens.
 *
 * Invariants:
 * - A refresh token is rotated once, to a successor derived from it with a server key
 *   (tokens.ts `refreshSuccessors`): a second presentation within the race grace, while that
 *   successor is unused, gets the same successor (the family never forks); any other reuse revokes
 *   the family (theft). Concurrent presentations are decided one at a time on the token's row lock.
 * - Whatever ends a session ends its access tokens too: every revoking commit is followed by
 *   `revocations.revoked` with the families whose access tokens may be alive.
 * - No session starts or continues for a suspended account (admin-users.ts): a refresh says so
 *   (ACCOUNT_SUSPENDED) before anything else about its token.
 */

const DAY_MS = 86_400_000;

export function createSessions(deps: AuthDeps) {
  const { db, clock, cipher, tokens, audit, revocations, settings } = deps;
  const count = eventCounter(deps.metrics);
  const refreshTtlMs = settings.refreshTtlDays * DAY_MS;

  /** A new access token of the family, with a new refresh token (or, `insert: false`, one it has). */
  async function continueSession(
    tx: Db,
    userId: string,
    role: Role,
    familyId: string,
    mfa: boolean,
    { refresh, insert } = { refresh: newRefreshToken(), insert: true },
  ): Promise<Session> {
    const now = clock.now();
    if (insert)
      await repo
        .insertRefreshToken(tx, {
          userId,
          familyId,
          hash: refresh.hash,
          mfa,
          now,
          expiresAt: new Date(now.getTime() + refreshTtlMs),
        })
        .catch((error: unknown) => {
          // The account was suspended after this sign-in checked (trigger refresh_tokens_no_suspended).
          const constraint = (error as { constraint?: unknown }).constraint;
          if (sqlState(error) === SqlState.raiseException && constraint === 'account_suspended')
            throw accountSuspended();
          throw error;
        });
    const accessToken = await tokens.issueAccessToken({ id: userId, role }, familyId, mfa);
    return { accessToken, refreshToken: refresh.token, expiresIn: tokens.accessTtlSeconds };
  }

  return {
    /** How long a refresh token lives from its issue. */
    refreshTtlSeconds: refreshTtlMs / 1000,

    /** A new refresh-token family (one per sign-in) and its first access token. */
    start(tx: Db, user: User, mfa: boolean): Promise<Session> {
      return continueSession(tx, user.id, user.role, randomUUID(), mfa);
    },

    /**
     * Inside the caller's transaction: ends the user's sessions (all, or all but `except`). How many
     * ended, and which may still have live access tokens (for `announce` after the commit).
     */
    async end(tx: Db, userId: string, except?: string): Promise<{ count: number; live: string[] }> {
      const liveSince = new Date(clock.now().getTime() - tokens.accessTtlSeconds * 1000);
      const ended = await repo.revokeSessions(tx, userId, clock.now(), { except, liveSince });
      return { count: ended.length, live: ended.filter((s) => s.live).map((s) => s.family_id) };
    },

    /** After the commit that ended them: these sessions' access tokens stop working everywhere. */
    announce: (familyIds: readonly string[]) => revocations.revoked(familyIds),

    async refresh(refreshToken: string, meta: RequestMeta): Promise<Session> {
      const now = clock.now();
      const outcome = await db.transaction().execute(async (tx) => {
        const token = await repo.lockRefreshToken(tx, hashRefreshToken(refreshToken));
        if (token?.suspended) return { kind: 'suspended' as const };
        if (!token || token.revoked_at || token.expires_at <= now) return { kind: 'invalid' as const };
        const successors = refreshSuccessors(cipher, refreshToken);
        const resume = (refresh: { token: string; hash: string }, insert: boolean) =>
          continueSession(tx, token.user_id, token.role, token.family_id, token.mfa, { refresh, insert });
        if (!token.rotated_at) {
          await repo.markRotated(tx, token.id, now);
          return { kind: 'ok' as const, session: await resume(successors[0]!, true) };
        }
        // Two tabs refreshing with one token at once: inside the grace the later one gets the same
        // successor (a new access token of it), so nobody is logged out and the family never forks.
        // Once that successor has been used (or the grace is over) it is theft: the family ends.
        const successor = await repo.lockFamilyToken(
          tx,
          token.family_id,
          successors.map((s) => s.hash),
        );
        const withinGrace =
          now.getTime() - token.rotated_at.getTime() <= settings.refreshReuseGraceSeconds * 1000;
        if (withinGrace && successor && !successor.rotated_at && !successor.revoked_at) {
          const same = successors.find((s) => s.hash === successor.token_hash)!;
          return { kind: 'ok' as const, session: await resume(same, false) };
        }
        const revoked = await repo.revokeFamily(tx, token.family_id, now);
        await audit.record(tx, meta, {
          action: 'auth.refresh_reuse',
          entity: 'session',
          entityId: token.family_id,
          actor: { id: token.user_id, role: token.role },
          details: { revokedTokens: revoked },
        });
        return { kind: 'reused' as const, familyId: token.family_id };
      });
      if (outcome.kind === 'suspended') {
        count('refresh_suspended');
        throw accountSuspended();
      }
      if (outcome.kind === 'invalid') {
        count('refresh_invalid');
        throw unauthorized('The refresh token is invalid or expired', 'INVALID_REFRESH_TOKEN');
      }
      if (outcome.kind === 'reused') {
        await revocations.revoked([outcome.familyId]);
        count('refresh_reuse');
        deps.logger.warn(
          { requestId: meta.requestId },
          'refresh token reuse detected; session family revoked',
        );
        throw unauthorized(
          'The refresh token was already used; the session has been revoked',
          'REFRESH_TOKEN_REUSED',
        );
      }
      count('refresh');
      return outcome.session;
    },

    async logout(auth: AuthContext, meta: RequestMeta): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await repo.revokeFamily(tx, auth.sessionId, clock.now());
        await audit.record(tx, meta, { action: 'auth.logout', entity: 'session', entityId: auth.sessionId });
      });
      await revocations.revoked([auth.sessionId]);
      count('logout');
    },

    /**
     * Logout by a refresh token of the session (a browser's cookie: its access token may have
     * expired). Any token of the family ends it, a rotated one too: whoever holds one could end it
     * by reusing it anyway. The family it ended; null when the token is unknown or its session had
     * ended already (nothing to do: logout is idempotent).
     */
    async logoutByRefreshToken(refreshToken: string, meta: RequestMeta): Promise<string | null> {
      const ended = await db.transaction().execute(async (tx) => {
        const token = await repo.lockRefreshToken(tx, hashRefreshToken(refreshToken));
        if (!token || (await repo.revokeFamily(tx, token.family_id, clock.now())) === 0) return null;
        await audit.record(tx, meta, {
          action: 'auth.logout',
          entity: 'session',
          entityId: token.family_id,
          actor: { id: token.user_id, role: token.role },
        });
        return token.family_id;
      });
      if (ended) {
        await revocations.revoked([ended]);
        count('logout');
      }
      return ended;
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
