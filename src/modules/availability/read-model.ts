import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { ReadRouter } from '../../platform/db/replica.ts';
import type { Cache } from '../../platform/kv.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { createDaySource, type DaysServedFrom } from './day-source.ts';
import type { SlotFeed } from './live.ts';
import * as repo from './repo.ts';
import { appendDay, DAY_MS, type Day, dayOf } from './slot-days.ts';

/**
 * The public's view of doctors' slots, held in this instance's memory, with Redis as the shared
 * second level: a cached read touches neither PostgreSQL nor Redis, and its answer is a string
 * joined from pre-encoded slots (slot-days.ts).
 *
 * Invariants:
 * - A change is visible on every instance within 1 s: a write drops what it touched here at once
 *   and on every other instance through the feed (the days its slots are on, when the message is
 *   the next version after ours; else the whole doctor); versions are compared every `checkMs` in
 *   case a message was lost; while versions can't be read (Redis down), nothing cached is served
 *   after 1 s.
 * - A load reads the doctor's version before the data, and is not kept if the doctor changed while
 *   it ran: an entry never holds data older than its version says.
 * - Which slots are listed is decided by slot_bookable_during() in SQL; the entry keeps each slot's
 *   bookable interval and a read only compares instants.
 * - Bounded: at most `maxSlots` slots cached; the doctors read least recently go first.
 */

/** How long an entry is served without a successful version check (the checks renew it). */
const FRESH_MS = 15_000;
/** The same while versions can't be read. */
const BLIND_MS = 1_000;
/** Longer than any load runs: older news can't concern a load still running. */
const NEWS_MS = 60_000;

interface Entry {
  version: number;
  /**
   * Whether the second level's days of `version` match ours: not after a change made here whose
   * version isn't known yet (its days there are the old ones) until that version is announced.
   */
  sharedMatches: boolean;
  freshUntil: number;
  /** Whether the doctor exists, and whether the public may see it (verified). */
  exists: boolean;
  visible: boolean;
  zone: string;
  days: Map<number, Day>;
  slots: number;
  loading: Map<string, Promise<Map<number, Day>>>;
}

const CLOSE = Buffer.from(']}');

