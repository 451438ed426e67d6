import type { Logger } from 'pino';
import { serviceUnavailable } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Kv } from '../../platform/kv.ts';
import { startPeriodic } from '../../platform/periodic.ts';
import * as repo from './repo.ts';
import { suspendedUserIds } from './users-repo.ts';

/**
 * Access tokens of ended sessions and of suspended accounts stop working on this instance at once
 * and on every other one within a second, although a JWT is checked without asking anyone.
 *
 * Invariants:
 * - PostgreSQL is the source of truth (`refresh_tokens.revoked_at` per session family, the
 *   suspensions in force in `user_suspensions`); this is a cache of the families revoked recently
 *   enough that one of their access tokens may still be alive, and of every suspended account, so
 *   checking a token is two lookups.
 * - Fail closed: until the first load succeeded (PostgreSQL down at start), signed-in requests get
 *   503; anonymous ones and readiness are unaffected.
 * - A session revocation is never undone: that set grows by union and shrinks only by expiry, so a
 *   reload, a message and a local revocation can interleave in any order without losing one.
 * - Suspensions can be lifted, so their set is read whole from PostgreSQL by every reload. A
 *   message about accounts is applied at once and makes the next check reload too: whatever order
 *   messages arrive in, the set is PostgreSQL's within a check. A local change made while a reload
 *   was reading is applied again on top of what it read.
 * - A reload reads the shared version before the rows: the version it records as seen, it saw.
 * - A revoked session's entry lives until its revocation + the access TTL; every access token of
 *   its family has expired by then (a token is issued with its refresh row, never after the family
 *   is revoked).
 * - After a revoking commit: applied here at once, then the version is bumped and the change
 *   published in one step; every instance applies the message, and compares versions every
 *   `CHECK_MS`, so a lost message costs at most that. Without Redis's answer an instance reloads
 *   from PostgreSQL on every check.
 */

const KEY = 'auth:revocations';
const CHANNEL = 'session-revocations';
const CHECK_MS = 250;
/** Reloaded this often whatever the version says: covers a process that died between commit and publish. */
const RELOAD_MS = 10_000;

/** Why an access token is refused, if it is. */
export type AccessRefusal = false | 'SESSION_REVOKED' | 'ACCOUNT_SUSPENDED';

/** A published change: session families and until when to keep them; accounts suspended (x) and reactivated (y). */
interface Change {
  s: string[];
  u: number;
  x?: string[];
  y?: string[];
}

const notLoaded = () => serviceUnavailable('Sessions can not be checked yet; retry shortly');

