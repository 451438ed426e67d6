import type { Logger } from 'pino';
import type { ReadRouter } from '../../platform/db/replica.ts';
import type { Cache } from '../../platform/kv.ts';
import * as repo from './repo.ts';
import { DAY_MS, type Day, dayOf, toDay } from './slot-days.ts';

/** How long a day stays in the shared second level (the read model's safety net when a bump is lost). */
const SHARED_TTL_MS = 15_000;

export type DaysServedFrom = 'memory' | 'shared' | 'database';

/**
 * Where an instance gets a doctor's days it doesn't hold: the shared second level (Redis; keyed by
 * the doctor's version, so a bump leaves the old days unread), else the database, in one query for
 * the span of the days asked, then written back to the second level for the other instances.
 */
export function createDaySource(deps: {
  reads: ReadRouter;
  /** Undefined in embedded mode (one process, nothing to share). */
  shared: Cache | undefined;
  logger: Logger;
  served: (source: DaysServedFrom, days: number) => void;
}) {
  const { reads, shared } = deps;
  const keyOf = (doctorId: string, version: number, day: number) => `slots:${doctorId}:v${version}:${day}`;

  /** `version`: the doctor's version the days belong to, or null to bypass the second level. */
  return async function load(
    doctorId: string,
    version: number | null,
    days: number[],
  ): Promise<Map<number, Day>> {
    const found = new Map<number, repo.BookableSlot[]>();
    const level = shared && version !== null ? shared : undefined;
    if (level) {
      const values = await level
        .getMany(days.map((d) => keyOf(doctorId, version!, d)))
        .catch(() => days.map(() => null));
      values.forEach((v, i) => {
        if (v !== null) found.set(days[i]!, JSON.parse(v) as repo.BookableSlot[]);
      });
      deps.served('shared', found.size);
    }
    const missing = days.filter((d) => !found.has(d));
    if (missing.length > 0) {
      deps.served('database', missing.length);
      for (const day of missing) found.set(day, []);
      const from = new Date(missing[0]! * DAY_MS);
      const to = new Date((missing.at(-1)! + 1) * DAY_MS);
      const slots = await reads.read([`doctor:${doctorId}`], (db) =>
        repo.bookableSlots(db, doctorId, from, to),
      );
      for (const slot of slots) found.get(dayOf(slot.starts))?.push(slot);
      if (level) {
        const fresh = missing.map(
          (d) => [keyOf(doctorId, version!, d), JSON.stringify(found.get(d))] as [string, string],
        );
        await level.setMany(fresh, SHARED_TTL_MS).catch((error: unknown) => {
          deps.logger.debug({ err: error }, 'slot cache: writing the second level failed');
        });
      }
    }
    return new Map([...found].map(([day, rows]) => [day, toDay(rows)]));
  };
}
