import type { Logger } from 'pino';
import type { SlotRow } from '../../platform/db/schema.ts';
import type { Kv } from '../../platform/kv.ts';

export interface SlotView {
  id: string;
  startsAt: string;
  endsAt: string;
  mode: string;
  status: 'open' | 'held' | 'booked' | 'blocked';
}

export interface SlotEvent {
  type: 'slot.updated' | 'slot.removed';
  slot: SlotView;
}

export const toSlotView = (s: SlotRow): SlotView => ({
  id: s.id,
  startsAt: s.starts_at.toISOString(),
  endsAt: s.ends_at.toISOString(),
  mode: s.mode,
  status: s.status,
});

// Invalidation is by version bump after commit; if a bump is lost (Redis blip, crash between commit
// and bump) entries still die young. Retried bumps make that rare; this bounds it.
const CACHE_TTL_MS = 15_000;
const BUMP_TRIES = 3;
const VERSION_TTL_MS = 7 * 86_400_000;

/**
 * Slot changes fan out through pub/sub (to WebSocket clients on every instance) and invalidate
 * the slot cache by bumping a per-doctor version that every cache key carries: a reader that
 * raced a write can only ever have filled a key nobody reads any more.
 */
export function createSlotFeed(kv: Kv, log: Logger) {
  const versionKey = (doctorId: string) => `slotsver:${doctorId}`;
  const channel = (doctorId: string) => `slots:${doctorId}`;

  async function bestEffort<T>(what: string, fallback: T, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      log.warn({ err: error }, `slot feed: ${what} failed`);
      return fallback;
    }
  }

  return {
    /** After a commit: invalidate cached reads of this doctor, then tell subscribers. */
    async changed(doctorId: string, events: SlotEvent[] = []): Promise<void> {
      for (let attempt = 1; attempt <= BUMP_TRIES; attempt++) {
        const bumped = await bestEffort('invalidate', false, async () => {
          await kv.counters.hit(versionKey(doctorId), VERSION_TTL_MS);
          return true;
        });
        if (bumped) break;
      }
      if (events.length > 0) {
        await bestEffort('publish', undefined, () =>
          kv.pubsub.publish(channel(doctorId), JSON.stringify(events)),
        );
      }
    },

    subscribe(doctorId: string, onEvent: (event: SlotEvent) => void): Promise<() => Promise<void>> {
      return kv.pubsub.subscribe(channel(doctorId), (message) => {
        for (const event of JSON.parse(message) as SlotEvent[]) onEvent(event);
      });
    },

    /** The doctor's current cache version; null when the cache is unreachable (read from the database). */
    version(doctorId: string): Promise<number | null> {
      return bestEffort('version', null, async () => (await kv.counters.peek(versionKey(doctorId))).count);
    },

    /** Cache-aside through the keys of one version (read it once per request); null version → `load`. */
    async cached<T>(
      doctorId: string,
      version: number | null,
      parts: string[],
      load: (missing: string[]) => Promise<Map<string, T>>,
    ): Promise<Map<string, T>> {
      const keyOf = (part: string) => `slots:${doctorId}:v${version}:${part}`;
      const found = new Map<string, T>();
      if (version !== null) {
        const values = await bestEffort('read', [] as Array<string | null>, () =>
          Promise.all(parts.map((p) => kv.cache.get(keyOf(p)))),
        );
        values.forEach((v, i) => {
          if (v !== null) found.set(parts[i]!, JSON.parse(v) as T);
        });
      }
      const missing = parts.filter((p) => !found.has(p));
      if (missing.length === 0) return found;
      const loaded = await load(missing);
      for (const [part, value] of loaded) {
        found.set(part, value);
        if (version !== null)
          await bestEffort('write', undefined, () =>
            kv.cache.set(keyOf(part), JSON.stringify(value), CACHE_TTL_MS),
          );
      }
      return found;
    },
  };
}

export type SlotFeed = ReturnType<typeof createSlotFeed>;