export function createRevocations(deps: {
  db: Db;
  kv: Kv;
  clock: Clock;
  logger: Logger;
  accessTtlSeconds: number;
}) {
  const { db, kv, clock, logger: log } = deps;
  const ttlMs = deps.accessTtlSeconds * 1000;
  /** Family id → until when (epoch ms) its access tokens may live. */
  const revoked = new Map<string, number>();
  let suspended = new Set<string>();
  /** Suspensions changed here since the oldest reload still reading (performance.now() of each). */
  let localEdits: Array<{ userId: string; suspended: boolean; at: number }> = [];
  /** The version whose changes are all applied here (NaN: not known). */
  let seen = Number.NaN;
  let reloadedAt = Number.NEGATIVE_INFINITY;
  let loaded = false;
  /** Changed here, not yet published (Redis was unreachable): published on the next check. */
  const unpublished = new Map<string, number>();
  const accountsUnpublished = new Map<string, boolean>();
  let subscription: Promise<() => Promise<void>> | undefined;
  let checks: ReturnType<typeof startPeriodic> | undefined;

  function add(familyId: string, until: number): void {
    if ((revoked.get(familyId) ?? 0) < until) revoked.set(familyId, until);
  }

  function onMessage(message: string): void {
    const space = message.indexOf(' ');
    const version = Number(message.slice(0, space));
    let change: Change;
    try {
      change = JSON.parse(message.slice(space + 1)) as Change;
      for (const id of change.s) add(id, change.u);
      for (const id of change.x ?? []) suspended.add(id);
      for (const id of change.y ?? []) suspended.delete(id);
    } catch {
      seen = Number.NaN; // not ours to read: the next check reloads
      return;
    }
    // A gap means a message was missed; accounts are read whole again. Either way `seen` stays
    // behind and the next check reloads.
    if (version === seen + 1 && !change.x && !change.y) seen = version;
  }

  /** Once; a failed attempt is made again by the next caller. */
  function subscribe(): Promise<unknown> {
    subscription ??= kv.pubsub.subscribe(CHANNEL, onMessage).catch((error: unknown) => {
      subscription = undefined;
      throw error;
    });
    return subscription;
  }

  async function readVersion(): Promise<number> {
    try {
      return (await kv.versions.get([KEY]))[0] ?? 0;
    } catch {
      return Number.NaN;
    }
  }

  /** Revoked families whose tokens may be alive, added (the expired dropped); the suspended accounts, read whole. */
  async function reload(version: number): Promise<void> {
    const started = performance.now();
    const now = clock.now().getTime();
    const [sessions, users] = await Promise.all([
      repo.recentlyRevokedSessions(db, new Date(now - ttlMs)),
      suspendedUserIds(db),
    ]);
    for (const row of sessions) add(row.family_id, new Date(row.revoked_at).getTime() + ttlMs);
    for (const [id, until] of revoked) if (until <= now) revoked.delete(id);
    // Edits made before this reload began were committed before it read: they are in `users`.
    localEdits = localEdits.filter((e) => e.at >= started);
    const next = new Set(users);
    for (const e of localEdits) e.suspended ? next.add(e.userId) : next.delete(e.userId);
    suspended = next;
    seen = version;
    reloadedAt = performance.now();
    loaded = true;
  }

  async function publish(families: Map<string, number>, accounts: Map<string, boolean>): Promise<void> {
    const change: Change = { s: [...families.keys()], u: Math.max(0, ...families.values()) };
    if (accounts.size > 0) {
      change.x = [...accounts].filter(([, on]) => on).map(([id]) => id);
      change.y = [...accounts].filter(([, on]) => !on).map(([id]) => id);
    }
    await kv.versions.bumpAndPublish(KEY, CHANNEL, JSON.stringify(change));
  }

  async function check(): Promise<void> {
    const version = await readVersion();
    if (!Number.isNaN(version)) {
      await subscribe().catch(() => {});
      if (unpublished.size > 0 || accountsUnpublished.size > 0) {
        const sending = new Map(unpublished);
        const accounts = new Map(accountsUnpublished);
        await publish(sending, accounts).then(
          () => {
            for (const [id, until] of sending) if (unpublished.get(id) === until) unpublished.delete(id);
            for (const [id, on] of accounts)
              if (accountsUnpublished.get(id) === on) accountsUnpublished.delete(id);
          },
          () => {}, // still unreachable: kept for the next check
        );
      }
    }
    // NaN (Redis can't tell) never equals `seen`: PostgreSQL is asked on every check meanwhile.
    if (version !== seen || performance.now() - reloadedAt >= RELOAD_MS) await reload(version);
  }

  /** Here at once; everywhere by the message, or by the next check that reaches Redis. */
  async function announce(familyIds: readonly string[], accounts: Map<string, boolean>): Promise<void> {
    const until = clock.now().getTime() + ttlMs;
    for (const id of familyIds) add(id, until);
    const families = new Map(familyIds.map((id) => [id, until]));
    try {
      await publish(families, accounts);
    } catch (error) {
      log.warn({ err: error }, 'publishing a session revocation failed; retrying on the next check');
      for (const id of familyIds) unpublished.set(id, until);
      for (const [id, on] of accounts) accountsUnpublished.set(id, on);
    }
  }

  return {
    /** Whether this session (refresh family) was revoked. */
    has(sessionId: string): boolean {
      if (!loaded) throw notLoaded();
      return revoked.has(sessionId);
    },

    /** On every signed-in request: why its access token is refused, if it is. Two lookups. */
    refusal(sessionId: string, userId: string): AccessRefusal {
      if (!loaded) throw notLoaded();
      if (suspended.has(userId)) return 'ACCOUNT_SUSPENDED';
      return revoked.has(sessionId) && 'SESSION_REVOKED';
    },

    /** Before serving: listening, then loaded (a revocation between the two is in either). */
    async start(): Promise<void> {
      await subscribe().catch((error: unknown) => {
        log.warn({ err: error }, 'not subscribed to session revocations yet; retried on every check');
      });
      await reload(await readVersion()).catch((error: unknown) => {
        log.warn(
          { err: error },
          'session revocations not loaded yet; signed-in requests get 503 until they are',
        );
      });
      // Four checks a second: an outage is logged when it begins, not on every one of them.
      let failing = false;
      checks ??= startPeriodic(
        'session revocation check',
        () =>
          check().then(
            () => {
              failing = false;
            },
            (error: unknown) => {
              if (!failing) log.warn({ err: error }, 'session revocation check failed; retrying');
              failing = true;
            },
          ),
        { intervalMs: CHECK_MS, log },
      );
    },

    /** After the commit that revoked these families: here at once, everywhere within a second. */
    async revoked(familyIds: readonly string[]): Promise<void> {
      if (familyIds.length > 0) await announce(familyIds, new Map());
    },

    /**
     * After the commit that suspended an account or lifted its suspension (and ended these of its
     * sessions): here at once, everywhere within a second.
     */
    async accountChanged(userId: string, isSuspended: boolean, familyIds: readonly string[]): Promise<void> {
      localEdits.push({ userId, suspended: isSuspended, at: performance.now() });
      if (isSuspended) suspended.add(userId);
      else suspended.delete(userId);
      await announce(familyIds, new Map([[userId, isSuspended]]));
    },

    async stop(): Promise<void> {
      await checks?.stop();
      checks = undefined;
      const unsubscribe = await subscription?.catch(() => undefined);
      subscription = undefined;
      await unsubscribe?.().catch(() => {});
    },
  };
}

export type Revocations = ReturnType<typeof createRevocations>;
