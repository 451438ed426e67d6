import type { Logger } from 'pino';
import { serviceUnavailable } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Kv } from '../../platform/kv.ts';
import { startPeriodic } from '../../platform/periodic.ts';
import * as repo from './repo.ts';

/**
 * Access tokens of ended sessions stop working on this instance at once and on every other one
 * within a second, although a JWT is checked without asking anyone.
 *
 * Invariants:
 * - PostgreSQL is the source of truth (`refresh_tokens.revoked_at` per session family); this is a
 *   cache of the families revoked recently enough that one of their access tokens may still be
 *   alive, so checking a token is one Map lookup.
 * - Fail closed: until the first load succeeded (PostgreSQL down at start), signed-in requests get
 *   503; anonymous ones and readiness are unaffected.
 * - A revocation is never undone: the set grows by union and shrinks only by expiry, so a reload, a
 *   message and a local revocation can interleave in any order without losing one.
 * - A reload reads the shared version before the rows: the version it records as seen, it saw.
 * - An entry lives until its revocation + the access TTL; every access token of its family has
 *   expired by then (a token is issued with its refresh row, never after the family is revoked).
 * - After a revoking commit: added here at once, then the version is bumped and the ids published
 *   in one step; every instance applies the message, and compares versions every `CHECK_MS`, so a
 *   lost message costs at most that. Without Redis's answer an instance reloads from PostgreSQL on
 *   every check.
 */

const KEY = 'auth:revocations';
const CHANNEL = 'session-revocations';
const CHECK_MS = 250;
/** Reloaded this often whatever the version says: covers a process that died between commit and publish. */
const RELOAD_MS = 10_000;

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
  /** The version whose revocations are all in `revoked` (NaN: not known). */
  let seen = Number.NaN;
  let reloadedAt = Number.NEGATIVE_INFINITY;
  let loaded = false;
  /** Revoked here, not yet published (Redis was unreachable): published on the next check. */
  const unpublished = new Map<string, number>();
  let subscription: Promise<() => Promise<void>> | undefined;
  let checks: ReturnType<typeof startPeriodic> | undefined;

  function add(familyId: string, until: number): void {
    if ((revoked.get(familyId) ?? 0) < until) revoked.set(familyId, until);
  }

  function onMessage(message: string): void {
    const space = message.indexOf(' ');
    const version = Number(message.slice(0, space));
    try {
      const { s, u } = JSON.parse(message.slice(space + 1)) as { s: string[]; u: number };
      for (const id of s) add(id, u);
    } catch {
      seen = Number.NaN; // not ours to read: the next check reloads
      return;
    }
    // A gap means a message was missed: leave `seen` behind, the next check reloads.
    if (version === seen + 1) seen = version;
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

  /** The families revoked in PostgreSQL whose tokens may be alive, added; the expired ones dropped. */
  async function reload(version: number): Promise<void> {
    const now = clock.now().getTime();
    for (const row of await repo.recentlyRevokedSessions(db, new Date(now - ttlMs))) {
      add(row.family_id, new Date(row.revoked_at).getTime() + ttlMs);
    }
    for (const [id, until] of revoked) if (until <= now) revoked.delete(id);
    seen = version;
    reloadedAt = performance.now();
    loaded = true;
  }

  async function publish(families: Map<string, number>): Promise<void> {
    const until = Math.max(...families.values());
    await kv.versions.bumpAndPublish(KEY, CHANNEL, JSON.stringify({ s: [...families.keys()], u: until }));
  }

  async function check(): Promise<void> {
    const version = await readVersion();
    if (!Number.isNaN(version)) {
      await subscribe().catch(() => {});
      if (unpublished.size > 0) {
        const sending = new Map(unpublished);
        await publish(sending).then(
          () => {
            for (const [id, until] of sending) if (unpublished.get(id) === until) unpublished.delete(id);
          },
          () => {}, // still unreachable: kept for the next check
        );
      }
    }
    // NaN (Redis can't tell) never equals `seen`: PostgreSQL is asked on every check meanwhile.
    if (version !== seen || performance.now() - reloadedAt >= RELOAD_MS) await reload(version);
  }

  return {
    /** On every signed-in request: whether this session (refresh family) was revoked. A Map lookup. */
    has(sessionId: string): boolean {
      if (!loaded) throw notLoaded();
      return revoked.has(sessionId);
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
      if (familyIds.length === 0) return;
      const until = clock.now().getTime() + ttlMs;
      for (const id of familyIds) add(id, until);
      const families = new Map(familyIds.map((id) => [id, until]));
      try {
        await publish(families);
      } catch (error) {
        log.warn({ err: error }, 'publishing a session revocation failed; retrying on the next check');
        for (const id of familyIds) unpublished.set(id, until);
      }
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
