import type { Db } from '../../platform/db/index.ts';

/**
 * What payments needs from bookings. Payments owns this interface and never imports the
 * appointments module; appointments implements it (changes.ts) and services.ts wires the two.
 */
export interface BookingPort {
  /** Locks the appointment for the rest of `tx`, in the order every booking change takes its locks. */
  lock(tx: Db, appointmentId: string, now: Date): Promise<void>;
  /**
   * Inside `tx`, after a capture: confirms the appointment if its hold still stands (true), else
   * leaves it as it is, expiring a lapsed hold (false: the money goes back). `afterCommit` tells
   * subscribers what changed.
   */
  settle(
    tx: Db,
    appointmentId: string,
    now: Date,
  ): Promise<{ confirmed: boolean; afterCommit: () => Promise<void> }>;
}
