import type { Clock } from '../../platform/clock.ts';
import type { SlotFeed } from '../availability/live.ts';

/**
 * How long a slot booked on this instance is refused from memory, unless the feed says first that
 * it is free: the bound on a refusal for a slot another instance freed if its message is lost.
 */
const TAKEN_MEMORY_MS = 1000;

interface Tracked {
  userId: string;
  /** Once it booked: the slot's doctor (whose changes may free the slot), and until when it is remembered. */
  doctorId: string | null;
  until: number;
  booked: Promise<boolean>;
}

/**
 * Bookings running on this instance, by slot, and for TAKEN_MEMORY_MS those that booked. Another
 * patient's request for such a slot waits for the running one and, if it booked, is refused
 * without asking the database (booking.ts stores that decided 409 as its key's answer; the
 * refusals of one race share one INSERT), so a race's losers don't queue for the pool, however late
 * in the race they arrive. A change that frees the slot (heard through the feed, from any instance;
 * from this one at once) forgets it. Every booking that does run is decided by the database. The
 * same patient always asks the database: its request may be a retry of the running one, owed that
 * one's answer.
 */
export function createBookedHere(feed: SlotFeed, clock: Clock) {
  const tracked = new Map<string, Tracked>();
  const forget = (slotId: string, entry: Tracked) => {
    if (tracked.get(slotId) === entry) tracked.delete(slotId);
  };
  feed.onChange((doctorId, _version, events) => {
    const freed = new Set(
      events.filter((e) => e.type === 'slot.removed' || e.slot.status === 'open').map((e) => e.slot.id),
    );
    for (const [slotId, entry] of tracked) {
      if (entry.doctorId === doctorId && (events.length === 0 || freed.has(slotId))) tracked.delete(slotId);
    }
  });

  return {
    /** Whether another patient's booking of this slot here booked it (waits while it runs). */
    async byOther(slotId: string, userId: string): Promise<boolean> {
      const other = tracked.get(slotId);
      if (other === undefined || other.userId === userId) return false;
      return (await other.booked) && clock.now().getTime() < other.until;
    },

    /**
     * Registers this request's booking of `slotId` unless one is tracked already; settle it with
     * the slot's doctor once it booked, else with null (a second call does nothing).
     */
    track(slotId: string, userId: string): ((doctorId: string | null) => void) | undefined {
      const other = tracked.get(slotId);
      if (other && clock.now().getTime() < other.until) return undefined;
      let resolve!: (booked: boolean) => void;
      const entry: Tracked = {
        userId,
        doctorId: null,
        until: Number.POSITIVE_INFINITY,
        booked: new Promise((r) => (resolve = r)),
      };
      tracked.set(slotId, entry);
      let settled = false;
      return (doctorId) => {
        if (settled) return;
        settled = true;
        resolve(doctorId !== null);
        if (doctorId === null) return forget(slotId, entry);
        entry.doctorId = doctorId;
        entry.until = clock.now().getTime() + TAKEN_MEMORY_MS;
        setTimeout(() => forget(slotId, entry), TAKEN_MEMORY_MS).unref();
      };
    },
  };
}