export function createReadModel(deps: {
  /** Where its loads read: the read replica unless the doctor changed a moment ago (see db/replica.ts). */
  reads: ReadRouter;
  clock: Clock;
  feed: SlotFeed;
  /** The shared second level; undefined in embedded mode (one process, nothing to share). */
  shared: Cache | undefined;
  logger: Logger;
  metrics: Metrics;
  checkMs: number;
  maxSlots: number;
}) {
  const { reads, clock, feed, shared } = deps;
  const entries = new Map<string, Entry>();
  const pendingEntries = new Map<string, Promise<Entry>>();
  let cachedSlots = 0;
  const monotonic = () => performance.now();

  const served = (from: DaysServedFrom, days: number) =>
    days > 0 && deps.metrics.slotCache.inc({ source: from }, days);
  const source = createDaySource({ reads, shared, logger: deps.logger, served });

  function drop(doctorId: string, reason: 'change' | 'check' | 'stale' | 'evicted') {
    const entry = entries.get(doctorId);
    if (!entry) return;
    entries.delete(doctorId);
    cachedSlots -= entry.slots;
    deps.metrics.slotCacheDrops.inc({ reason });
  }

  /**
   * What this instance heard of each doctor lately: changes made here (version not known yet) and
   * the newest version announced. A load that began before such news is not kept. Forgotten after
   * NEWS_MS, longer than any load runs.
   */
  const news = new Map<string, { local: number; version: number; at: number }>();

  feed.onChange((doctorId, version, events) => {
    const heard = news.get(doctorId) ?? { local: 0, version: -1, at: 0 };
    if (Number.isNaN(version)) heard.local += 1;
    else heard.version = Math.max(heard.version, version);
    heard.at = monotonic();
    news.set(doctorId, heard);
    const entry = entries.get(doctorId);
    if (!entry || entry.version === version) return;
    // Slot events name the days they touch: one version on from ours (or a change made here),
    // only those days go; anything else (a profile change, a version skipped) drops the doctor.
    const delta = events.length > 0 && (Number.isNaN(version) || version === entry.version + 1);
    if (!delta) return drop(doctorId, 'change');
    for (const event of events) {
      const key = dayOf(Date.parse(event.slot.startsAt));
      const day = entry.days.get(key);
      if (!day) continue;
      entry.days.delete(key);
      deps.metrics.slotCacheDrops.inc({ reason: 'change' });
      entry.slots -= day.count;
      cachedSlots -= day.count;
    }
    if (Number.isNaN(version)) entry.sharedMatches = false;
    else Object.assign(entry, { version, sharedMatches: true });
  });

  /** A load's starting point: the local changes heard so far. */
  const startOf = (doctorId: string) => news.get(doctorId)?.local ?? 0;

  /** Whether a load that began at `start` and read `version` may be kept. */
  function current(doctorId: string, start: number, version: number): boolean {
    const heard = news.get(doctorId);
    // Versions only grow (an idle doctor's key expires after a week; by then its news is forgotten).
    return !heard || (heard.local === start && heard.version <= version);
  }

  function evict() {
    for (const [doctorId] of entries) {
      if (cachedSlots <= deps.maxSlots) return;
      drop(doctorId, 'evicted');
    }
  }

  async function loadEntry(doctorId: string): Promise<Entry> {
    const start = startOf(doctorId);
    const version = await feed.versions([doctorId]).then(
      ([v]) => v!,
      () => Number.NaN,
    );
    const doctor = await reads.read([`doctor:${doctorId}`], (db) => repo.publicDoctor(db, doctorId));
    const entry: Entry = {
      version,
      sharedMatches: true,
      freshUntil: monotonic() + (Number.isNaN(version) ? BLIND_MS : FRESH_MS),
      exists: doctor !== undefined,
      visible: doctor?.verified ?? false,
      zone: doctor?.zone ?? 'UTC',
      days: new Map(),
      slots: 0,
      loading: new Map(),
    };
    if (current(doctorId, start, version)) entries.set(doctorId, entry);
    return entry;
  }

  /** The doctor's entry, fresh; concurrent first reads share one load. */
  async function entryOf(doctorId: string): Promise<Entry> {
    const entry = entries.get(doctorId);
    if (entry && (entry.freshUntil > monotonic() || (await stillCurrent(doctorId, entry)))) {
      // Most recently used last: eviction walks from the front.
      entries.delete(doctorId);
      entries.set(doctorId, entry);
      return entry;
    }
    if (entry) drop(doctorId, 'stale');
    let pending = pendingEntries.get(doctorId);
    if (!pending) {
      pending = loadEntry(doctorId).finally(() => pendingEntries.delete(doctorId));
      pendingEntries.set(doctorId, pending);
    }
    return pending;
  }

  /** An entry not checked in time (the checks fell behind): still the doctor's version? Then renewed. */
  async function stillCurrent(doctorId: string, entry: Entry): Promise<boolean> {
    const [version] = await feed.versions([doctorId]).catch(() => [Number.NaN]);
    if (version !== entry.version || entries.get(doctorId) !== entry) return false;
    entry.freshUntil = monotonic() + FRESH_MS;
    return true;
  }

  /** The days asked for, loaded; kept in the entry unless the doctor changed meanwhile. */
  async function loadDays(doctorId: string, entry: Entry, days: number[]): Promise<Map<number, Day>> {
    const start = startOf(doctorId);
    const usable = !Number.isNaN(entry.version) && entry.sharedMatches;
    const result = await source(doctorId, usable ? entry.version : null, days);
    if (current(doctorId, start, entry.version) && entries.get(doctorId) === entry) {
      for (const [day, value] of result) {
        if (entry.days.has(day)) continue;
        entry.days.set(day, value);
        entry.slots += value.count;
        cachedSlots += value.count;
      }
      evict();
    }
    return result;
  }

  /** Compares cached versions with the shared ones; drops what changed, renews the rest. */
  async function check(): Promise<void> {
    const forgotten = monotonic() - NEWS_MS;
    for (const [doctorId, heard] of news) if (heard.at < forgotten) news.delete(doctorId);
    const ids = [...entries.keys()];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      let versions: number[];
      try {
        versions = await feed.versions(chunk);
      } catch {
        const blindUntil = monotonic() + BLIND_MS;
        for (const entry of entries.values()) entry.freshUntil = Math.min(entry.freshUntil, blindUntil);
        return;
      }
      const freshUntil = monotonic() + FRESH_MS;
      chunk.forEach((doctorId, k) => {
        const entry = entries.get(doctorId);
        if (!entry) return;
        if (entry.version !== versions[k]) drop(doctorId, 'check');
        else entry.freshUntil = freshUntil;
      });
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let checking = false;

  return {
    /** Starts the version checks (every `checkMs`). */
    start() {
      timer ??= setInterval(() => {
        if (checking) return;
        checking = true;
        check()
          .catch((error: unknown) => deps.logger.warn({ err: error }, 'slot cache: version check failed'))
          .finally(() => {
            checking = false;
          });
      }, deps.checkMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    check,

    /**
     * `{doctorId, timezone, items}` as JSON bytes: the slots starting in [from, to) that can be
     * booked now. null when there is no such doctor, or the public may not see it and `hidden` is false.
     */
    async openSlots(doctorId: string, from: Date, to: Date, hidden: boolean): Promise<Buffer | null> {
      const entry = await entryOf(doctorId);
      if (!entry.exists || (!entry.visible && !hidden)) return null;
      const wanted: number[] = [];
      for (let day = dayOf(from.getTime()); day * DAY_MS < to.getTime(); day++) wanted.push(day);
      const missing = wanted.filter((d) => !entry.days.has(d));
      served('memory', wanted.length - missing.length);
      let loaded: Map<number, Day> | undefined;
      if (missing.length > 0) {
        const batch = missing.join(',');
        let pending = entry.loading.get(batch);
        if (!pending) {
          pending = loadDays(doctorId, entry, missing).finally(() => entry.loading.delete(batch));
          entry.loading.set(batch, pending);
        }
        loaded = await pending;
      }
      const now = clock.now().getTime();
      const parts = [
        Buffer.from(
          `{"doctorId":${JSON.stringify(doctorId)},"timezone":${JSON.stringify(entry.zone)},"items":[`,
        ),
      ];
      let empty = true;
      for (const key of wanted) {
        const day = entry.days.get(key) ?? loaded?.get(key);
        if (day) empty = appendDay(parts, day, from.getTime(), to.getTime(), now, empty);
      }
      parts.push(CLOSE);
      return Buffer.concat(parts);
    },

    /** For tests and metrics: what this instance holds. */
    size: () => ({ doctors: entries.size, slots: cachedSlots }),
  };
}

export type ReadModel = ReturnType<typeof createReadModel>;
