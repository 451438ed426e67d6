import { sql } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { Clock } from '../clock.ts';
import type { Cache } from '../kv.ts';
import type { Metrics } from '../metrics.ts';
import { startPeriodic } from '../periodic.ts';
import { isDependencyDown } from '../unavailable.ts';
import type { Db } from './index.ts';

/**
 * Where reads that may be a little behind go (SPEC §5.2: an optional read replica): public search,
 * public slot reads, analytics. Everything else reads and writes the primary.
 *
 * Invariants:
 * - Read-your-writes: a key written through this instance's feed (`doctor:<id>`, `search`) or by a
 *   user (`user:<id>`, shared through Redis so the user's next request may land anywhere) is pinned
 *   to the primary for `pinMs`; a read naming a pinned key goes to the primary.
 * - The replica is never more than `pinMs` behind when it is read: every second the router notes
 *   the primary's WAL position and asks the replica how far it has replayed; a replica that hasn't
 *   replayed what the primary had `pinMs` ago (real time) is "lagging" and is not read until it
 *   catches up. So a pin always outlives what the replica still misses.
 * - Down or lagging: reads go to the primary, with a metric and one log line per episode. A read
 *   that fails on the replica for a connection reason (or a recovery conflict) runs again on the
 *   primary; the caller never sees the replica's failure.
 */
export interface ReadRouter {
  read<T>(keys: readonly string[], run: (db: Db) => Promise<T>): Promise<T>;
  /** Whether a read naming these keys would go to the primary for read-your-writes. */
  isPinned(keys: readonly string[]): Promise<boolean>;
  /** Pins `key` to the primary on this instance (writes this instance hears of: the feed). */
  pin(key: string): void;
  /** Pins a user on every instance (after their write). */
  pinUser(userId: string): void;
  start(): void;
  stop(): Promise<void>;
}

const CHECK_MS = 1_000;
/** Recovery conflict on a standby ("canceling statement due to conflict with recovery"). */
const RECOVERY_CONFLICT = '40001';

/** With no replica, everything reads the primary and nothing needs pinning. */
export const primaryOnly = (primary: Db): ReadRouter => ({
  read: (_keys, run) => run(primary),
  isPinned: async () => false,
  pin: () => {},
  pinUser: () => {},
  start: () => {},
  stop: async () => {},
});

const lsnOf = (text: string | null): bigint | null => {
  if (!text) return null;
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
};

export function createReadRouter(deps: {
  primary: Db;
  replica: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  pinMs: number;
  /** Shares user pins between instances (undefined in embedded mode: one process). */
  shared: Cache | undefined;
}): ReadRouter {
  const { primary, replica, clock, logger: log, pinMs, shared } = deps;
  const pins = new Map<string, number>();
  /** Primary WAL positions noted by the checks, oldest first: [when (monotonic ms), lsn]. */
  const history: Array<[number, bigint]> = [];
  let state: 'up' | 'down' | 'lagging' = 'up';
  let checks: ReturnType<typeof startPeriodic> | undefined;

  const fallbacks = new Counter({
    name: 'db_replica_fallbacks_total',
    help: 'Reads meant for the replica that ran on the primary, by why: down, lagging, failed',
    labelNames: ['reason'] as const,
    registers: [deps.metrics.registry],
  });
  const lag = new Gauge({
    name: 'db_replica_lag_bytes',
    help: 'WAL bytes the replica had not replayed at the last check (-1: unreachable)',
    registers: [deps.metrics.registry],
  });

  function become(next: typeof state, error?: unknown): void {
    if (next === state) return;
    if (next === 'up') log.info('read replica back in use');
    else log.warn({ err: error }, `read replica ${next}: reads go to the primary meanwhile`);
    state = next;
  }

  const pinnedHere = (key: string) => (pins.get(key) ?? 0) > clock.now().getTime();

  async function pinnedAnywhere(keys: readonly string[]): Promise<boolean> {
    if (keys.some(pinnedHere)) return true;
    const users = keys.filter((k) => k.startsWith('user:'));
    if (!shared || users.length === 0) return false;
    const found = await shared.getMany(users.map((k) => `pin:${k}`)).catch(() => users.map(() => '1'));
    return found.some((v) => v !== null);
  }

  /** Notes the primary's position and how far the replica replayed; decides up, lagging or down. */
  async function check(): Promise<void> {
    // Replication lag is real time: a monotonic clock, not the injected one that pins follow.
    const now = performance.now();
    const { rows: p } = await sql<{ lsn: string }>`SELECT pg_current_wal_lsn()::text AS lsn`.execute(primary);
    history.push([now, lsnOf(p[0]!.lsn)!]);
    while (history.length > 1 && history[1]![0] <= now - pinMs) history.shift();
    let replayed: bigint | null;
    try {
      const { rows } = await sql<{
        lsn: string | null;
      }>`SELECT pg_last_wal_replay_lsn()::text AS lsn`.execute(replica);
      replayed = lsnOf(rows[0]!.lsn);
    } catch (error) {
      lag.set(-1);
      become('down', error);
      return;
    }
    if (replayed === null) {
      become('down', new Error('not a standby (pg_last_wal_replay_lsn() is null)'));
      return;
    }
    lag.set(Number(history.at(-1)![1] - replayed));
    // What the primary had written `pinMs` ago (or the oldest noted) must be replayed by now.
    const due = history[0]![0] <= now - pinMs ? history[0]![1] : 0n;
    become(replayed >= due ? 'up' : 'lagging');
  }

  return {
    async read(keys, run) {
      if (state !== 'up') {
        fallbacks.inc({ reason: state });
        return run(primary);
      }
      if (await pinnedAnywhere(keys)) return run(primary);
      try {
        return await run(replica);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (!isDependencyDown(error) && code !== RECOVERY_CONFLICT) throw error;
        fallbacks.inc({ reason: 'failed' });
        if (code !== RECOVERY_CONFLICT) become('down', error);
        return run(primary);
      }
    },

    isPinned: pinnedAnywhere,

    pin(key) {
      pins.set(key, clock.now().getTime() + pinMs);
      if (pins.size > 10_000) {
        const now = clock.now().getTime();
        for (const [k, until] of pins) if (until <= now) pins.delete(k);
      }
    },

    pinUser(userId) {
      const key = `user:${userId}`;
      this.pin(key);
      shared?.setMany([[`pin:${key}`, '1']], pinMs).catch((error: unknown) => {
        log.debug({ err: error }, 'sharing a read-your-writes pin failed');
      });
    },

    start() {
      checks ??= startPeriodic('read replica check', check, { intervalMs: CHECK_MS, firstDelayMs: 0, log });
    },

    async stop() {
      await checks?.stop();
      checks = undefined;
    },
  };
}
